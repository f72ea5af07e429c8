//! The write statements prepare against the schema: every group statement, and the lone
//! statement of every shape a commit can have. A statement that does not prepare is not
//! caught by the conformance suite, because a group whose statement fails is written one
//! commit at a time (only slower), and a lone shape fails only for the commits of that shape.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

use crate::PostgresStore;
use crate::test_server::TestServer;

#[path = "../tests/support/mod.rs"]
mod support;
use support::{installed, server};

#[tokio::test]
async fn every_write_statement_prepares_against_the_schema() {
    let Some(_) = installed() else { return };
    let url = server().create_database().await.unwrap();
    let store = PostgresStore::connect(&url).await.unwrap();
    let client = store.client().await.unwrap();
    let (sql, types) = crate::batch::statement();
    if let Err(error) = client.client().prepare_typed(sql, types).await {
        panic!("the group statement does not prepare: {error}");
    }
    for (shape, sql) in crate::lone::every_shape() {
        if let Err(error) = client
            .client()
            .prepare_typed(&sql, crate::lone::types())
            .await
        {
            panic!("the lone statement of {shape} does not prepare: {error}");
        }
    }
}
