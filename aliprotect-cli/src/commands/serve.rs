//! `aliprotect serve`: the web dashboard and the HTTP API on the database, until Ctrl-C;
//! with `--work`, also the rounds of `aliprotect tick`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aliprotect::probe::ListingProbe;

use aliprotect::web::{Web, WebConfig};
use clap::Args;

use crate::commands::tick::ProbeArgs;
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
    /// Also do what `aliprotect tick` does, every --work-every seconds, so that no other
    /// process (cron) has to; /metrics then counts timers fired and check-backs by finding.
    /// On a stop, the round under way is finished first (at most 60 s).
    #[arg(long)]
    pub(crate) work: bool,
    /// Seconds between two rounds of work (1 to 86400).
    #[arg(long, value_name = "SECONDS", default_value_t = 60, requires = "work",
          value_parser = clap::value_parser!(u32).range(1..=86_400))]
    pub(crate) work_every: u32,
    #[command(flatten)]
    pub(crate) probe: ProbeArgs,
}

pub(crate) async fn run(session: &Session, out: &Output, args: ServeArgs) -> Result<(), CliError> {
    if args.probe.probe && !args.work {
        return Err(CliError::Usage(
            "--probe looks at listings during the work: give --work too".to_owned(),
        ));
    }
    // Built before listening, so that a bad probe option stops the server from starting.
    let probe = args.probe.build(session)?;
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
    // One signal stops both: the server after the requests under way, the work after its
    // round under way (or when the server fails and drops the sender).
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let work = args.work.then(|| {
        let worker = web.clone();
        let every = Duration::from_secs(u64::from(args.work_every));
        let probe: Option<Arc<dyn ListingProbe>> = probe.map(|probe| Arc::new(probe) as _);
        let mut stopped = stopped;
        tokio::spawn(async move {
            let stop = async move {
                // Err: the sender is gone, which is a stop too.
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            worker.work(every, probe.as_deref(), stop).await;
        })
    });
    let shutdown = async move {
        stop_signal().await;
        let _ = stop.send(true);
    };
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    if let Some(work) = work {
        finish_work(out, work).await;
    }
    served.map_err(|e| CliError::Environment(format!("the server failed: {e}")))?;
    out.note("Stopped.");
    Ok(())
}

/// How long a stop waits for the round of work under way: less than the 90 s a service
/// manager (systemd) gives before it kills.
const WORK_GRACE: Duration = Duration::from_secs(60);

/// Waits for the work's round under way, at most [`WORK_GRACE`]; then cuts it short.
async fn finish_work(out: &Output, mut work: tokio::task::JoinHandle<()>) {
    match tokio::time::timeout(WORK_GRACE, &mut work).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "the background work ended abnormally"),
        Err(_) => {
            work.abort();
            out.note(
                "The round of work under way was cut short: listings it had not looked at yet \
                 wait for their next check-back.",
            );
        }
    }
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
