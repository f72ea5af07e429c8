//! The firm's people: an account per email address, its password (an argon2 hash), and a
//! role per client. A stream per account, kept in the firm's own tenant, so that who was
//! given which role, and when the password changed, is on the record like everything else.

use std::collections::BTreeMap;

use aliprotect_core::decider::{Decider, Recorded, Refusal};
use aliprotect_core::ids::{TenantId, UserId};
use aliprotect_core::party::Actor;
use aliprotect_core::store::decided::{self, DecidedError, DecidedStream, Stamp};
use aliprotect_core::store::{
    ExtensionKind, ExtensionStream, Find, IndexKey, Store, StoreError, StreamId, StreamKind,
};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The tenant holding the firm's accounts, API tokens and sessions: none of a client's.
pub const FIRM_TENANT: TenantId = TenantId::from_u128(0x6a1b_7c3e_2f4d_4e8a_9b0c_f1a5_0000_0001);

/// Namespace of account ids: an account's id follows from its email address, so that one
/// address is one account whichever process creates it (the store's version check decides).
const ACCOUNT_IDS: Uuid = Uuid::from_u128(0x6a1b_7c3e_2f4d_4e8a_9b0c_f1a5_0000_0002);

/// What a person may do for one client.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the client's data, nothing else: the brand's own people.
    ClientViewer,
    /// Reads and acts: files, answers counter-notices, records what the platform said.
    Paralegal,
    /// Everything a paralegal does, and the client's notifications (reviving dead letters).
    FirmAdmin,
}

impl Role {
    /// The role as written on the command line and in the API: `client-viewer`,
    /// `paralegal`, `firm-admin`.
    pub fn name(self) -> &'static str {
        match self {
            Role::ClientViewer => "client-viewer",
            Role::Paralegal => "paralegal",
            Role::FirmAdmin => "firm-admin",
        }
    }

    /// The role named `name` (as [`Role::name`] writes it).
    pub fn from_name(name: &str) -> Option<Self> {
        [Role::ClientViewer, Role::Paralegal, Role::FirmAdmin]
            .into_iter()
            .find(|role| role.name() == name)
    }

    /// Whether the role may change the record (file, answer, record).
    pub fn may_act(self) -> bool {
        self >= Role::Paralegal
    }

    /// Whether the role may run the client's deployment side (notifications).
    pub fn may_administer(self) -> bool {
        self == Role::FirmAdmin
    }
}

/// One person's account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// The account's id, the user id recorded on every event the person causes.
    pub id: UserId,
    /// The address they sign in with, lower-cased.
    pub email: String,
    /// Their name, as shown.
    pub name: String,
    /// The PHC string of their password's argon2 hash.
    password_hash: String,
    /// Raised by every password change: a session of an earlier epoch is over.
    pub password_epoch: u32,
    /// Their role per client (by the client's name).
    pub grants: BTreeMap<String, Role>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

impl Account {
    /// The longest email address, name or client name, in characters.
    pub const MAX_CHARS: usize = 254;
    /// The shortest password, in characters.
    pub const MIN_PASSWORD_CHARS: usize = 12;
    /// The longest password, in characters (hashing is costly; a megabyte password is an
    /// attack, not a password).
    pub const MAX_PASSWORD_CHARS: usize = 1024;

    /// The person's role for `client`, if they have one.
    pub fn role_for(&self, client: &str) -> Option<Role> {
        self.grants.get(client).copied()
    }

    /// The actor of the commands the person causes in `tenant`.
    pub fn actor_in(&self, tenant: TenantId) -> Actor {
        Actor::HolderUser {
            tenant,
            user: self.id,
        }
    }
}

/// Whether `client` can be a client's name in a grant: 1 to [`Account::MAX_CHARS`]
/// characters once trimmed.
pub fn is_client_name(client: &str) -> bool {
    fits(client)
}

/// The id of the account signing in with `email` (trimmed, lower-cased).
pub fn account_id(email: &str) -> UserId {
    UserId::from_uuid(Uuid::new_v5(&ACCOUNT_IDS, normal_email(email).as_bytes()))
}

fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// What can be asked of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountCommand {
    /// Opens the account.
    Open {
        /// Its address.
        email: String,
        /// The person's name.
        name: String,
        /// The PHC string of the password's hash.
        password_hash: String,
    },
    /// Replaces the password, ending every session.
    ChangePassword {
        /// The PHC string of the new password's hash.
        password_hash: String,
    },
    /// Gives the person `role` for `client` (replacing their earlier role there).
    Grant {
        /// The client's name.
        client: String,
        /// The role.
        role: Role,
    },
    /// Takes away the person's role for `client`.
    Withdraw {
        /// The client's name.
        client: String,
    },
}

