//! API tokens: a program's credentials, acting as the person who issued them. Only a
//! token's SHA-256 is kept; the token itself is shown once. A stream per token, so that
//! revoking one is recorded, and refused everywhere at once.

use std::sync::Arc;

use aliprotect_core::decider::{Decider, Recorded, Refusal};
use aliprotect_core::ids::UserId;
use aliprotect_core::store::decided::{self, DecidedError, DecidedStream, Stamp};
use aliprotect_core::store::{
    ExtensionKind, ExtensionStream, Find, IndexKey, IndexName, Store, StoreError, StreamKind,
};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::accounts::{Account, FIRM_TENANT};

/// What every token starts with, so that a leaked one is recognisable (secret scanners).
const PREFIX: &str = "alp_";

/// One API token as kept: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    /// Its id (the token's first part).
    pub id: Uuid,
    /// The account it acts as.
    pub account: UserId,
    /// What it is for, as its issuer named it.
    pub name: String,
    /// SHA-256 of the token's secret part, hex.
    secret_sha256: String,
    /// The account's password epoch when it was issued: a later password change ends it,
    /// as it ends the account's sessions.
    #[serde(default)]
    pub password_epoch: u32,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What can be asked of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenCommand {
    /// Issues it.
    Issue {
        /// Its id.
        id: Uuid,
        /// The account it acts as.
        account: UserId,
        /// What it is for.
        name: String,
        /// SHA-256 of its secret, hex.
        secret_sha256: String,
        /// The account's password epoch.
        password_epoch: u32,
    },
    /// Revokes it.
    Revoke,
}

/// What changed in a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenChange {
    /// Issued.
    Issued {
        /// Its id.
        id: Uuid,
        /// The account it acts as.
        account: UserId,
        /// What it is for.
        name: String,
        /// SHA-256 of its secret, hex.
        secret_sha256: String,
        /// The account's password epoch.
        #[serde(default)]
        password_epoch: u32,
    },
    /// Revoked.
    Revoked,
}

/// The rules a command on a token can break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRule {
    /// Issued already.
    #[error("the token exists already")]
    Exists,
    /// No such token.
    #[error("no such token")]
    Missing,
    /// Revoked already.
    #[error("the token is revoked already")]
    Revoked,
    /// A blank name, or one longer than [`Account::MAX_CHARS`].
    #[error("a token's name is 1 to {} characters", Account::MAX_CHARS)]
    BadName,
}

/// Why a command on a token was refused.
pub type TokenRefusal = Refusal<&'static str, TokenRule>;

/// The state machine of a token.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokenDecider;

impl Decider for TokenDecider {
    type State = Option<ApiToken>;
    type Command = TokenCommand;
    type Event = Recorded<TokenChange>;
    type Context<'a> = Stamp;
    type Refusal = TokenRefusal;

    fn initial_state() -> Self::State {
        None
    }

    fn decide(
        state: &Self::State,
        command: &TokenCommand,
        stamp: &Stamp,
    ) -> Result<Vec<Self::Event>, TokenRefusal> {
        let state_name = state.as_ref().map(|token| match token.revoked_at {
            Some(_) => "revoked",
            None => "active",
        });
        let refuse = |command, rule| Refusal::new(state_name, command, rule);
        let change = match (state, command) {
            (Some(_), TokenCommand::Issue { .. }) => {
                return Err(refuse("issue", TokenRule::Exists));
            }
            (
                None,
                TokenCommand::Issue {
                    id,
                    account,
                    name,
                    secret_sha256,
                    password_epoch,
                },
            ) => {
                let name = name.trim();
                if name.is_empty() || name.chars().count() > Account::MAX_CHARS {
                    return Err(refuse("issue", TokenRule::BadName));
                }
                TokenChange::Issued {
                    id: *id,
                    account: *account,
                    name: name.to_owned(),
                    secret_sha256: secret_sha256.clone(),
                    password_epoch: *password_epoch,
                }
            }
            (None, TokenCommand::Revoke) => return Err(refuse("revoke", TokenRule::Missing)),
            (Some(token), TokenCommand::Revoke) if token.revoked_at.is_some() => {
                return Err(refuse("revoke", TokenRule::Revoked));
            }
            (Some(_), TokenCommand::Revoke) => TokenChange::Revoked,
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
                TokenChange::Issued {
                    id,
                    account,
                    name,
                    secret_sha256,
                    password_epoch,
                },
            ) => Some(ApiToken {
                id: *id,
                account: *account,
                name: name.clone(),
                secret_sha256: secret_sha256.clone(),
                password_epoch: *password_epoch,
                issued_at: event.at,
                revoked_at: None,
            }),
            (Some(mut token), TokenChange::Revoked) => {
                token.revoked_at.get_or_insert(event.at);
                Some(token)
            }
            (state, _) => state,
        }
    }
}

/// The token streams.
#[derive(Debug, Clone, Copy)]
pub struct TokenStream;

