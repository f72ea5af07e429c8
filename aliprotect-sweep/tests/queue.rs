//! The review queue's two choices the policy makes: a listing confirmed while its right is
//! under review is staged, not refused; a relisting under a campaign that holds relistings
//! waits for a person, and a person's confirmation files it as a follow-up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aliprotect_core::campaign::{Campaign, CampaignCommand};
use aliprotect_core::clock::SystemClock;
use aliprotect_core::complaint::{ComplaintReason, ComplaintStatus, FollowUpKind};
use aliprotect_core::engine::{Command, Engine, Request};
use aliprotect_core::ids::{CampaignId, ComplaintId, RightId, TenantId};
use aliprotect_core::intake::IntakeFormat;
use aliprotect_core::listing::{Listing, ListingDetails};
use aliprotect_core::marketplace::Marketplace;
use aliprotect_core::policy::MarketplacePolicy;
use aliprotect_core::testkit::engines::{self, RecordingNotifier};
use aliprotect_core::testkit::fixtures;
use aliprotect_store_memory::MemoryStore;
use aliprotect_sweep::{Candidate, CandidateQuery, CandidateStatus, FileSearch, SweepSpec, Sweeps};

type TestEngine = Engine<MemoryStore, RecordingNotifier, SystemClock>;

fn engine() -> TestEngine {
    Engine::new(
        MemoryStore::new(),
        RecordingNotifier::default(),
        SystemClock,
        MarketplacePolicy::alibaba_ipp(),
    )
}

fn url(n: u64) -> String {
    format!(
        "https://www.alibaba.com/product-detail/Earbuds_{}.html",
        1_600_000_000 + n
    )
}

fn spec(right: RightId, campaign: Option<CampaignId>) -> SweepSpec {
    SweepSpec {
        name: "queue".into(),
        keywords: vec!["earbuds".into()],
        marketplace: Marketplace::AlibabaCom,
        right,
        campaign,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: fixtures::text("Counterfeit"),
        every_hours: 24,
        page_budget: 3,
    }
}

/// A complaint on listing 1 ("ACME TWS Earbuds Pro" by `seller`) walked to the listing's
/// removal: what a later listing may relist.
async fn removed_listing(
    engine: &TestEngine,
    tenant: TenantId,
    right: RightId,
    seller: &str,
) -> ComplaintId {
    let removed = ComplaintId::new();
    let mut filing = fixtures::complaint_filing_on(tenant, right, removed, 1);
    filing.listing = Listing::parse(&url(1)).unwrap();
    filing.details = ListingDetails {
        title: Some("ACME TWS Earbuds Pro".into()),
        seller_name: Some(seller.into()),
        ..ListingDetails::default()
    };
    engines::live_through(engine, tenant, filing).await.unwrap();
    removed
}