impl AccountCommand {
    fn name(&self) -> &'static str {
        match self {
            AccountCommand::Open { .. } => "open",
            AccountCommand::ChangePassword { .. } => "change password",
            AccountCommand::Grant { .. } => "grant",
            AccountCommand::Withdraw { .. } => "withdraw",
        }
    }
}

/// What changed in an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountChange {
    /// Opened.
    Opened {
        /// Its id.
        id: UserId,
        /// Its address, lower-cased.
        email: String,
        /// The person's name.
        name: String,
        /// The PHC string of the password's hash.
        password_hash: String,
    },
    /// The password replaced.
    PasswordChanged {
        /// The PHC string of the new password's hash.
        password_hash: String,
    },
    /// A role given.
    Granted {
        /// The client's name.
        client: String,
        /// The role.
        role: Role,
    },
    /// A role taken away.
    Withdrawn {
        /// The client's name.
        client: String,
    },
}

/// The rules a command on an account can break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum AccountRule {
    /// An account with that address exists.
    #[error("an account with that email address exists already")]
    Exists,
    /// No such account.
    #[error("no such account")]
    Missing,
    /// Not an email address, or longer than [`Account::MAX_CHARS`].
    #[error("not an email address of at most {} characters", Account::MAX_CHARS)]
    BadEmail,
    /// A blank name or client, or one longer than [`Account::MAX_CHARS`].
    #[error(
        "a name and a client's name are 1 to {} characters",
        Account::MAX_CHARS
    )]
    BadText,
    /// The person has no role for that client.
    #[error("the person has no role for that client")]
    NoRole,
}

/// Why a command on an account was refused.
pub type AccountRefusal = Refusal<&'static str, AccountRule>;

/// The state machine of an account.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountDecider;

fn fits(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty() && text.chars().count() <= Account::MAX_CHARS
}

fn is_email(email: &str) -> bool {
    let email = email.trim();
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    fits(email)
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

impl Decider for AccountDecider {
    type State = Option<Account>;
    type Command = AccountCommand;
    type Event = Recorded<AccountChange>;
    type Context<'a> = Stamp;
    type Refusal = AccountRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &AccountCommand,
        stamp: &Stamp,
    ) -> Result<Vec<Self::Event>, AccountRefusal> {
        let refuse = |rule| Refusal::new(state.as_ref().map(|_| "open"), command.name(), rule);
        let change = match (state, command) {
            (Some(_), AccountCommand::Open { .. }) => return Err(refuse(AccountRule::Exists)),
            (
                None,
                AccountCommand::Open {
                    email,
                    name,
                    password_hash,
                },
            ) => {
                // Checked as kept: lower-casing can lengthen a string ('İ' becomes two).
                let email = normal_email(email);
                if !is_email(&email) {
                    return Err(refuse(AccountRule::BadEmail));
                }
                if !fits(name) {
                    return Err(refuse(AccountRule::BadText));
                }
                AccountChange::Opened {
                    id: account_id(&email),
                    email,
                    name: name.trim().to_owned(),
                    password_hash: password_hash.clone(),
                }
            }
            (None, _) => return Err(refuse(AccountRule::Missing)),
            (Some(_), AccountCommand::ChangePassword { password_hash }) => {
                AccountChange::PasswordChanged {
                    password_hash: password_hash.clone(),
                }
            }
            (Some(_), AccountCommand::Grant { client, role }) => {
                if !fits(client) {
                    return Err(refuse(AccountRule::BadText));
                }
                AccountChange::Granted {
                    client: client.trim().to_owned(),
                    role: *role,
                }
            }
            (Some(account), AccountCommand::Withdraw { client }) => {
                if !account.grants.contains_key(client.trim()) {
                    return Err(refuse(AccountRule::NoRole));
                }
                AccountChange::Withdrawn {
                    client: client.trim().to_owned(),
                }
            }
        };
        Ok(vec![Recorded {
            at: stamp.at,
            actor: stamp.actor,
            change,
        }])
    }

    fn evolve(state: Self::State, event: &Self::Event) -> Self::State {
        match (state, &event.change) {
            (
                None,
                AccountChange::Opened {
                    id,
                    email,
                    name,
                    password_hash,
                },
            ) => Some(Account {
                id: *id,
                email: email.clone(),
                name: name.clone(),
                password_hash: password_hash.clone(),
                password_epoch: 0,
                grants: BTreeMap::new(),
                created_at: event.at,
            }),
            (Some(mut account), AccountChange::PasswordChanged { password_hash }) => {
                account.password_hash = password_hash.clone();
                account.password_epoch = account.password_epoch.saturating_add(1);
                Some(account)
            }
            (Some(mut account), AccountChange::Granted { client, role }) => {
                account.grants.insert(client.clone(), *role);
                Some(account)
            }
            (Some(mut account), AccountChange::Withdrawn { client }) => {
                account.grants.remove(client);
                Some(account)
            }
            // An event that does not fit (a corrupt stream) changes nothing.
            (state, _) => state,
        }
    }
}

