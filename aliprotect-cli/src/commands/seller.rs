//! `aliprotect seller list`: who keeps listing counterfeits, and which accounts are one
//! operation (networks, from contact data the user collected).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use aliprotect::ids::RightId;
use aliprotect::marketplace::Marketplace;
use aliprotect::sellers::{SellerContact, SellerKey, seller_networks};
use aliprotect::sweep::{AuthorisedSellers, Sweeps};
use clap::Subcommand;
use serde::Deserialize;

use crate::error::CliError;
use crate::output::{Cell, Output, Table, Tone};
use crate::session::Session;

/// `seller ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum SellerSubcommand {
    /// Sellers by removals, repeat infringers flagged, with their network.
    #[command(
        after_help = "Examples:\n  aliprotect seller list\n  aliprotect seller list --repeat-only --format csv\n  \
aliprotect seller list --contacts seller-contacts.csv\n\n\
A contacts file is CSV with a header: `seller` (required), `marketplace` (default\n\
alibaba.com), `email`, `phone`, `store_name`; one row per contact, as many per seller as\n\
found. Sellers sharing an email, a phone or a store name form a network."
    )]
    List {
        /// Only repeat infringers.
        #[arg(long)]
        repeat_only: bool,
        /// Sellers' contact data (CSV): sellers sharing any of it are shown as one network.
        #[arg(long, value_name = "FILE")]
        contacts: Option<PathBuf>,
        /// At most this many sellers.
        #[arg(long, value_name = "N", default_value_t = 1000)]
        limit: usize,
    },
    /// Authorise a seller for a right: sweeps allow its listings, no one reviews them.
    #[command(
        after_help = "Examples:\n  aliprotect seller authorise 'ACME Official Store' --right 0193a1f4-... --note 'Distributor, contract 2024-17'\n  \
aliprotect seller authorise acmeofficial --right 0193a1f4-...\n\n\
A seller is its store id (as in its shop's URL) or the name its listings show; case and\n\
surrounding spaces do not matter."
    )]
    Authorise {
        /// The seller.
        seller: String,
        /// The right.
        #[arg(long)]
        right: RightId,
        /// Why (a licence, a distribution contract).
        #[arg(long)]
        note: Option<String>,
    },
    /// Withdraw a seller's authorisation for a right.
    #[command(
        after_help = "Examples:\n  aliprotect seller withdraw 'ACME Official Store' --right 0193a1f4-..."
    )]
    Withdraw {
        /// The seller.
        seller: String,
        /// The right.
        #[arg(long)]
        right: RightId,
    },
    /// A right's authorised sellers.
    #[command(after_help = "Examples:\n  aliprotect seller authorised --right 0193a1f4-...")]
    Authorised {
        /// The right.
        #[arg(long)]
        right: RightId,
    },
}

pub(crate) async fn run(
    session: &Session,
    out: &Output,
    args: SellerSubcommand,
) -> Result<(), CliError> {
    let sweeps = Sweeps::new(&session.engine);
    let (tenant, me) = (session.tenant, session.me);
    match args {
        SellerSubcommand::List {
            repeat_only,
            contacts,
            limit,
        } => list(session, out, repeat_only, contacts, limit).await,
        SellerSubcommand::Authorise {
            seller,
            right,
            note,
        } => {
            let list = sweeps
                .authorise_seller(tenant, me, right, &seller, note.as_deref())
                .await?;
            out.table(&authorised_table(Some(&list)))
        }
        SellerSubcommand::Withdraw { seller, right } => {
            let list = sweeps.withdraw_seller(tenant, me, right, &seller).await?;
            out.table(&authorised_table(Some(&list)))
        }
        SellerSubcommand::Authorised { right } => {
            session.require_client().await?;
            let list = sweeps.authorised_sellers(tenant, right).await?;
            out.table(&authorised_table(list.as_ref()))
        }
    }
}

fn authorised_table(list: Option<&AuthorisedSellers>) -> Table {
    let mut table = Table::new(&["seller", "since", "note"]);
    for seller in list.iter().flat_map(|list| list.sellers.values()) {
        table.push(vec![
            Cell::text(&seller.seller),
            Cell::Time(seller.since),
            Cell::optional(seller.note.as_ref()),
        ]);
    }
    table
}

async fn list(
    session: &Session,
    out: &Output,
    repeat_only: bool,
    contacts: Option<PathBuf>,
    limit: usize,
) -> Result<(), CliError> {
    session.require_client().await?;
    let records = session.engine.read().seller_records(session.tenant).await?;
    // Each seller's network, numbered largest first.
    let mut network_of: BTreeMap<SellerKey, (usize, usize)> = BTreeMap::new();
    if let Some(path) = contacts {
        let contacts = read_contacts(&path)?;
        for (n, network) in seller_networks(&contacts, &records).iter().enumerate() {
            for seller in &network.sellers {
                network_of.insert(seller.clone(), (n + 1, network.sellers.len()));
            }
        }
    }
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
        "network",
    ]);
    for (key, record) in sellers.into_iter().take(limit) {
        let flag = if record.repeat_infringer {
            Cell::toned("yes", Tone::Bad)
        } else {
            Cell::text("no")
        };
        let network = network_of
            .get(&key)
            .map(|(n, size)| format!("#{n} ({size} accounts)"));
        let (marketplace, seller) = key;
        table.push(vec![
            Cell::text(seller),
            Cell::text(marketplace),
            Cell::Count(record.complaints),
            Cell::Count(record.removals),
            Cell::Count(record.relistings),
            Cell::Count(record.counter_notices),
            flag,
            Cell::optional(network),
        ]);
    }
    out.table(&table)
}

#[derive(Debug, Deserialize)]
struct ContactRow {
    seller: String,
    #[serde(default)]
    marketplace: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    store_name: Option<String>,
}

/// The contacts file, one `SellerContact` per seller with every row's data.
fn read_contacts(path: &Path) -> Result<Vec<SellerContact>, CliError> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| CliError::file(path, e))?;
    let mut by_seller: BTreeMap<SellerKey, SellerContact> = BTreeMap::new();
    for (n, row) in reader.deserialize::<ContactRow>().enumerate() {
        // Line numbers count the header.
        let row = row.map_err(|e| CliError::file(path, format!("line {}: {e}", n + 2)))?;
        let marketplace: Marketplace = row
            .marketplace
            .as_deref()
            .filter(|m| !m.is_empty())
            .unwrap_or("alibaba.com")
            .parse()
            .map_err(|e| CliError::file(path, format!("line {}: {e}", n + 2)))?;
        let key = (marketplace, row.seller.trim().to_owned());
        let contact = by_seller
            .entry(key.clone())
            .or_insert_with(|| SellerContact {
                seller: Some(key),
                ..SellerContact::default()
            });
        let present = |value: Option<String>| value.filter(|v| !v.trim().is_empty());
        contact.emails.extend(present(row.email));
        contact.phones.extend(present(row.phone));
        contact.store_names.extend(present(row.store_name));
    }
    Ok(by_seller.into_values().collect())
}
