//! `aliprotect serve`: the web dashboard and the HTTP API on the database, until Ctrl-C.

use std::net::SocketAddr;

use aliprotect::web::{Web, WebConfig};
use clap::Args;

use crate::error::CliError;
use crate::output::Output;
use crate::session::{Session, tenant_of};

/// `serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The address to listen on.
    #[arg(
        long,
        value_name = "ADDRESS",
        env = "ALIPROTECT_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub(crate) listen: SocketAddr,
    /// The address people reach the server at (behind a TLS proxy: its https:// URL).
    /// Cookies are marked Secure unless it is plain http://. Default: http:// and the address
    /// listened on.
    #[arg(long, value_name = "URL")]
    pub(crate) public_url: Option<String>,
}

pub(crate) async fn run(session: &Session, out: &Output, args: ServeArgs) -> Result<(), CliError> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| CliError::Environment(format!("cannot listen on {}: {e}", args.listen)))?;
    // The address bound, which says the port when port 0 asked for any free one.
    let listening = listener.local_addr().unwrap_or(args.listen);
    let public_url = args
        .public_url
        .unwrap_or_else(|| format!("http://{listening}"));
    if !listening.ip().is_loopback() && public_url.starts_with("http://") {
        out.note(
            "Warning: listening beyond this machine over plain HTTP: passwords and sessions \
             cross the network readable. Put the server behind TLS and give --public-url https://...",
        );
    }
    let web = Web::new(
        session.engine.clone(),
        tenant_of,
        WebConfig::for_public_url(&public_url),
    );
    out.note(format!(
        "Serving on {public_url} (API: {public_url}/api/openapi.json); Ctrl-C stops. \
         Sign in with an account from `aliprotect user add`."
    ));
    let app = web
        .router()
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await
        .map_err(|e| CliError::Environment(format!("the server failed: {e}")))?;
    out.note("Stopped.");
    Ok(())
}

/// Ctrl-C, or SIGTERM (what service managers send): requests under way are finished first.
async fn stop_signal() {
    let ctrl_c = async {
        // Without a handler the server runs until killed, as a server without one would.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
