//! `aliprotect seller list`: who keeps listing counterfeits.

use crate::cli::SellerCommand as Args;
use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::session::Session;

pub(crate) async fn run(session: &Session, out: &Output, args: Args) -> Result<(), CliError> {
    let Args::List { repeat_only } = args;
    let records = session.engine.seller_records(session.tenant).await?;
    let mut sellers: Vec<_> = records
        .into_iter()
        .filter(|(_, record)| !repeat_only || record.repeat_infringer)
        .collect();
    // Repeat infringers first, then by removals, then by name.
    sellers.sort_by(|(a_key, a), (b_key, b)| {
        (b.repeat_infringer, b.removals, b.complaints)
            .cmp(&(a.repeat_infringer, a.removals, a.complaints))
            .then_with(|| a_key.cmp(b_key))
    });
    let mut table = Table::new(&[
        "seller",
        "marketplace",
        "complaints",
        "removals",
        "relistings",
        "counter_notices",
        "repeat_infringer",
    ]);
    for ((marketplace, seller), record) in sellers {
        let flag = if record.repeat_infringer {
            Cell::toned("yes", Tone::Bad)
        } else {
            Cell::text("no")
        };
        table.push(vec![
            Cell::text(seller),
            Cell::text(marketplace),
            Cell::Count(record.complaints),
            Cell::Count(record.removals),
            Cell::Count(record.relistings),
            Cell::Count(record.counter_notices),
            flag,
        ]);
    }
    out.table(&table)
}
