//! `Reader::complaints` pages a tenant's complaints by right, campaign and status: every
//! combination of filters and page sizes, walked page by page, must give exactly what a plain
//! filter over all of them gives, in id order, each complaint once, on memory and SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use std::sync::Arc;

use aliprotect::campaign::{Campaign, CampaignCommand};
use aliprotect::clock::ManualClock;
use aliprotect::complaint::{Complaint, ComplaintCommand, ComplaintStatus, RemovalCause};
use aliprotect::engine::{Command, ComplaintQuery, Engine, Page, Request};
use aliprotect::ids::{CampaignId, ComplaintId, FilingId, RightId, TenantId};
use aliprotect::notify::DiscardNotifier;
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::{ReadModelExt, Store};
use aliprotect::store_memory::MemoryStore;
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::testkit::engines::approve_right;
use aliprotect::testkit::fixtures;

type PagingEngine<S> = Engine<S, DiscardNotifier, ManualClock>;

/// Two rights, two campaigns over both, and 30 complaints spread over them (some in no
/// campaign) in three statuses; another tenant's complaint beside them.
async fn tenant_with_complaints<S: Store>(
    engine: &PagingEngine<S>,
) -> (TenantId, [RightId; 2], [CampaignId; 2]) {
    let tenant = TenantId::new();
    let rights = [RightId::new(), RightId::new()];
    for right in rights {
        approve_right(engine, tenant, right).await.unwrap();
    }
    let user = fixtures::holder_user_of(tenant);
    let run = |actor, command| engine.execute(Request::new(tenant, actor, command));
    let campaigns = [CampaignId::new(), CampaignId::new()];
    for campaign in campaigns {
        let name = fixtures::text("Sweep");
        let created = Campaign::new(campaign, tenant, name, rights.to_vec(), fixtures::now());
        let create = CampaignCommand::Create(Box::new(created));
        run(user, Command::campaign(campaign, create))
            .await
            .unwrap();
    }
    for n in 0..30u64 {
        let id = ComplaintId::new();
        let mut filing = fixtures::complaint_filing(0, 1_600_000_000_000 + n);
        filing.id = id;
        filing.tenant = tenant;
        filing.filing = FilingId::new();
        filing.right = rights[(n % 2) as usize];
        // Every fourth listing in a seller's own shop, where its store id shows.
        if n % 4 == 0 {
            let url = format!(
                "https://shop{}.en.alibaba.com/product/{}.html",
                n % 3,
                1_600_000_000_000 + n
            );
            filing.listing = aliprotect::listing::Listing::parse(&url).unwrap();
        }
        filing.campaign = match n % 3 {
            0 => None,
            k => Some(campaigns[(k - 1) as usize]),
        };
        let file = ComplaintCommand::File(Box::new(filing));
        run(user, Command::complaint(id, file)).await.unwrap();
        run(user, Command::complaint(id, ComplaintCommand::Submit))
            .await
            .unwrap();
        if n % 5 >= 2 {
            run(
                Actor::Platform,
                Command::complaint(id, ComplaintCommand::Accept),
            )
            .await
            .unwrap();
        }
        if n % 5 == 4 {
            let removal = ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported,
            };
            run(Actor::Platform, Command::complaint(id, removal))
                .await
                .unwrap();
        }
    }
    // Another tenant's complaint on a right with the same id: never listed.
    let other = TenantId::new();
    approve_right(engine, other, rights[0]).await.unwrap();
    let id = ComplaintId::new();
    let filing = fixtures::complaint_filing_on(other, rights[0], id, 1_700_000_000_000);
    let file = ComplaintCommand::File(Box::new(filing));
    engine
        .execute(Request::new(
            other,
            fixtures::holder_user_of(other),
            Command::complaint(id, file),
        ))
        .await
        .unwrap();
    (tenant, rights, campaigns)
}

async fn every_page_walk_equals_the_filter<S: Store>(engine: PagingEngine<S>) {
    let (tenant, rights, campaigns) = tenant_with_complaints(&engine).await;
    let all: Vec<Arc<Complaint>> = engine.store().complaints(tenant, None).await.unwrap();
    assert_eq!(all.len(), 30);
    let statuses = [
        None,
        Some(ComplaintStatus::Submitted),
        Some(ComplaintStatus::InProgress),
        Some(ComplaintStatus::ListingRemoved),
    ];
    let mut walks = 0;
    for right in [None, Some(rights[0]), Some(rights[1])] {
        for campaign in [None, Some(campaigns[0]), Some(campaigns[1])] {
            for (status, seller) in statuses
                .into_iter()
                .flat_map(|status| [(status, None), (status, Some("shop1"))])
            {
                for limit in [1, 3, 7, 100] {
                    let mut query = ComplaintQuery::first(limit);
                    query.right = right;
                    query.campaign = campaign;
                    query.status = status;
                    query.seller = seller.map(str::to_owned);
                    let expected: Vec<ComplaintId> = all
                        .iter()
                        .filter(|c| query.keeps(c))
                        .map(|c| c.id())
                        .collect();
                    let mut walked = Vec::new();
                    loop {
                        let page = engine.read().complaints(tenant, &query).await.unwrap();
                        assert!(page.len() <= limit, "a page holds at most its limit");
                        walked.extend(page.iter().map(|c| c.id()));
                        match page.last() {
                            Some(last) if page.len() == limit => query = query.after(last.id()),
                            _ => break,
                        }
                    }
                    assert_eq!(
                        walked, expected,
                        "right {right:?}, campaign {campaign:?}, status {status:?}, \
                         seller {seller:?}, limit {limit}"
                    );
                    walks += 1;
                }
            }
        }
    }
    assert_eq!(walks, 3 * 3 * 4 * 2 * 4);
    let none = engine
        .read()
        .complaints(tenant, &ComplaintQuery::first(0))
        .await
        .unwrap();
    assert!(none.is_empty(), "a page of 0 is empty");

    let all_rights: Vec<RightId> = engine
        .store()
        .rights(tenant)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    let all_campaigns: Vec<CampaignId> = engine
        .store()
        .campaigns(tenant)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!((all_rights.len(), all_campaigns.len()), (2, 2));
    for limit in [1, 2, 3] {
        let rights = walk(limit, async |page| {
            let found = engine.read().rights(tenant, page).await.unwrap();
            found.iter().map(|r| r.id).collect()
        })
        .await;
        assert_eq!(rights, all_rights, "rights paged by {limit}");
        let campaigns = walk(limit, async |page| {
            let found = engine.read().campaigns(tenant, page).await.unwrap();
            found.iter().map(|c| c.id).collect()
        })
        .await;
        assert_eq!(campaigns, all_campaigns, "campaigns paged by {limit}");
    }
    let shown = engine.read().campaign(tenant, campaigns[1]).await.unwrap();
    assert_eq!(
        shown.map(|c| c.id),
        Some(campaigns[1]),
        "one campaign by id"
    );
    assert!(
        engine
            .read()
            .campaign(TenantId::new(), campaigns[1])
            .await
            .unwrap()
            .is_none(),
        "not another tenant's"
    );
}

