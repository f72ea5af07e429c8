//! The PostgreSQL server the tests of one test binary share, or a skip where this machine
//! has none (included by the store's integration tests and by its statement tests).

use std::sync::OnceLock;

use super::TestServer;

/// The server, started on first use; `None` (said in one line) where this machine has no
/// PostgreSQL server binaries outside CI: the test then skips.
pub(crate) fn installed() -> Option<&'static TestServer> {
    static SERVER: OnceLock<Option<TestServer>> = OnceLock::new();
    let server = SERVER
        .get_or_init(|| TestServer::start_unless_missing().unwrap_or_else(|e| panic!("{e}")))
        .as_ref();
    if server.is_none() {
        eprintln!("skipped: no PostgreSQL server binaries on this machine");
    }
    server
}

/// The server of [`installed`], for a test that found it there.
#[allow(dead_code)] // a test binary that takes the server from `installed` has no use for it
pub(crate) fn server() -> &'static TestServer {
    installed().expect("the test checked that a server is installed")
}
