//! How statements reach the server. On a direct connection (or through a pooler in session
//! mode) a connection prepares each statement once and keeps it, saving the server a parse
//! and a plan per run. Behind a pooler in transaction mode a kept statement would stay on a
//! server connection this client may never get again, while another client, handed that
//! connection, collides with its name: there every statement is sent unnamed, parsed and
//! run in one round trip.

use deadpool_postgres::{Object, Pool, PoolError};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Error, Row};

/// What sits between the store and the server: see [`PostgresOptions::pooler`](crate::PostgresOptions::pooler).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pooler {
    /// The server itself, or a pooler in session mode: each connection keeps its prepared
    /// statements, and wake-ups can LISTEN.
    #[default]
    None,
    /// A pooler in transaction mode (PgBouncer's `pool_mode = transaction`), which may hand
    /// each transaction another server connection: statements are sent unnamed (parsed and
    /// planned on every run) and wake-ups are [`WakeUps::PollOnly`](crate::WakeUps::PollOnly).
    /// The URL parameter `pooler=transaction` chooses it.
    Transaction,
}

/// A parameter of a statement with its type, which the statement's text alone may not fix.
pub(crate) type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// The pool, and how its connections send statements.
#[derive(Clone)]
pub(crate) struct Connections {
    pub(crate) pool: Pool,
    pub(crate) pooler: Pooler,
}

impl Connections {
    pub(crate) async fn get(&self) -> Result<Conn, PoolError> {
        Ok(Conn {
            client: self.pool.get().await?,
            pooler: self.pooler,
        })
    }
}

/// A connection of the pool that sends statements as its [`Pooler`] allows.
pub(crate) struct Conn {
    client: Object,
    pooler: Pooler,
}

impl Conn {
    /// Runs `sql` with `params`, returning its rows.
    pub(crate) async fn query(&self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, Error> {
        match self.pooler {
            Pooler::Transaction => self.client.query_typed(sql, params).await,
            Pooler::None => {
                let (types, values) = split(params);
                let statement = self.client.prepare_typed_cached(sql, &types).await?;
                self.client.query(&statement, &values).await
            }
        }
    }

    /// Runs `sql` with `params`, returning its one row (none or several is an error).
    pub(crate) async fn query_one(&self, sql: &str, params: &[Param<'_>]) -> Result<Row, Error> {
        match self.pooler {
            Pooler::Transaction => self.client.query_typed_one(sql, params).await,
            Pooler::None => {
                let (types, values) = split(params);
                let statement = self.client.prepare_typed_cached(sql, &types).await?;
                self.client.query_one(&statement, &values).await
            }
        }
    }

    /// Runs `sql` with `params`, returning the number of rows it changed.
    pub(crate) async fn execute(&self, sql: &str, params: &[Param<'_>]) -> Result<u64, Error> {
        match self.pooler {
            Pooler::Transaction => self.client.execute_typed(sql, params).await,
            Pooler::None => {
                let (types, values) = split(params);
                let statement = self.client.prepare_typed_cached(sql, &types).await?;
                self.client.execute(&statement, &values).await
            }
        }
    }

    /// The connection itself, for what runs inside an explicit transaction (whose
    /// statements are closed before it ends) and for tests.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn client(&self) -> &Object {
        &self.client
    }
}

/// `values` paired with `types`, one for one.
pub(crate) fn typed<'a>(values: &[&'a (dyn ToSql + Sync)], types: &[Type]) -> Vec<Param<'a>> {
    values.iter().copied().zip(types.iter().cloned()).collect()
}

fn split<'a>(params: &[Param<'a>]) -> (Vec<Type>, Vec<&'a (dyn ToSql + Sync)>) {
    params
        .iter()
        .map(|(value, ty)| (ty.clone(), *value))
        .unzip()
}
