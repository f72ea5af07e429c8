//! One command's connection to the database: the store, the client's tenant, who acts, the
//! clock, the platform's rules (as the data records them) and where evidence is kept.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aliprotect::clock::{Clock, ManualClock, SystemClock};
use aliprotect::engine::{Command, Engine, EngineError, Page, PolicyError, Request};
use aliprotect::evidence::EvidenceStore;
use aliprotect::evidence_stores::{DirectoryEvidence, ObjectStoreEvidence};
use aliprotect::ids::{TenantId, UserId};
use aliprotect::notify::{DiscardNotifier, Notifier};
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::{CountBy, IdempotencyKey, Receipt, Store};
use aliprotect::store_postgres::{ConnectError, PostgresStore};
use aliprotect::store_sqlite::{OpenError, SqliteStore};
use aliprotect::text::Text;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::cli::{Global, PolicyName};
use crate::error::CliError;
use crate::settings;

/// The engine as the command line runs it: any store, any notifier, any clock.
pub(crate) type CliEngine = Engine<Arc<dyn Store>, Arc<dyn Notifier>, Arc<dyn Clock>>;

/// Namespace of the ids the tool derives from names and idempotency keys (UUID v5), so that
/// the same client name is the same tenant on every machine.
const NAMESPACE: Uuid = Uuid::from_u128(0x6a1b_7c3e_2f4d_4e8a_9b0c_1d2e_3f4a_5b6c);

/// The client when `--client` names none.
pub(crate) const DEFAULT_CLIENT: &str = "default";

/// Where the data lives.
#[derive(Debug, Clone)]
pub(crate) enum Location {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Location {
    pub(crate) fn of(db: &str) -> Self {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            Location::Postgres(db.to_owned())
        } else {
            Location::Sqlite(PathBuf::from(db))
        }
    }
}

/// The database as printed: a URL's password (`user:password@`, `?password=`) replaced by
/// `***`, since what a command prints ends up in terminals' scrollback, logs and tickets.
impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Sqlite(path) => write!(f, "{}", path.display()),
            Location::Postgres(url) => f.write_str(&without_password(url)),
        }
    }
}

fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, hosts)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{hosts}"),
            None => format!("{userinfo}@{hosts}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|param| match param.split_once('=') {
                    Some(("password", _)) => "password=***".to_owned(),
                    _ => param.to_owned(),
                })
                .collect();
            format!("{path}?{}", params.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// A command's session.
pub(crate) struct Session {
    pub(crate) engine: CliEngine,
    pub(crate) tenant: TenantId,
    /// The client's name, as given.
    pub(crate) client: String,
    /// The person at the keyboard, as a user of the client.
    pub(crate) me: Actor,
    /// Where evidence goes (`--evidence`, else the default next to the database).
    evidence_at: String,
}

impl Session {
    /// Opens the existing database of `global` for the client named there.
    pub(crate) async fn open(global: &Global) -> Result<Self, CliError> {
        Self::open_with(global, Arc::new(DiscardNotifier)).await
    }

    /// Opens it with `notifier` delivering what the outbox holds (for `notify`).
    pub(crate) async fn open_with(
        global: &Global,
        notifier: Arc<dyn Notifier>,
    ) -> Result<Self, CliError> {
        let location = Location::of(&global.db);
        if let Location::Sqlite(path) = &location
            && !path.exists()
        {
            return Err(CliError::Usage(format!(
                "no database at {}: create it with `aliprotect --db {} init`",
                path.display(),
                path.display()
            )));
        }
        let store = open_store(&location).await?;
        let engine = match Engine::open(Arc::clone(&store), Arc::clone(&notifier), clock()?).await {
            Ok(engine) => engine,
            // A database of an earlier version names its policy outside the data (or not
            // at all: Alibaba IPP); it is recorded with the data once.
            Err(EngineError::Policy(PolicyError::NotRecorded)) => {
                let policy = policy_of(settings::legacy_policy(&location)?);
                let engine = Engine::new(store, notifier, clock()?, policy);
                match engine
                    .adopt_policy(operator(), reason("recorded from the earlier set-up")?)
                    .await
                {
                    // Another process recorded the same one first.
                    Ok(_) | Err(EngineError::Policy(PolicyError::Unchanged)) => engine,
                    Err(other) => return Err(other.into()),
                }
            }
            Err(other) => return Err(other.into()),
        };
        let tenant = tenant_of(&global.client);
        let me = Actor::HolderUser {
            tenant,
            user: current_user(),
        };
        let evidence_at = global
            .evidence
            .clone()
            .unwrap_or_else(|| default_evidence(&location));
        Ok(Self {
            engine,
            tenant,
            client: global.client.clone(),
            me,
            evidence_at,
        })
    }

    /// Runs `command` as `actor`; with an idempotency key, once only (a rerun returns the
    /// first run's receipt). `step` tells apart the commands of one invocation sharing a key.
    pub(crate) async fn run(
        &self,
        actor: Actor,
        command: Command,
        key: Option<&str>,
        step: usize,
    ) -> Result<Receipt, CliError> {
        Ok(self
            .engine
            .execute(self.request(actor, command, key, step)?)
            .await?)
    }

    /// The request for `command` by `actor`, keyed when `key` is given.
    pub(crate) fn request(
        &self,
        actor: Actor,
        command: Command,
        key: Option<&str>,
        step: usize,
    ) -> Result<Request, CliError> {
        let mut request = Request::new(self.tenant, actor, command);
        if let Some(key) = key {
            let key = IdempotencyKey::new(format!("cli/{key}/{step}"))
                .map_err(|e| CliError::Usage(format!("--idempotency-key: {e}")))?;
            request = request.idempotent(key);
        }
        Ok(request)
    }

    /// The id of a new stream: derived from the idempotency key when there is one (so that
    /// a rerun names the same stream), random otherwise.
    pub(crate) fn new_id(&self, key: Option<&str>, what: &str, step: usize) -> Uuid {
        match key {
            Some(key) => {
                let name = format!("{}/{what}/{key}/{step}", self.tenant);
                Uuid::new_v5(&NAMESPACE, name.as_bytes())
            }
            None => Uuid::now_v7(),
        }
    }

    /// Where evidence is kept, opened (and, for a directory, created) when first needed.
    pub(crate) fn evidence(&self) -> Result<Arc<dyn EvidenceStore>, CliError> {
        let at = &self.evidence_at;
        let failed = |e: aliprotect::evidence::EvidenceError| {
            CliError::Environment(format!("evidence store {at}: {e}"))
        };
        if at.contains("://") {
            Ok(Arc::new(ObjectStoreEvidence::from_url(at).map_err(failed)?))
        } else {
            Ok(Arc::new(DirectoryEvidence::open(at).map_err(failed)?))
        }
    }

    /// Refuses a client nothing is recorded for: a mistyped `--client` shows an error, not
    /// an empty view. Commands that create a client's first right or campaign skip this.
    pub(crate) async fn require_client(&self) -> Result<(), CliError> {
        // The client of a one-client desk is never mistyped.
        if self.client == DEFAULT_CLIENT {
            return Ok(());
        }
        let engine = &self.engine;
        let known = !engine
            .read()
            .rights(self.tenant, Page::first(1))
            .await?
            .is_empty()
            || !engine
                .read()
                .campaigns(self.tenant, Page::first(1))
                .await?
                .is_empty()
            || !engine
                .read()
                .complaint_counts(self.tenant, CountBy::Status)
                .await?
                .is_empty();
        match known {
            true => Ok(()),
            false => Err(CliError::refused(
                format!(
                    "no client `{}` in this database: nothing is recorded for it",
                    self.client
                ),
                vec![
                    "Check --client (or ALIPROTECT_CLIENT); a client starts with its first \
                     `right register`."
                        .to_owned(),
                ],
            )),
        }
    }
}

/// Creates (or migrates) the database and records the policy: `aliprotect init`. Refuses a
/// database whose data follows another policy (that is `aliprotect policy change`).
pub(crate) async fn init(global: &Global, name: PolicyName) -> Result<bool, CliError> {
    let location = Location::of(&global.db);
    let store = open_store(&location).await?;
    let policy = policy_of(name);
    let engine: CliEngine = Engine::new(store, Arc::new(DiscardNotifier), clock()?, policy);
    match engine.read().stored_policy().await? {
        None => match engine
            .adopt_policy(operator(), reason("aliprotect init")?)
            .await
        {
            Ok(_) => Ok(true),
            // Another `init` recorded the same policy first.
            Err(EngineError::Policy(PolicyError::Unchanged)) => Ok(false),
            Err(other) => Err(other.into()),
        },
        Some(stored) if *stored.policy == *engine.read().policy() => Ok(false),
        Some(stored) => Err(CliError::refused(
            format!(
                "{} already follows the `{}` rules; init changes nothing",
                Location::of(&global.db),
                stored.policy.name
            ),
            vec![format!(
                "To change the rules of recorded data on purpose: aliprotect policy change \
                 --to {} --reason '...'",
                settings::name_of(name)
            )],
        )),
    }
}

/// An engine on `session`'s store with another policy, to change the store's to it.
pub(crate) fn engine_with(session: &Session, name: PolicyName) -> Result<CliEngine, CliError> {
    Ok(Engine::new(
        Arc::clone(session.engine.store()),
        Arc::new(DiscardNotifier) as Arc<dyn Notifier>,
        clock()?,
        policy_of(name),
    ))
}

async fn open_store(location: &Location) -> Result<Arc<dyn Store>, CliError> {
    Ok(match location {
        Location::Sqlite(path) => Arc::new(open_sqlite(path)?),
        Location::Postgres(url) => Arc::new(connect_postgres(url).await?),
    })
}

pub(crate) fn open_sqlite(path: &Path) -> Result<SqliteStore, CliError> {
    SqliteStore::open(path).map_err(|error| match error {
        OpenError::SchemaTooNew { .. } => CliError::Database(format!(
            "{error}: it was written by a newer aliprotect; upgrade this tool to use it"
        )),
        OpenError::NotADatabase { .. } => {
            CliError::Usage(format!("{error}: pass the file made by `aliprotect init`"))
        }
        OpenError::NotOurs { .. } => CliError::Usage(format!(
            "{error}: it was left as it is; pass the file made by `aliprotect init`"
        )),
        other => CliError::Database(other.to_string()),
    })
}

pub(crate) async fn connect_postgres(url: &str) -> Result<PostgresStore, CliError> {
    PostgresStore::connect(url)
        .await
        .map_err(|error| match error {
            ConnectError::InvalidUrl(_) => CliError::Usage(error.to_string()),
            ConnectError::NotOurs { .. } => {
                CliError::Usage(format!("{error}: it was left as it is"))
            }
            other => CliError::Database(other.to_string()),
        })
}

pub(crate) fn policy_of(name: PolicyName) -> MarketplacePolicy {
    match name {
        PolicyName::AlibabaIpp => MarketplacePolicy::alibaba_ipp(),
        PolicyName::DmcaStyle => MarketplacePolicy::dmca_style(),
    }
}

/// The policy name of a shipped policy.
pub(crate) fn name_of_policy(policy: &MarketplacePolicy) -> Option<PolicyName> {
    [PolicyName::AlibabaIpp, PolicyName::DmcaStyle]
        .into_iter()
        .find(|name| policy_of(*name) == *policy)
}

/// Where evidence goes by default: next to a SQLite file, else in the working directory.
fn default_evidence(location: &Location) -> String {
    match location {
        Location::Sqlite(path) => {
            let mut name = path.as_os_str().to_owned();
            name.push(".evidence");
            PathBuf::from(name).display().to_string()
        }
        Location::Postgres(_) => "aliprotect-evidence".to_owned(),
    }
}

/// The client's tenant: the same name is the same tenant everywhere.
pub(crate) fn tenant_of(client: &str) -> TenantId {
    TenantId::from_uuid(Uuid::new_v5(
        &NAMESPACE,
        format!("client/{client}").as_bytes(),
    ))
}

/// The person running the tool, by login name, recorded on every event they cause.
fn current_user() -> UserId {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned());
    UserId::from_uuid(Uuid::new_v5(&NAMESPACE, format!("user/{name}").as_bytes()))
}

