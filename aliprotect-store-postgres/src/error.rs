//! What can go wrong, typed: opening a store ([`ConnectError`]), and how a driver error
//! becomes a [`StoreError`] or a reason to try a transaction again.

use aliprotect_core::store::StoreError;
use tokio_postgres::error::SqlState;

/// Why a [`PostgresStore`](crate::PostgresStore) could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The connection string cannot be parsed.
    #[error("invalid PostgreSQL URL: {}", WithCauses(.0))]
    InvalidUrl(#[source] tokio_postgres::Error),
    /// A parameter of the connection URL that this store reads has a value it cannot use.
    #[error("invalid PostgreSQL URL: {parameter}: {expected}")]
    InvalidParameter {
        /// The parameter (`sslmode`, `sslcert`, `pooler`...).
        parameter: &'static str,
        /// What it may be.
        expected: &'static str,
    },
    /// TLS cannot be set up as the URL asks (a certificate file unreadable, no roots).
    #[error("cannot set up TLS: {reason}")]
    Tls {
        /// What is wrong.
        reason: String,
    },
    /// The server has no database of that name.
    #[error("the database does not exist: {}", ServerSaid(.0))]
    MissingDatabase(#[source] tokio_postgres::Error),
    /// The server refused the user or password.
    #[error("the server refused the credentials: {}", ServerSaid(.0))]
    BadCredentials(#[source] tokio_postgres::Error),
    /// The server cannot be reached (wrong host or port, server down, timeout).
    #[error("cannot reach the server: {}", WithCauses(.0.as_ref()))]
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
    #[error("cannot migrate the schema: {}", ServerSaid(.0))]
    Migration(#[source] tokio_postgres::Error),
}

/// A driver error as the server told it: severity, SQLSTATE and message, then the detail,
/// hint and object named when the server gave them (the driver's own text is a bare "db
/// error"); an error that did not come from the server, as the driver tells it.
struct ServerSaid<'a>(&'a tokio_postgres::Error);

impl std::fmt::Display for ServerSaid<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let Some(db) = self.0.as_db_error() else {
            return WithCauses(self.0).fmt(f);
        };
        write!(
            f,
            "{} {}: {}",
            db.severity(),
            db.code().code(),
            db.message()
        )?;
        let named = [
            ("schema", db.schema()),
            ("table", db.table()),
            ("column", db.column()),
            ("constraint", db.constraint()),
        ];
        for (what, name) in named {
            if let Some(name) = name {
                write!(f, " ({what} {name})")?;
            }
        }
        if let Some(detail) = db.detail() {
            write!(f, "; detail: {detail}")?;
        }
        if let Some(hint) = db.hint() {
            write!(f, "; hint: {hint}")?;
        }
        // PgBouncer's words for the URL's `options`, which it does not pass on.
        if db.code() == &SqlState::PROTOCOL_VIOLATION && db.message().contains("startup parameter")
        {
            write!(
                f,
                "; a pooler passes no such parameter on: set it for the role instead \
                 (ALTER ROLE ... SET)"
            )?;
        }
        // What a connection's named statements meet behind a pooler in transaction mode.
        if [
            SqlState::DUPLICATE_PSTATEMENT,
            SqlState::INVALID_SQL_STATEMENT_NAME,
        ]
        .contains(db.code())
        {
            write!(
                f,
                "; behind a pooler in transaction mode (PgBouncer), add pooler=transaction to the URL"
            )?;
        }
        Ok(())
    }
}

/// An error followed by its causes (`error performing TLS handshake: invalid peer
/// certificate: UnknownIssuer`): the driver's own text names only the kind of failure.
struct WithCauses<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for WithCauses<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        if self.0.is::<DriverError>() {
            return Ok(()); // It said all the server said.
        }
        let mut cause = self.0.source();
        while let Some(error) = cause {
            write!(f, ": {error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

/// A driver error that displays as [`ServerSaid`] and keeps the driver's error as its source.
#[derive(Debug)]
struct DriverError(tokio_postgres::Error);

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        ServerSaid(&self.0).fmt(f)
    }
}

impl std::error::Error for DriverError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

impl ConnectError {
    /// Classifies a failure to connect or to run the first statements.
    pub(crate) fn from_driver(error: tokio_postgres::Error) -> Self {
        match error.code() {
            Some(&SqlState::INVALID_CATALOG_NAME) => Self::MissingDatabase(error),
            Some(&SqlState::INVALID_PASSWORD | &SqlState::INVALID_AUTHORIZATION_SPECIFICATION) => {
                Self::BadCredentials(error)
            }
            // A connection exception (a pooler refusing a startup parameter, too many
            // connections at the server's door) is about reaching it, not about the schema.
            Some(code) if code.code().starts_with("08") => {
                Self::Unreachable(Box::new(DriverError(error)))
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

/// The store cannot answer because of `error`; a driver error says what the server said.
pub(crate) fn unavailable(error: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    let error: Box<dyn std::error::Error + Send + Sync> = Box::new(error);
    match error.downcast::<tokio_postgres::Error>() {
        Ok(driver) => StoreError::Unavailable(Box::new(DriverError(*driver))),
        Err(other) => StoreError::Unavailable(other),
    }
}

pub(crate) fn corrupt(location: &str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        location: location.to_owned(),
        detail: detail.to_string(),
    }
}