/// Index of a token's account, for listing an account's tokens.
const ACCOUNT: IndexName = IndexName::new("account");

impl ExtensionStream for TokenStream {
    const KIND: ExtensionKind = ExtensionKind::new(145);
    type State = ApiToken;

    fn status(token: &ApiToken) -> u8 {
        u8::from(token.revoked_at.is_some())
    }

    fn index_keys(token: &ApiToken) -> Vec<IndexKey> {
        vec![IndexKey::new(ACCOUNT, token.account.to_string())]
    }
}

impl DecidedStream for TokenStream {
    type Change = TokenChange;
    type Decider = TokenDecider;
}

/// Why a token could not be issued, revoked or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The command broke a rule.
    #[error(transparent)]
    Refused(#[from] TokenRefusal),
    /// Not a token, an unknown one, a revoked one, or one whose secret is wrong (which is
    /// not said).
    #[error("not a valid API token")]
    Invalid,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Others kept changing the token.
    #[error("the token kept changing; nothing was written")]
    Contended,
}

impl From<DecidedError<TokenRefusal>> for TokenError {
    fn from(error: DecidedError<TokenRefusal>) -> Self {
        match error {
            DecidedError::Refused(refusal) => TokenError::Refused(refusal),
            DecidedError::Store(error) => TokenError::Store(error),
            DecidedError::Contended => TokenError::Contended,
        }
    }
}

fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// The firm's API tokens, kept in `store`.
#[derive(Clone)]
pub struct Tokens {
    store: Arc<dyn Store>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens").finish_non_exhaustive()
    }
}

impl Tokens {
    /// The tokens kept in `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self { store }
    }

    /// Issues a token acting as `account`, named `name`: the token (shown once, never
    /// kept) and what is kept of it.
    pub async fn issue(
        &self,
        account: &Account,
        name: &str,
    ) -> Result<(String, ApiToken), TokenError> {
        let id = Uuid::new_v4();
        let mut secret = [0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let secret = hex::encode(secret);
        let command = TokenCommand::Issue {
            id,
            account: account.id,
            name: name.to_owned(),
            secret_sha256: sha256_hex(&secret),
            password_epoch: account.password_epoch,
        };
        let token = self
            .execute(id, command, account.actor_in(FIRM_TENANT))
            .await?;
        Ok((format!("{PREFIX}{}_{secret}", id.simple()), token))
    }

    /// Revokes `account`'s token `id`; another account's token is [`TokenError::Invalid`], as
    /// an unknown one is.
    pub async fn revoke(&self, account: &Account, id: Uuid) -> Result<ApiToken, TokenError> {
        match self.get(id).await? {
            Some(token) if token.account == account.id => {}
            _ => return Err(TokenError::Invalid),
        }
        self.execute(id, TokenCommand::Revoke, account.actor_in(FIRM_TENANT))
            .await
    }

    async fn execute(
        &self,
        id: Uuid,
        command: TokenCommand,
        actor: aliprotect_core::party::Actor,
    ) -> Result<ApiToken, TokenError> {
        let stamp = Stamp {
            at: Utc::now(),
            actor,
        };
        Ok(
            decided::execute::<TokenStream, _>(&*self.store, FIRM_TENANT, id, &command, stamp)
                .await?,
        )
    }

    async fn get(&self, id: Uuid) -> Result<Option<ApiToken>, TokenError> {
        Ok(
            decided::load::<TokenStream, _>(&*self.store, FIRM_TENANT, id)
                .await?
                .map(|(_, token)| token),
        )
    }

    /// The token presented, if it is a valid, unrevoked token: the account it acts as is
    /// [`ApiToken::account`], and it is good only while that account's password epoch is
    /// still [`ApiToken::password_epoch`] (a password change ends every token, as it ends
    /// every session).
    pub async fn authenticate(&self, presented: &str) -> Result<ApiToken, TokenError> {
        let (id, secret) = presented
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once('_'))
            .ok_or(TokenError::Invalid)?;
        let id = Uuid::try_parse(id).map_err(|_| TokenError::Invalid)?;
        let token = self.get(id).await?.ok_or(TokenError::Invalid)?;
        // Both sides are digests of the same length: comparing them leaks nothing useful.
        if token.revoked_at.is_some() || token.secret_sha256 != sha256_hex(secret) {
            return Err(TokenError::Invalid);
        }
        Ok(token)
    }

    /// `account`'s tokens, revoked ones too.
    pub async fn of(&self, account: &Account) -> Result<Vec<ApiToken>, TokenError> {
        let find = Find::all(StreamKind::Extension(TokenStream::KIND))
            .with_key(IndexKey::new(ACCOUNT, account.id.to_string()))
            .limit(1000);
        let found = self.store.find(FIRM_TENANT, &find).await?;
        found
            .into_iter()
            .map(|(_, snapshot)| TokenStream::state(&snapshot).map_err(TokenError::from))
            .collect()
    }
}
