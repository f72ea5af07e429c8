//! One command's connection to the database: the store, the client's tenant, who acts, the
//! clock and the platform's rules.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use aliprotect::clock::{Clock, ManualClock, SystemClock};
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{TenantId, UserId};
use aliprotect::notify::{DiscardNotifier, Notifier};
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::{IdempotencyKey, Receipt, Store};
use aliprotect::store_postgres::{ConnectError, PostgresStore};
use aliprotect::store_sqlite::{OpenError, SqliteStore};
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

/// A command's session.
pub(crate) struct Session {
    pub(crate) engine: CliEngine,
    pub(crate) tenant: TenantId,
    /// The person at the keyboard, as a user of the client.
    pub(crate) me: Actor,
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
        let (store, policy) = match Location::of(&global.db) {
            Location::Sqlite(path) => {
                if !path.exists() {
                    return Err(CliError::Usage(format!(
                        "no database at {}: create it with `aliprotect --db {} init`",
                        path.display(),
                        path.display()
                    )));
                }
                let store = open_sqlite(&path)?;
                let policy = settings::policy(&path)?;
                (Arc::new(store) as Arc<dyn Store>, policy)
            }
            Location::Postgres(url) => {
                let store = connect_postgres(&url).await?;
                (
                    Arc::new(store) as Arc<dyn Store>,
                    settings::postgres_policy()?,
                )
            }
        };
        let tenant = tenant_of(&global.client);
        let engine = Engine::new(store, notifier, clock()?, policy_of(policy));
        let me = Actor::HolderUser {
            tenant,
            user: current_user(),
        };
        Ok(Self { engine, tenant, me })
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
        let mut request = Request::new(self.tenant, actor, command);
        if let Some(key) = key {
            let key = IdempotencyKey::new(format!("cli/{key}/{step}"))
                .map_err(|e| CliError::Usage(format!("--idempotency-key: {e}")))?;
            request = request.idempotent(key);
        }
        Ok(self.engine.execute(request).await?)
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
}

/// Creates (or migrates) the database and records the policy: `aliprotect init`.
pub(crate) async fn init(global: &Global, policy: PolicyName) -> Result<(), CliError> {
    match Location::of(&global.db) {
        Location::Sqlite(path) => {
            drop(open_sqlite(&path)?);
            settings::record_policy(&path, policy)
        }
        Location::Postgres(url) => {
            drop(connect_postgres(&url).await?);
            if policy != settings::postgres_policy()? {
                return Err(CliError::Usage(
                    "on PostgreSQL the policy comes from ALIPROTECT_POLICY (alibaba-ipp or dmca-style)"
                        .to_owned(),
                ));
            }
            Ok(())
        }
    }
}

fn open_sqlite(path: &Path) -> Result<SqliteStore, CliError> {
    SqliteStore::open(path).map_err(|error| match error {
        OpenError::SchemaTooNew { .. } => CliError::Database(format!(
            "{error}: it was written by a newer aliprotect; upgrade this tool to use it"
        )),
        OpenError::NotADatabase { .. } => {
            CliError::Usage(format!("{error}: pass the file made by `aliprotect init`"))
        }
        other => CliError::Database(other.to_string()),
    })
}

async fn connect_postgres(url: &str) -> Result<PostgresStore, CliError> {
    PostgresStore::connect(url)
        .await
        .map_err(|error| match error {
            ConnectError::InvalidUrl(_) => CliError::Usage(error.to_string()),
            other => CliError::Database(other.to_string()),
        })
}

pub(crate) fn policy_of(name: PolicyName) -> MarketplacePolicy {
    match name {
        PolicyName::AlibabaIpp => MarketplacePolicy::alibaba_ipp(),
        PolicyName::DmcaStyle => MarketplacePolicy::dmca_style(),
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