/// Every id `page_of` lists, a page of `limit` at a time, each page after the last id of the
/// one before, until a short page.
async fn walk<Id: Copy>(
    limit: usize,
    mut page_of: impl AsyncFnMut(Page<Id>) -> Vec<Id>,
) -> Vec<Id> {
    let (mut walked, mut page) = (Vec::new(), Page::first(limit));
    loop {
        let found = page_of(page).await;
        assert!(found.len() <= limit, "a page holds at most its limit");
        walked.extend(&found);
        match found.last() {
            Some(last) if found.len() == limit => page = page.after(*last),
            _ => return walked,
        }
    }
}

fn engine_on<S: Store>(store: S) -> PagingEngine<S> {
    let mut policy = MarketplacePolicy::alibaba_ipp();
    policy.silence.seller_loses_after = None;
    Engine::new(
        store,
        DiscardNotifier,
        ManualClock::at(fixtures::now()),
        policy,
    )
}

#[tokio::test]
async fn complaint_pages_equal_the_filter_on_memory() {
    every_page_walk_equals_the_filter(engine_on(MemoryStore::new())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complaint_pages_equal_the_filter_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("paging.sqlite")).unwrap();
    every_page_walk_equals_the_filter(engine_on(store)).await;
}

/// The filer's accuracy and the sellers' records read the store's tallies, not the
/// complaints: over more complaints than a page of them (1,000) they equal the same figures
/// computed from all of them at once.
#[tokio::test]
async fn accuracy_and_seller_records_from_the_tallies_equal_the_whole_set() {
    use aliprotect::accuracy::Accuracy;
    use aliprotect::clock::Clock;
    use aliprotect::listing::Listing;
    use aliprotect::sellers::seller_records;

    let engine = engine_on(MemoryStore::new());
    let tenant = TenantId::new();
    let right = RightId::new();
    approve_right(&engine, tenant, right).await.unwrap();
    let user = fixtures::holder_user_of(tenant);
    let mut requests = Vec::new();
    let mut accepted = Vec::new();
    for n in 0..1_205u64 {
        let id = ComplaintId::new();
        let mut filing = fixtures::complaint_filing_on(tenant, right, id, n);
        filing.filing = FilingId::new();
        let url = format!(
            "https://seller{}.en.alibaba.com/product/{}.html",
            n % 40,
            1_600_000_000 + n
        );
        filing.listing = Listing::parse(&url).unwrap();
        let file = ComplaintCommand::File(Box::new(filing));
        requests.push(Request::new(tenant, user, Command::complaint(id, file)));
        requests.push(Request::new(
            tenant,
            user,
            Command::complaint(id, ComplaintCommand::Submit),
        ));
        if n % 3 == 0 {
            accepted.push(Request::new(
                tenant,
                Actor::Platform,
                Command::complaint(id, ComplaintCommand::Accept),
            ));
        }
        if n % 6 == 0 {
            let removal = ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported,
            };
            accepted.push(Request::new(
                tenant,
                Actor::Platform,
                Command::complaint(id, removal),
            ));
        }
    }
    for result in engine.execute_batch(requests).await {
        result.unwrap();
    }
    for request in accepted {
        engine.execute(request).await.unwrap();
    }
    let all = engine.store().complaints(tenant, None).await.unwrap();
    assert_eq!(all.len(), 1_205);
    let policy = engine.read().policy();
    let expected = Accuracy::of(
        all.iter().map(|c| &**c),
        engine.read().clock().now(),
        policy.trusted_filer.as_ref(),
    );
    let accuracy = engine.read().filer_accuracy(tenant).await.unwrap();
    assert_eq!(accuracy, expected);
    assert_eq!(
        accuracy.overall.taken_up, 402,
        "every third complaint was taken up"
    );
    let records = engine.read().seller_records(tenant).await.unwrap();
    assert_eq!(
        records,
        seller_records(all.iter().map(|c| &**c), policy.repeat_infringer_removals)
    );
    assert_eq!(records.len(), 40);
    assert_eq!(
        records.values().map(|r| r.complaints).sum::<u64>(),
        1_205,
        "every complaint counted once"
    );
}