/// The one candidate a new sweep on `right` finds in an export of listing `n`, run by the
/// tenant's holder.
async fn the_candidate(
    sweeps: &Sweeps<'_, MemoryStore, RecordingNotifier, SystemClock>,
    tenant: TenantId,
    right: RightId,
    n: u64,
) -> Candidate {
    let holder = fixtures::holder_user_of(tenant);
    let sweep = sweeps.add(tenant, holder, spec(right, None)).await.unwrap();
    let export = format!("url,title,seller\n{},Earbuds,Copy Co\n", url(n));
    let search = FileSearch::read(IntakeFormat::Csv, export.as_bytes());
    sweeps.run(tenant, holder, sweep.id, &search).await.unwrap();
    let mut found = sweeps
        .candidates(tenant, &CandidateQuery::all())
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

/// A right of `tenant` walked to "under review" (not approved).
async fn right_under_review(engine: &TestEngine, tenant: TenantId) -> RightId {
    let right = RightId::new();
    let mut package = fixtures::trademark_package();
    package.holder.tenant = tenant;
    let mut steps = fixtures::approval_of(right, tenant, package);
    steps.pop();
    for (actor, command) in steps {
        engine
            .execute(Request::new(tenant, actor, Command::right(right, command)))
            .await
            .unwrap();
    }
    right
}

#[tokio::test]
async fn a_listing_confirmed_while_its_right_is_under_review_is_staged() {
    let engine = engine();
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = right_under_review(&engine, tenant).await;
    let sweeps = Sweeps::new(&engine);
    let candidate = the_candidate(&sweeps, tenant, right, 1).await;
    let confirmed = sweeps
        .confirm(tenant, holder, &[candidate.id])
        .await
        .unwrap();
    let complaint = *confirmed[0].1.as_ref().unwrap();
    let filed = engine
        .read()
        .complaint(tenant, complaint)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(filed.status(), ComplaintStatus::Staged);
}

#[tokio::test]
async fn a_campaign_that_holds_relistings_leaves_them_to_a_person() {
    let engine = engine();
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = engines::approved_right(&engine, tenant).await.unwrap();
    let campaign = CampaignId::new();
    let created = Campaign::new(
        campaign,
        tenant,
        fixtures::text("Spring"),
        vec![right],
        fixtures::now(),
    )
    .auto_file_relistings(false);
    engine
        .execute(Request::new(
            tenant,
            holder,
            Command::campaign(campaign, CampaignCommand::Create(Box::new(created))),
        ))
        .await
        .unwrap();
    // A removed listing of Repeat Co's: its product comes back under another id.
    let removed = removed_listing(&engine, tenant, right, "Repeat Co").await;

    let sweeps = Sweeps::new(&engine);
    let sweep = sweeps
        .add(tenant, holder, spec(right, Some(campaign)))
        .await
        .unwrap();
    let export = format!(
        "url,title,seller\n{},ACME TWS Earbuds-Pro!,Repeat Co\n",
        url(2)
    );
    let search = FileSearch::read(IntakeFormat::Csv, export.as_bytes());
    let run = sweeps.run(tenant, holder, sweep.id, &search).await.unwrap();
    assert_eq!((run.relistings, run.filed), (1, 0), "{run:?}");
    let queue = sweeps
        .candidates(tenant, &CandidateQuery::all())
        .await
        .unwrap();
    assert_eq!(
        queue[0].status,
        CandidateStatus::Relisting { previous: removed }
    );

    let confirmed = sweeps
        .confirm(tenant, holder, &[queue[0].id])
        .await
        .unwrap();
    let complaint = *confirmed[0].1.as_ref().unwrap();
    let filed = engine
        .read()
        .complaint(tenant, complaint)
        .await
        .unwrap()
        .unwrap();
    let follows = filed.filed.follows.unwrap();
    assert_eq!(
        (follows.previous, follows.kind),
        (removed, FollowUpKind::Relisting)
    );
    assert_eq!(filed.filed.campaign, Some(campaign));
}

#[tokio::test]
async fn a_confirmation_cut_short_after_the_filing_files_nothing_twice() {
    use aliprotect_core::complaint::{ComplaintCommand, RemovalCause};
    use aliprotect_core::engine::ComplaintQuery;
    use aliprotect_core::intake::{IntakeRequest, ListingToFile};
    use aliprotect_core::party::Actor;

    let engine = engine();
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = engines::approved_right(&engine, tenant).await.unwrap();
    let sweeps = Sweeps::new(&engine);
    let candidate = the_candidate(&sweeps, tenant, right, 7).await;

    // The first confirmation filed the complaint, then the process died before recording
    // the candidate confirmed; meanwhile the listing was removed, closing the complaint.
    let request = IntakeRequest {
        tenant,
        actor: holder,
        marketplace: Marketplace::AlibabaCom,
        right,
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: fixtures::text("Counterfeit"),
        campaign: None,
        submit: true,
    };
    let to_file = ListingToFile {
        complaint: candidate.complaint_id(),
        listing: candidate.listing.clone(),
        details: candidate.details.clone(),
    };
    engine
        .intake_listings(&request, vec![to_file], |_| {})
        .await
        .unwrap();
    for command in [
        ComplaintCommand::Accept,
        ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported,
        },
    ] {
        engine
            .execute(Request::new(
                tenant,
                Actor::Platform,
                Command::complaint(candidate.complaint_id(), command),
            ))
            .await
            .unwrap();
    }

    let confirmed = sweeps
        .confirm(tenant, holder, &[candidate.id])
        .await
        .unwrap();
    assert_eq!(confirmed[0].1.as_ref().unwrap(), &candidate.complaint_id());
    let all = engine
        .read()
        .complaints(tenant, &ComplaintQuery::first(10))
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        1,
        "one complaint, not a second one as a relisting"
    );
}

#[tokio::test]
async fn an_authorised_sellers_listing_is_allowed_even_when_it_looks_like_a_relisting() {
    let engine = engine();
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = engines::approved_right(&engine, tenant).await.unwrap();
    removed_listing(&engine, tenant, right, "Now Licensed Co").await;
    let sweeps = Sweeps::new(&engine);
    sweeps
        .authorise_seller(
            tenant,
            holder,
            right,
            "Now Licensed Co",
            Some("Licensed since"),
        )
        .await
        .unwrap();
    let sweep = sweeps.add(tenant, holder, spec(right, None)).await.unwrap();
    let export = format!(
        "url,title,seller\n{},ACME TWS Earbuds Pro,Now Licensed Co\n",
        url(2)
    );
    let search = FileSearch::read(IntakeFormat::Csv, export.as_bytes());
    let run = sweeps.run(tenant, holder, sweep.id, &search).await.unwrap();
    assert_eq!(
        (run.allowed, run.relistings, run.filed),
        (1, 0, 0),
        "{run:?}"
    );
}

