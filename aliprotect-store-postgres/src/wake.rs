//! Wake-ups: a commit that leaves work another engine could take up now (a notification to
//! deliver, cross-stream work) sends `NOTIFY aliprotect_wake` with an empty payload in its
//! transaction; every store listening on the database wakes its waiting workers. A missed
//! wake-up costs one poll interval, never correctness: workers poll anyway.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::sync::Notify;
use tokio_postgres::AsyncMessage;
use tokio_postgres_rustls::MakeRustlsConnect;

/// The channel wake-ups are sent on.
pub(crate) const WAKE_CHANNEL: &str = "aliprotect_wake";

/// How an idle engine learns that there is work: see [`PostgresOptions::wake_ups`](crate::PostgresOptions::wake_ups).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum WakeUps {
    /// LISTEN on a connection of its own, and NOTIFY from commits: idle workers wake at
    /// once. Needs a session that lasts (a direct connection, or a pooler in session mode).
    #[default]
    Listen,
    /// No LISTEN, no NOTIFY: workers find work by polling alone. For Postgres-compatible
    /// databases without LISTEN (CockroachDB, YugabyteDB); behind a pooler in transaction
    /// mode, [`Pooler::Transaction`](crate::Pooler::Transaction) implies it.
    PollOnly,
}

/// Spawns the listener: it keeps a connection that LISTENs, reconnecting after a failure,
/// and wakes `notify`'s waiters on every notification (and once after each reconnection,
/// since notifications sent meanwhile were lost). It stops when `notify` has no other owner.
pub(crate) fn spawn_listener(
    config: tokio_postgres::Config,
    tls: MakeRustlsConnect,
    notify: Arc<Notify>,
) {
    let notify = Arc::downgrade(&notify);
    tokio::spawn(async move {
        let mut backoff = Duration::from_millis(100);
        loop {
            if notify.strong_count() == 0 {
                return;
            }
            match listen(&config, &tls, &notify).await {
                Ok(()) => return,
                Err(error) => {
                    tracing::warn!(%error, "wake-up listener lost its connection; reconnecting");
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    });
}

/// Listens until the connection fails (an error) or the store is gone (`Ok`).
async fn listen(
    config: &tokio_postgres::Config,
    tls: &MakeRustlsConnect,
    notify: &std::sync::Weak<Notify>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (client, mut connection) = config.connect(tls.clone()).await?;
    let (sender, mut messages) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut stream = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = stream.next().await {
            match message {
                Ok(AsyncMessage::Notification(_)) => {
                    if sender.send(Ok(())).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    let _ = sender.send(Err(error));
                    return;
                }
            }
        }
    });
    let listening = client
        .batch_execute(&format!("LISTEN {WAKE_CHANNEL}"))
        .await;
    if let Err(error) = listening {
        driver.abort();
        return Err(error.into());
    }
    // Whatever was committed while we were not listening.
    wake(notify);
    let result = loop {
        tokio::select! {
            message = messages.recv() => match message {
                Some(Ok(())) => {
                    if !wake(notify) {
                        break Ok(());
                    }
                }
                Some(Err(error)) => break Err(error.into()),
                None => break Err("the server closed the connection".into()),
            },
            // The store may be dropped while no one commits: look now and then.
            () = tokio::time::sleep(Duration::from_secs(5)) => {
                if notify.strong_count() == 0 {
                    break Ok(());
                }
            }
        }
    };
    driver.abort();
    result
}

/// Wakes the waiters; false once the store is gone.
fn wake(notify: &std::sync::Weak<Notify>) -> bool {
    match notify.upgrade() {
        Some(notify) => {
            notify.notify_waiters();
            true
        }
        None => false,
    }
}