/// The account streams.
#[derive(Debug, Clone, Copy)]
pub struct AccountStream;

impl ExtensionStream for AccountStream {
    const KIND: ExtensionKind = ExtensionKind::new(144);
    type State = Account;

    fn status(_: &Account) -> u8 {
        0
    }

    fn index_keys(_: &Account) -> Vec<IndexKey> {
        Vec::new()
    }
}

impl DecidedStream for AccountStream {
    type Change = AccountChange;
    type Decider = AccountDecider;
}

/// Why an account could not be opened, changed or signed in to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountError {
    /// The command broke a rule.
    #[error(transparent)]
    Refused(#[from] AccountRefusal),
    /// The password is shorter than [`Account::MIN_PASSWORD_CHARS`] or longer than
    /// [`Account::MAX_PASSWORD_CHARS`].
    #[error(
        "a password is {} to {} characters",
        Account::MIN_PASSWORD_CHARS,
        Account::MAX_PASSWORD_CHARS
    )]
    WeakPassword,
    /// The address is unknown or the password wrong (which one is not said).
    #[error("wrong email address or password")]
    WrongCredentials,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Others kept changing the account.
    #[error("the account kept changing; nothing was written")]
    Contended,
    /// Hashing failed (the machine, not the input).
    #[error("password hashing failed: {0}")]
    Hashing(String),
    /// Passwords can no longer be checked (the server is shutting down).
    #[error("the server is not checking passwords any more")]
    Busy,
}

impl From<DecidedError<AccountRefusal>> for AccountError {
    fn from(error: DecidedError<AccountRefusal>) -> Self {
        match error {
            DecidedError::Refused(refusal) => AccountError::Refused(refusal),
            DecidedError::Store(error) => AccountError::Store(error),
            DecidedError::Contended => AccountError::Contended,
        }
    }
}

/// The firm's accounts, kept in `store`.
///
/// ```
/// # use std::sync::Arc;
/// # use aliprotect_core::store::Store;
/// # use aliprotect_core::party::Actor;
/// # use aliprotect_core::ids::UserId;
/// use aliprotect_web::accounts::{Accounts, Role};
///
/// # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
/// # let store: Arc<dyn Store> = Arc::new(aliprotect_store_memory::MemoryStore::new());
/// # let operator = Actor::Operator { user: UserId::new() };
/// let accounts = Accounts::new(store);
/// accounts.open("ana@firm.example", "Ana", "correct horse battery", operator).await?;
/// accounts.grant("ana@firm.example", "acme", Role::Paralegal, operator).await?;
/// let ana = accounts.sign_in("ANA@firm.example", "correct horse battery").await?;
/// assert_eq!(ana.role_for("acme"), Some(Role::Paralegal));
/// # Ok::<(), Box<dyn std::error::Error>>(()) })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Accounts {
    store: std::sync::Arc<dyn Store>,
    /// Hashes computed at once: each takes about 19 MiB and a core for a while, so
    /// requests beyond them wait their turn.
    hashing: std::sync::Arc<tokio::sync::Semaphore>,
}

impl std::fmt::Debug for Accounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Accounts").finish_non_exhaustive()
    }
}

/// A hash to check passwords against when the address is unknown, so that an unknown
/// address takes as long to refuse as a wrong password (no probing for who has an account).
static DECOY_HASH: std::sync::LazyLock<Option<String>> =
    std::sync::LazyLock::new(|| hash_password("decoy password, never anyone's").ok());

/// The PHC string of `password`'s argon2id hash (the crate's recommended parameters).
fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt =
        SaltString::from_b64(&random_salt()).map_err(|e| AccountError::Hashing(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hashing(e.to_string()))
}

fn random_salt() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; 16];
    OsRng.fill_bytes(&mut bytes);
    // Salt strings are B64 without padding.
    argon2::password_hash::SaltString::encode_b64(&bytes)
        .map(|salt| salt.as_str().to_owned())
        .unwrap_or_default()
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

fn check_strength(password: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if (Account::MIN_PASSWORD_CHARS..=Account::MAX_PASSWORD_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(AccountError::WeakPassword)
    }
}

impl Accounts {
    /// The accounts kept in `store`.
    pub fn new(store: std::sync::Arc<dyn Store>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self {
            store,
            hashing: std::sync::Arc::new(tokio::sync::Semaphore::new(cores.clamp(1, 8))),
        }
    }

