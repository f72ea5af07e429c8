//! An inbox of 10,000 of the platform's emails on SQLite: each an "Unable to Process" about
//! one of 10,000 submitted complaints (found by its listing's URL), read from a maildir,
//! kept as evidence, recorded and applied; then read again, when nothing is new.
//!
//! ```text
//! cargo run --release --example bench_inbox -- [emails]
//! ```
//!
//! Default: 10,000 emails. The emails are kept as evidence in the temporary directory, or
//! under `BENCH_EVIDENCE_DIR` when set (`/dev/shm/...` shows what the rest costs).
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::time::Instant;

use aliprotect::clock::SystemClock;
use aliprotect::engine::Engine;
use aliprotect::notify::DiscardNotifier;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::engines::{approved_right, submitted_in_bulk};
use aliprotect::testkit::fixtures;
use aliprotect_evidence::DirectoryEvidence;
use aliprotect_inbox::{Inboxes, MailFiles};

type Failure = Box<dyn Error + Send + Sync>;

fn listing(n: u64) -> String {
    format!(
        "https://www.alibaba.com/product-detail/Earbuds_{}.html",
        1_600_000_000 + n
    )
}

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let emails: u64 = match std::env::args().nth(1) {
        Some(n) => n.parse()?,
        None => 10_000,
    };
    let dir = tempfile::tempdir()?;
    let engine = Engine::new(
        SqliteStore::open(dir.path().join("bench.db"))?,
        DiscardNotifier,
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    );
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = approved_right(&engine, tenant).await?;
    submitted_in_bulk(
        &engine,
        tenant,
        (0..emails).map(|n| fixtures::bulk_filing(tenant, right, &listing(n), n)),
    )
    .await?;

    let maildir = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub))?;
    }
    for n in 0..emails {
        let email = format!(
            "Message-ID: <{n}@ipp.alibaba.example>\r\nFrom: IPP <ipp@service.alibaba.com>\r\n\
             Subject: Complaint result\r\nDate: Wed, 02 Dec 2026 09:00:00 +0800\r\n\
             Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             Dear IPP user,\r\n\r\nWe have reviewed your complaint against the listing below.\r\n{}\r\n\r\n\
             Result: Unable to Process\r\nReason: The product link provided is invalid.\r\n",
            listing(n)
        );
        std::fs::write(maildir.join("new").join(format!("{n:06}")), email)?;
    }
    let inbox = MailFiles::open(&maildir)?;
    let evidence_dir = std::env::var_os("BENCH_EVIDENCE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("evidence"));
    let evidence = DirectoryEvidence::open(&evidence_dir)?;
    let inboxes = Inboxes::new(&engine);

    let started = Instant::now();
    let first = inboxes
        .read(tenant, holder, &inbox, &evidence, |_| {})
        .await?;
    let reading = started.elapsed();
    assert_eq!(first.applied as u64, emails, "{first:?}");

    let started = Instant::now();
    let again = inboxes
        .read(tenant, holder, &inbox, &evidence, |_| {})
        .await?;
    let rereading = started.elapsed();
    assert_eq!(again.seen_before as u64, emails, "{again:?}");

    let rate = |d: std::time::Duration| emails as f64 / d.as_secs_f64();
    println!("inbox of {emails} emails (maildir), SQLite:");
    println!(
        "  read, kept, recorded and applied: {:>7.2} s  {:>7.0} emails/s",
        reading.as_secs_f64(),
        rate(reading)
    );
    println!(
        "  read again (nothing new):         {:>7.2} s  {:>7.0} emails/s",
        rereading.as_secs_f64(),
        rate(rereading)
    );
    Ok(())
}