#[tokio::test]
async fn a_candidate_being_filed_is_not_dismissed_and_confirming_again_finishes_it() {
    use aliprotect_core::store::decided::{self, Stamp};
    use aliprotect_sweep::CandidateStream;

    let engine = engine();
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = engines::approved_right(&engine, tenant).await.unwrap();
    let sweeps = Sweeps::new(&engine);
    let candidate = the_candidate(&sweeps, tenant, right, 9).await;

    // A confirmation marked it as being filed, then stopped (a crash, or still filing).
    let stamp = Stamp {
        at: fixtures::now(),
        actor: holder,
    };
    let begin = aliprotect_sweep::CandidateCommand::BeginConfirming {
        complaint: candidate.complaint_id(),
    };
    decided::execute::<CandidateStream, _>(
        engine.store(),
        tenant,
        candidate.id.as_uuid(),
        &begin,
        stamp,
    )
    .await
    .unwrap();
    let dismissed = sweeps
        .dismiss(tenant, holder, &[candidate.id], &fixtures::text("not ours"))
        .await
        .unwrap();
    assert!(
        dismissed[0].1.is_err(),
        "a person cannot dismiss what is being filed"
    );

    let confirmed = sweeps
        .confirm(tenant, holder, &[candidate.id])
        .await
        .unwrap();
    assert_eq!(confirmed[0].1.as_ref().unwrap(), &candidate.complaint_id());
    let now = sweeps.candidate(tenant, candidate.id).await.unwrap();
    assert_eq!(
        now.status,
        CandidateStatus::Confirmed {
            complaint: candidate.complaint_id()
        }
    );
}

#[tokio::test]
async fn a_request_refused_as_a_whole_leaves_the_candidates_open() {
    use aliprotect_core::campaign::CampaignCommand as Campaigns;

    let engine = engine();
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = engines::approved_right(&engine, tenant).await.unwrap();
    let campaign = CampaignId::new();
    let created = Campaign::new(
        campaign,
        tenant,
        fixtures::text("Old"),
        vec![right],
        fixtures::now(),
    );
    let create = Campaigns::Create(Box::new(created));
    engine
        .execute(Request::new(
            tenant,
            holder,
            Command::campaign(campaign, create),
        ))
        .await
        .unwrap();
    let sweeps = Sweeps::new(&engine);
    let sweep = sweeps
        .add(tenant, holder, spec(right, Some(campaign)))
        .await
        .unwrap();
    let export = format!("url\n{}\n", url(3));
    let search = FileSearch::read(IntakeFormat::Csv, export.as_bytes());
    sweeps.run(tenant, holder, sweep.id, &search).await.unwrap();
    let archive = Campaigns::Archive {
        reason: Some(fixtures::text("over")),
    };
    engine
        .execute(Request::new(
            tenant,
            holder,
            Command::campaign(campaign, archive),
        ))
        .await
        .unwrap();
    let candidate = sweeps
        .candidates(tenant, &CandidateQuery::all())
        .await
        .unwrap()
        .remove(0);

    let confirmed = sweeps
        .confirm(tenant, holder, &[candidate.id])
        .await
        .unwrap();
    assert!(confirmed[0].1.is_err(), "{confirmed:?}");
    let still = sweeps.candidate(tenant, candidate.id).await.unwrap();
    assert_eq!(still.status, CandidateStatus::ToReview);
    let dismissed = sweeps
        .dismiss(
            tenant,
            holder,
            &[candidate.id],
            &fixtures::text("campaign over"),
        )
        .await
        .unwrap();
    assert!(dismissed[0].1.is_ok());
}

#[tokio::test]
async fn a_listing_complained_about_meanwhile_is_confirmed_with_that_complaint() {
    let engine = engine();
    let tenant = fixtures::tenant();
    let holder = fixtures::holder_user_of(tenant);
    let right = engines::approved_right(&engine, tenant).await.unwrap();
    let sweeps = Sweeps::new(&engine);
    let candidate = the_candidate(&sweeps, tenant, right, 11).await;

    // Someone files against the listing by hand before the queue is reviewed.
    let by_hand = ComplaintId::new();
    let mut filing = fixtures::complaint_filing_on(tenant, right, by_hand, 11);
    filing.listing = Listing::parse(&url(11)).unwrap();
    let file = aliprotect_core::complaint::ComplaintCommand::File(Box::new(filing));
    engine
        .execute(Request::new(
            tenant,
            holder,
            Command::complaint(by_hand, file),
        ))
        .await
        .unwrap();

    let confirmed = sweeps
        .confirm(tenant, holder, &[candidate.id])
        .await
        .unwrap();
    assert_eq!(confirmed[0].1.as_ref().unwrap(), &by_hand);
    let now = sweeps.candidate(tenant, candidate.id).await.unwrap();
    assert_eq!(
        now.status,
        CandidateStatus::Confirmed { complaint: by_hand }
    );
}
