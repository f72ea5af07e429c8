//! A damaged SQLite store file: a valid file holding two tenants is damaged (bytes flipped,
//! overwritten or cut short), opened, and read through the store. Every answer is a typed
//! error or data; never a panic or a hang, and never one tenant's data in the other's reads.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use aliprotect::clock::ManualClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintFiling, ComplaintReason};
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{ComplaintId, RightId, TenantId, UserId};
use aliprotect::listing::Listing;
use aliprotect::notify::DiscardNotifier;
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::backend::{CountBy, EventLog, ReadModel, ReadModelExt, StreamId};
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::fixtures;
use aliprotect::text::Text;
use libfuzzer_sys::fuzz_target;

const SECRET_A: &str = "TENANT-A-ONLY";
const SECRET_B: &str = "TENANT-B-ONLY";

struct Original {
    runtime: tokio::runtime::Runtime,
    bytes: Vec<u8>,
    dir: tempfile::TempDir,
    tenants: [(TenantId, RightId, ComplaintId, &'static str, &'static str); 2],
}

fn original() -> &'static Original {
    static ORIGINAL: OnceLock<Original> = OnceLock::new();
    ORIGINAL.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("original.sqlite");
        let tenants = [
            (
                TenantId::from_u128(1),
                RightId::from_u128(11),
                ComplaintId::from_u128(21),
                SECRET_A,
                SECRET_B,
            ),
            (
                TenantId::from_u128(2),
                RightId::from_u128(12),
                ComplaintId::from_u128(22),
                SECRET_B,
                SECRET_A,
            ),
        ];
        runtime.block_on(async {
            let store = SqliteStore::open(&path).expect("a store");
            let engine = Engine::new(
                store,
                DiscardNotifier,
                ManualClock::at(fixtures::now()),
                MarketplacePolicy::alibaba_ipp(),
            );
            for (tenant, right, complaint, secret, _) in tenants {
                let mut package = fixtures::trademark_package();
                package.holder.tenant = tenant;
                for (actor, command) in fixtures::approval_of(right, tenant, package) {
                    engine
                        .execute(Request::new(tenant, actor, Command::right(right, command)))
                        .await
                        .expect("approval");
                }
                let listing = Listing::parse(&format!(
                    "https://www.alibaba.com/product-detail/Buds_{}.html",
                    1_600_000_000u64 + complaint.as_uuid().as_u128() as u64
                ))
                .expect("a listing");
                let filing = ComplaintFiling::new(
                    complaint,
                    tenant,
                    right,
                    listing,
                    ComplaintReason::TrademarkCounterfeit,
                    Text::new(format!("explanation {secret}")).expect("text"),
                );
                let me = Actor::HolderUser {
                    tenant,
                    user: UserId::from_u128(31),
                };
                for command in [
                    ComplaintCommand::File(Box::new(filing)),
                    ComplaintCommand::Submit,
                ] {
                    engine
                        .execute(Request::new(
                            tenant,
                            me,
                            Command::complaint(complaint, command),
                        ))
                        .await
                        .expect("filing");
                }
            }
        });
        // Dropped: the last connection checkpoints the WAL into the file.
        let bytes = std::fs::read(&path).expect("the file");
        Original {
            runtime,
            bytes,
            dir,
            tenants,
        }
    })
}

fn damaged_path(original: &Original) -> PathBuf {
    let path = original.dir.path().join("damaged.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

/// The input's damage: the first byte chooses truncation or overwrites, the rest says where.
fn damage(bytes: &[u8], input: &[u8]) -> Vec<u8> {
    let mut damaged = bytes.to_vec();
    let Some((&mode, rest)) = input.split_first() else {
        return damaged;
    };
    if mode % 4 == 0 && rest.len() >= 4 {
        let at = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        damaged.truncate(at % (damaged.len() + 1));
        return damaged;
    }
    for chunk in rest.chunks_exact(5) {
        let at = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]) as usize;
        let len = damaged.len();
        if len == 0 {
            break;
        }
        // Page headers and the first page matter most: aim half the writes there.
        let at = if mode % 2 == 0 {
            at % len
        } else {
            at % len.min(8192)
        };
        damaged[at] ^= chunk[4].max(1);
    }
    damaged
}

fn leaks(answer: &impl std::fmt::Debug, foreign: &str) -> bool {
    format!("{answer:?}").contains(foreign)
}

fuzz_target!(|input: &[u8]| {
    let original = original();
    let path = damaged_path(original);
    std::fs::write(&path, damage(&original.bytes, input)).expect("write the damaged file");
    let Ok(store) = SqliteStore::open(&path) else {
        return;
    };
    original.runtime.block_on(async {
        for (tenant, right, complaint, _, foreign) in original.tenants {
            let complaints = store.complaints(tenant, None).await;
            assert!(
                !leaks(&complaints, foreign),
                "another tenant's complaint read"
            );
            let rights = store.rights(tenant).await;
            assert!(!leaks(&rights, foreign));
            for stream in [StreamId::Complaint(complaint), StreamId::Right(right)] {
                let loaded = store.load(tenant, stream).await;
                assert!(!leaks(&loaded, foreign), "another tenant's stream loaded");
                let history = store.history(tenant, stream).await;
                assert!(!leaks(&history, foreign), "another tenant's history read");
            }
            for by in [CountBy::Status, CountBy::Right, CountBy::Seller] {
                let _ = store.complaint_counts(tenant, by).await;
            }
            let _ = store.right_counts(tenant).await;
            let _ = store.metric_tallies(tenant, None).await;
            let _ = store.campaigns(tenant).await;
        }
    });
});