    /// Runs the costly hashing off the async threads, a few at a time.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AccountError> {
        // Waiting in line costs a task, not a hash's memory.
        let permit = self
            .hashing
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AccountError::Busy)?;
        tokio::task::spawn_blocking(move || {
            let result = work();
            drop(permit);
            result
        })
        .await
        .map_err(|e| AccountError::Hashing(e.to_string()))
    }

    async fn execute(
        &self,
        email: &str,
        command: AccountCommand,
        actor: Actor,
    ) -> Result<Account, AccountError> {
        let stamp = Stamp {
            at: Utc::now(),
            actor,
        };
        let id = account_id(email).as_uuid();
        Ok(
            decided::execute::<AccountStream, _>(&*self.store, FIRM_TENANT, id, &command, stamp)
                .await?,
        )
    }

    /// Opens an account for `email` with `password`, as `actor`; refused if one exists.
    pub async fn open(
        &self,
        email: &str,
        name: &str,
        password: &str,
        actor: Actor,
    ) -> Result<Account, AccountError> {
        check_strength(password)?;
        let password = password.to_owned();
        let password_hash = self.blocking(move || hash_password(&password)).await??;
        let command = AccountCommand::Open {
            email: email.to_owned(),
            name: name.to_owned(),
            password_hash,
        };
        self.execute(email, command, actor).await
    }

    /// Gives the person of `email` `role` for `client`.
    pub async fn grant(
        &self,
        email: &str,
        client: &str,
        role: Role,
        actor: Actor,
    ) -> Result<Account, AccountError> {
        let command = AccountCommand::Grant {
            client: client.to_owned(),
            role,
        };
        self.execute(email, command, actor).await
    }

    /// Takes away the role of the person of `email` for `client`.
    pub async fn withdraw(
        &self,
        email: &str,
        client: &str,
        actor: Actor,
    ) -> Result<Account, AccountError> {
        let command = AccountCommand::Withdraw {
            client: client.to_owned(),
        };
        self.execute(email, command, actor).await
    }

    /// Replaces the password of `email`'s account; every session of the account ends.
    /// An operator's reset: a person changing their own password uses
    /// [`Accounts::change_own_password`].
    pub async fn set_password(
        &self,
        email: &str,
        password: &str,
        actor: Actor,
    ) -> Result<Account, AccountError> {
        check_strength(password)?;
        let password = password.to_owned();
        let password_hash = self.blocking(move || hash_password(&password)).await??;
        self.execute(
            email,
            AccountCommand::ChangePassword { password_hash },
            actor,
        )
        .await
    }

    /// Replaces the password of `account` after checking its current one; every session of
    /// the account ends.
    pub async fn change_own_password(
        &self,
        account: &Account,
        current: &str,
        new: &str,
    ) -> Result<Account, AccountError> {
        self.sign_in(&account.email, current).await?;
        self.set_password(&account.email, new, account.actor_in(FIRM_TENANT))
            .await
    }

    /// The account of `id`, if it exists.
    pub async fn get(&self, id: UserId) -> Result<Option<Account>, AccountError> {
        Ok(
            decided::load::<AccountStream, _>(&*self.store, FIRM_TENANT, id.as_uuid())
                .await?
                .map(|(_, account)| account),
        )
    }

    /// The account of `email` if `password` is its password; [`AccountError::WrongCredentials`]
    /// otherwise, taking as long whether or not the address has an account.
    pub async fn sign_in(&self, email: &str, password: &str) -> Result<Account, AccountError> {
        if password.chars().count() > Account::MAX_PASSWORD_CHARS {
            return Err(AccountError::WrongCredentials);
        }
        let account = self.get(account_id(email)).await?;
        let phc = match &account {
            Some(account) => account.password_hash.clone(),
            None => DECOY_HASH.clone().unwrap_or_default(),
        };
        let password = password.to_owned();
        let matches = self
            .blocking(move || verify_password(&password, &phc))
            .await?;
        match account {
            Some(account) if matches => Ok(account),
            _ => Err(AccountError::WrongCredentials),
        }
    }

    /// Every account, by id.
    pub async fn list(&self) -> Result<Vec<Account>, AccountError> {
        let mut accounts = Vec::new();
        let mut after: Option<StreamId> = None;
        loop {
            let mut find = Find::all(StreamKind::Extension(AccountStream::KIND)).limit(500);
            if let Some(after) = after {
                find = find.after(after);
            }
            let found = self.store.find(FIRM_TENANT, &find).await?;
            let full = found.len() == 500;
            for (stream, snapshot) in found {
                after = Some(stream);
                accounts.push(AccountStream::state(&snapshot)?);
            }
            if !full {
                return Ok(accounts);
            }
        }
    }
}