/// The person running the tool as the operator of the deployment (store-wide changes).
pub(crate) fn operator() -> Actor {
    Actor::Operator {
        user: current_user(),
    }
}

pub(crate) fn reason(text: &str) -> Result<Text, CliError> {
    Text::new(text).map_err(|e| CliError::Usage(format!("--reason: {e}")))
}

/// The system clock; `ALIPROTECT_NOW` (RFC 3339) fixes it, for demonstrations and tests
/// that must show a deadline passing.
fn clock() -> Result<Arc<dyn Clock>, CliError> {
    match std::env::var("ALIPROTECT_NOW") {
        Ok(now) => {
            let at = DateTime::parse_from_rfc3339(&now)
                .map_err(|e| CliError::Usage(format!("ALIPROTECT_NOW `{now}`: {e}")))?;
            Ok(Arc::new(ManualClock::at(at.with_timezone(&Utc))))
        }
        Err(_) => Ok(Arc::new(SystemClock)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_printed_url_hides_its_password_and_keeps_the_rest() {
        let shown = |db: &str| Location::of(db).to_string();
        assert_eq!(
            shown("postgresql://firm:s3cr%40t@db1:5432,db2/enforcement?sslmode=require"),
            "postgresql://firm:***@db1:5432,db2/enforcement?sslmode=require"
        );
        assert_eq!(
            shown("postgres://firm@db/enforcement?password=s3cret&pooler=transaction"),
            "postgres://firm@db/enforcement?password=***&pooler=transaction"
        );
        assert_eq!(
            shown("postgresql://db/enforcement"),
            "postgresql://db/enforcement"
        );
        assert_eq!(shown("desk/aliprotect.db"), "desk/aliprotect.db");
    }
}
