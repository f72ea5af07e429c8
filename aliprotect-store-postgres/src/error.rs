//! What can go wrong, typed: opening a store ([`ConnectError`]), and how a driver error
//! becomes a [`StoreError`] or a reason to try a transaction again.

use aliprotect_core::store::StoreError;
use tokio_postgres::error::SqlState;

/// Why a [`PostgresStore`](crate::PostgresStore) could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The connection string cannot be parsed.
    #[error("invalid PostgreSQL URL: {0}")]
    InvalidUrl(#[source] tokio_postgres::Error),
    /// The server has no database of that name.
    #[error("the database does not exist: {0}")]
    MissingDatabase(#[source] tokio_postgres::Error),
    /// The server refused the user or password.
    #[error("the server refused the credentials: {0}")]
    BadCredentials(#[source] tokio_postgres::Error),
    /// The server cannot be reached (wrong host or port, server down, timeout).
    #[error("cannot reach the server: {0}")]
    Unreachable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The database's schema holds tables of another program under our tables' names.
    #[error("the database holds tables of another program ({tables}); refusing to use it")]
    NotOurs {
        /// The tables found.
        tables: String,
    },
    /// The database was migrated by a newer build of this store.
    #[error("the database has schema version {found}; this build supports up to {supported}")]
    SchemaTooNew {
        /// The database's schema version.
        found: i32,
        /// The newest version this build knows.
        supported: i32,
    },
    /// Creating or migrating the schema failed.
    #[error("cannot migrate the schema: {0}")]
    Migration(#[source] tokio_postgres::Error),
}

impl ConnectError {
    /// Classifies a failure to connect or to run the first statements.
    pub(crate) fn from_driver(error: tokio_postgres::Error) -> Self {
        match error.code() {
            Some(&SqlState::INVALID_CATALOG_NAME) => Self::MissingDatabase(error),
            Some(&SqlState::INVALID_PASSWORD | &SqlState::INVALID_AUTHORIZATION_SPECIFICATION) => {
                Self::BadCredentials(error)
            }
            Some(_) => Self::Migration(error),
            None => Self::Unreachable(Box::new(error)),
        }
    }

    pub(crate) fn from_pool(error: deadpool_postgres::PoolError) -> Self {
        match error {
            deadpool_postgres::PoolError::Backend(error) => Self::from_driver(error),
            other => Self::Unreachable(Box::new(other)),
        }
    }
}

/// Whether a transaction that failed with `error` may succeed if run again from the start:
/// a serialization failure or a deadlock, never a conflict or a broken connection.
pub(crate) fn is_transient(error: &tokio_postgres::Error) -> bool {
    matches!(
        error.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::T_R_DEADLOCK_DETECTED)
    )
}

/// The name of the unique constraint `error` violated, if it is a unique violation.
pub(crate) fn unique_violation(error: &tokio_postgres::Error) -> Option<&str> {
    let db = error.as_db_error()?;
    (db.code() == &SqlState::UNIQUE_VIOLATION).then(|| db.constraint().unwrap_or(""))
}

pub(crate) fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

pub(crate) fn corrupt(location: &str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        location: location.to_owned(),
        detail: detail.to_string(),
    }
}
