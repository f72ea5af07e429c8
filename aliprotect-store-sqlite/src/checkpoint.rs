//! Checkpoints in the background. Copying the WAL back into the database file took about a
//! third of the writer thread's time under load (measured with `perf` on bulk filing); on a
//! thread of its own, with its own connection, it runs beside the writer instead of in its
//! way. The writer still checkpoints by itself if the WAL grows past
//! [`WRITER_AUTOCHECKPOINT_PAGES`], so a stalled checkpointer cannot let the file grow without
//! bound.

use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// The writer's own automatic checkpoint, as a safety net: 40 MiB of WAL at 4 KiB pages.
pub(crate) const WRITER_AUTOCHECKPOINT_PAGES: i64 = 10_000;

/// At most one background checkpoint per interval: enough to keep the WAL near SQLite's
/// default of 1,000 pages under bulk writes without an fsync after every commit.
const INTERVAL: Duration = Duration::from_millis(100);

/// The writer's side: tells the checkpointer that a transaction was committed.
pub(crate) struct Wrote(SyncSender<()>);

impl Wrote {
    /// Never blocks: a signal already pending covers this one too.
    pub(crate) fn signal(&self) {
        let _ = self.0.try_send(());
    }
}

/// Starts the checkpointer on `connection`. It stops when the [`Wrote`] side is dropped,
/// after a last checkpoint.
pub(crate) fn spawn(connection: Connection) -> std::io::Result<(Wrote, JoinHandle<()>)> {
    let (wrote, signals) = mpsc::sync_channel(1);
    let handle = std::thread::Builder::new()
        .name("aliprotect-sqlite-checkpoint".to_owned())
        .spawn(move || run(&connection, &signals))?;
    Ok((Wrote(wrote), handle))
}

fn run(connection: &Connection, signals: &Receiver<()>) {
    let mut last = Instant::now();
    while signals.recv().is_ok() {
        // Let commits accumulate for the rest of the interval, then copy them all at once.
        std::thread::sleep(INTERVAL.saturating_sub(last.elapsed()));
        if matches!(signals.try_recv(), Err(TryRecvError::Disconnected)) {
            break;
        }
        checkpoint(connection);
        last = Instant::now();
    }
    checkpoint(connection);
}

/// A PASSIVE checkpoint never waits for the writer or readers: it copies what it can now.
fn checkpoint(connection: &Connection) {
    let result = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    if let Err(error) = result {
        tracing::warn!(%error, "background checkpoint failed; the writer's own will run");
    }
}
