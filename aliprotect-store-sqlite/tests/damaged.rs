//! A damaged file, in the ordinary test suite: the fuzz target `damaged_sqlite` (see
//! `fuzz/README.md`) in a fixed, seeded form that CI runs every time. A valid file holding two
//! tenants is damaged 300 ways (bytes flipped in the header, anywhere, or the file cut
//! short), opened and read through the store: each read is a typed error or data, never a
//! panic, and never one tenant's data in the other's reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aliprotect_core::clock::ManualClock;
use aliprotect_core::complaint::{ComplaintCommand, ComplaintFiling, ComplaintReason};
use aliprotect_core::engine::{Command, Engine, Request};
use aliprotect_core::ids::{ComplaintId, RightId, TenantId, UserId};
use aliprotect_core::listing::Listing;
use aliprotect_core::notify::DiscardNotifier;
use aliprotect_core::party::Actor;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::store::prelude::*;
use aliprotect_core::store::{CountBy, StreamId};
use aliprotect_core::testkit::engines::approve_right;
use aliprotect_core::testkit::fixtures;
use aliprotect_core::text::Text;
use aliprotect_store_sqlite::SqliteStore;

const MARKS: [&str; 2] = ["TENANT-A-ONLY", "TENANT-B-ONLY"];

fn tenants() -> [(TenantId, RightId, ComplaintId); 2] {
    [
        (
            TenantId::from_u128(1),
            RightId::from_u128(11),
            ComplaintId::from_u128(21),
        ),
        (
            TenantId::from_u128(2),
            RightId::from_u128(12),
            ComplaintId::from_u128(22),
        ),
    ]
}

/// A valid store file with one approved right and one submitted complaint per tenant, each
/// complaint's explanation carrying its tenant's mark.
async fn original(path: &std::path::Path) -> Vec<u8> {
    {
        let store = SqliteStore::open(path).unwrap();
        let clock = ManualClock::at(fixtures::now());
        let engine = Engine::new(
            store,
            DiscardNotifier,
            clock,
            MarketplacePolicy::alibaba_ipp(),
        );
        for ((tenant, right, complaint), mark) in tenants().into_iter().zip(MARKS) {
            approve_right(&engine, tenant, right).await.unwrap();
            let url = format!(
                "https://www.alibaba.com/product-detail/Buds_{}.html",
                1_600_000_000 + complaint.as_uuid().as_u128()
            );
            let filing = ComplaintFiling::new(
                complaint,
                tenant,
                right,
                Listing::parse(&url).unwrap(),
                ComplaintReason::TrademarkCounterfeit,
                Text::new(format!("explanation {mark}")).unwrap(),
            );
            let me = Actor::HolderUser {
                tenant,
                user: UserId::from_u128(31),
            };
            for command in [
                ComplaintCommand::File(Box::new(filing)),
                ComplaintCommand::Submit,
            ] {
                let command = Command::complaint(complaint, command);
                engine
                    .execute(Request::new(tenant, me, command))
                    .await
                    .unwrap();
            }
        }
    }
    std::fs::read(path).unwrap()
}

/// xorshift64*: the same damages on every run.
struct Damages(u64);

impl Damages {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn apply(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut damaged = bytes.to_vec();
        match self.below(4) {
            0 => damaged.truncate(self.below(bytes.len())),
            1 => {
                // The header and first page, where SQLite looks first.
                for _ in 0..=self.below(4) {
                    let at = self.below(damaged.len().min(4096));
                    damaged[at] ^= (self.next() as u8).max(1);
                }
            }
            _ => {
                for _ in 0..=self.below(8) {
                    let at = self.below(damaged.len());
                    damaged[at] ^= (self.next() as u8).max(1);
                }
            }
        }
        damaged
    }
}

fn leaks(answer: &impl std::fmt::Debug, foreign: &str) -> bool {
    format!("{answer:?}").contains(foreign)
}

#[tokio::test]
async fn a_damaged_file_gives_typed_errors_or_data_never_another_tenants() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = original(&dir.path().join("original.sqlite")).await;
    let mut damages = Damages(0x5EED_F00D_CAFE_BEEF);
    let (mut opened, mut refused) = (0, 0);
    for round in 0..300 {
        let path = dir.path().join(format!("damaged-{round}.sqlite"));
        std::fs::write(&path, damages.apply(&bytes)).unwrap();
        let Ok(store) = SqliteStore::open(&path) else {
            refused += 1;
            continue;
        };
        opened += 1;
        for ((tenant, right, complaint), index) in tenants().into_iter().zip([1, 0]) {
            let foreign = MARKS[index];
            let complaints = store.complaints(tenant, None).await;
            assert!(
                !leaks(&complaints, foreign),
                "round {round}: another tenant's complaint"
            );
            assert!(!leaks(&store.rights(tenant).await, foreign));
            for stream in [StreamId::Complaint(complaint), StreamId::Right(right)] {
                let loaded = store.load(tenant, stream).await;
                assert!(
                    !leaks(&loaded, foreign),
                    "round {round}: another tenant's stream"
                );
                let history = store.history(tenant, stream).await;
                assert!(
                    !leaks(&history, foreign),
                    "round {round}: another tenant's history"
                );
            }
            for by in [CountBy::Status, CountBy::Right, CountBy::Seller] {
                let _ = store.complaint_counts(tenant, by).await;
            }
            let _ = store.metric_tallies(tenant, None).await;
        }
    }
    // Both branches ran: some damages are refused at opening, others are read through.
    assert!(
        opened > 0 && refused > 0,
        "opened {opened}, refused {refused}"
    );
}
