//! Ready-made domain values for tests: a complete package per kind, rights in any state, and
//! complaint filings. Fixed ids and a fixed clock keep failures reproducible.
// Fixtures are built from literals known to be valid; a failure is a bug in this file.
#![allow(clippy::expect_used)]

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use crate::complaint::{ComplaintFiling, ComplaintReason};
use crate::evidence::{Evidence, EvidenceKind};
use crate::ids::{ComplaintId, FilingId, RightId, RightsHolderId, TenantId, UserId};
use crate::listing::Listing;
use crate::party::{Actor, HolderKind, RightsHolder};
use crate::right::{
    Filer, IpRight, Jurisdiction, MarkType, PatentRegistration, Registration, RightStatus,
    SubmissionPackage, TrademarkRegistration,
};
use crate::text::Text;

/// The fixed "now" of fixtures: Monday 2 March 2026, 09:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("valid date")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// The fixtures' tenant.
pub fn tenant() -> TenantId {
    TenantId::from_u128(1)
}

/// A user of the fixtures' tenant.
pub fn holder_user() -> Actor {
    Actor::HolderUser {
        tenant: tenant(),
        user: UserId::from_u128(1),
    }
}

/// A user of `tenant`'s rights holder (user 1), as commands of a check's own tenant need.
pub fn holder_user_of(tenant: TenantId) -> Actor {
    Actor::HolderUser {
        tenant,
        user: UserId::from_u128(1),
    }
}

/// The fixtures' rights holder: a company, Acme Audio Ltd.
pub fn holder() -> RightsHolder {
    RightsHolder {
        id: RightsHolderId::from_u128(1),
        tenant: tenant(),
        name: "Acme Audio Ltd".to_owned(),
        kind: HolderKind::Company,
    }
}

/// Evidence of `kind` with content derived from the kind's name.
pub fn evidence(kind: EvidenceKind) -> Evidence {
    Evidence::of_bytes(
        kind,
        format!("{kind:?}").as_bytes(),
        "application/pdf",
        now(),
    )
}

fn jurisdiction(code: &str) -> Jurisdiction {
    Jurisdiction::new(code).expect("valid jurisdiction")
}

/// A complete trademark package filed by the holder itself.
pub fn trademark_package() -> SubmissionPackage {
    SubmissionPackage {
        holder: holder(),
        filer: Filer::Holder,
        registration: Registration::Trademark(TrademarkRegistration {
            mark_name: "ACME SOUND".to_owned(),
            mark_type: MarkType::Combined,
            registration_number: "CN-41234567".to_owned(),
            jurisdiction: jurisdiction("CN"),
            registrant: "Acme Audio Ltd".to_owned(),
            classes: vec![9],
            registered_on: date(2021, 6, 1),
            expires_on: date(2031, 5, 31),
        }),
        evidence: vec![
            evidence(EvidenceKind::TrademarkCertificate),
            evidence(EvidenceKind::ArticlesOfIncorporation),
        ],
    }
}

/// A complete design-patent package filed by the holder itself.
pub fn design_patent_package() -> SubmissionPackage {
    SubmissionPackage {
        holder: holder(),
        filer: Filer::Holder,
        registration: Registration::DesignPatent(PatentRegistration {
            title: "Earbud charging case".to_owned(),
            patent_number: "ZL202230123456.7".to_owned(),
            jurisdiction: jurisdiction("CN"),
            registrant: "Acme Audio Ltd".to_owned(),
            filed_on: date(2022, 1, 10),
            granted_on: date(2022, 8, 1),
            expires_on: date(2037, 1, 9),
        }),
        evidence: vec![
            evidence(EvidenceKind::DesignPatentCertificate),
            evidence(EvidenceKind::ArticlesOfFormation),
        ],
    }
}

/// A trademark right of the fixtures' tenant in `status`, with `attempts` submissions behind it.
pub fn right_in(status: RightStatus) -> IpRight {
    IpRight {
        id: RightId::from_u128(1),
        tenant: tenant(),
        package: trademark_package(),
        status,
        attempts: u32::from(status != RightStatus::Draft),
        rejections: Vec::new(),
        approved_at: (status == RightStatus::Approved).then(now),
        expiry_reminded_for: None,
        changed_since_rejection: true,
    }
}

/// A complaint filing of the fixtures' tenant on `right_in(..)`'s right against the Alibaba.com
/// listing with product id `product`.
pub fn complaint_filing(id: u128, product: u64) -> ComplaintFiling {
    let url = format!("https://www.alibaba.com/product-detail/Fake-Earbuds_{product}.html");
    ComplaintFiling {
        id: ComplaintId::from_u128(id),
        tenant: tenant(),
        filing: FilingId::from_u128(1),
        right: RightId::from_u128(1),
        listing: Listing::parse(&url).expect("valid listing URL"),
        reason: ComplaintReason::TrademarkCounterfeit,
        explanation: text("Counterfeit earbuds bearing the ACME SOUND mark."),
        evidence: vec![evidence(EvidenceKind::Screenshot)],
        follows: None,
        campaign: None,
        details: Default::default(),
    }
}

/// [`complaint_filing`] as complaint `id` of `tenant` on `right`, against the listing with
/// product id `product`: the filing of a test that walks its own right through an engine.
pub fn complaint_filing_on(
    tenant: TenantId,
    right: RightId,
    id: ComplaintId,
    product: u64,
) -> ComplaintFiling {
    let mut filing = complaint_filing(0, product);
    filing.id = id;
    filing.tenant = tenant;
    filing.right = right;
    filing
}

/// The complaint events of `history` (a stream's events as a store reads them back), in
/// order: what [`crate::complaint::ComplaintDecider`] folds into the complaint.
pub fn complaint_events(
    history: impl IntoIterator<Item = crate::store::StoredEvent>,
) -> Vec<crate::complaint::ComplaintEvent> {
    history
        .into_iter()
        .filter_map(|stored| match stored.event {
            crate::store::DomainEvent::Complaint(event) => Some(event),
            _ => None,
        })
        .collect()
}

/// The right events of `history`, in order: what [`crate::right::RightDecider`] folds into
/// the right.
pub fn right_events(
    history: impl IntoIterator<Item = crate::store::StoredEvent>,
) -> Vec<crate::right::RightEvent> {
    history
        .into_iter()
        .filter_map(|stored| match stored.event {
            crate::store::DomainEvent::Right(event) => Some(event),
            _ => None,
        })
        .collect()
}

/// Complaint `n` of a bulk run (benchmarks, load tests): a new counterfeit complaint of
/// `tenant` on `right` against the listing at `url`, filed 300 to a filing (the most one
/// filing holds under the Alibaba IPP policy). Panics if `url` is no marketplace listing.
pub fn bulk_filing(tenant: TenantId, right: RightId, url: &str, n: u64) -> ComplaintFiling {
    let mut filing = ComplaintFiling::new(
        ComplaintId::new(),
        tenant,
        right,
        Listing::parse(url).expect("valid listing URL"),
        ComplaintReason::TrademarkCounterfeit,
        text("Counterfeit earbuds bearing our registered mark"),
    );
    filing.filing = FilingId::from_u128(u128::from(n / 300));
    filing
}

/// `Text` from a literal known to be valid.
pub fn text(s: &str) -> Text {
    Text::new(s).expect("valid fixture text")
}

/// The commands that take a right from nothing to approved: registered and submitted by the
/// holder's user, reviewed and approved by the platform.
pub fn approval_of(
    right: crate::ids::RightId,
    tenant: TenantId,
    package: SubmissionPackage,
) -> Vec<(Actor, crate::right::RightCommand)> {
    use crate::right::RightCommand;
    let user = Actor::HolderUser {
        tenant,
        user: UserId::from_u128(1),
    };
    vec![
        (
            user,
            RightCommand::Register {
                id: right,
                tenant,
                package: Box::new(package),
            },
        ),
        (user, RightCommand::Submit),
        (Actor::Platform, RightCommand::BeginReview),
        (Actor::Platform, RightCommand::Approve),
    ]
}

/// The six commands of a disputed complaint's life, one event each: filed and submitted by
/// the holder's user, accepted, counter-noticed, answered, and the listing removed.
pub fn life_of_a_complaint(
    filing: ComplaintFiling,
) -> Vec<(Actor, crate::complaint::ComplaintCommand)> {
    use crate::complaint::{ComplaintCommand, RemovalCause};
    let user = Actor::HolderUser {
        tenant: filing.tenant,
        user: UserId::from_u128(1),
    };
    vec![
        (user, ComplaintCommand::File(Box::new(filing))),
        (user, ComplaintCommand::Submit),
        (Actor::Platform, ComplaintCommand::Accept),
        (
            Actor::Platform,
            ComplaintCommand::ReceiveCounterNotice {
                statement: text("We are an authorised reseller."),
                evidence: vec![],
            },
        ),
        (
            user,
            ComplaintCommand::Respond {
                statement: text("The reseller holds no licence."),
                evidence: vec![],
            },
        ),
        (
            Actor::Platform,
            ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported,
            },
        ),
    ]
}

/// The complaint `filing` files at `at` on `right_in(Approved)`'s right, then taken through
/// `commands` at the same instant by the platform under the Alibaba IPP policy: a complaint
/// in any state for a test of what is computed from it.
///
/// # Panics
/// If the decider refuses a command: the test's story is wrong.
pub fn complaint_after(
    filing: ComplaintFiling,
    at: DateTime<Utc>,
    commands: &[crate::complaint::ComplaintCommand],
) -> crate::complaint::Complaint {
    use crate::complaint::{ComplaintCommand, ComplaintContext, ComplaintDecider};
    use crate::decider::Decider;
    let policy = crate::policy::MarketplacePolicy::alibaba_ipp();
    let mut right = right_in(RightStatus::Approved);
    right.id = filing.right;
    right.tenant = filing.tenant;
    let file = ComplaintCommand::File(Box::new(filing));
    let mut state = None;
    let context = ComplaintContext::new(at, Actor::Platform, &policy, Some(&right));
    for command in std::iter::once(&file).chain(commands) {
        let events = ComplaintDecider::decide(&state, command, &context)
            .expect("the story's commands are allowed");
        state = events.iter().fold(state, ComplaintDecider::evolve);
    }
    state.expect("filed")
}

/// The store's policy stream as a store loads it after an engine recorded `policy`: what a
/// mocked store returns for the engine's first look at the policy (see
/// [`crate::policy::POLICY_STREAM`]).
pub fn recorded_policy(policy: &crate::policy::MarketplacePolicy) -> crate::store::Loaded {
    let stored = crate::policy::StoredPolicy {
        policy: std::sync::Arc::new(policy.clone()),
        revision: 1,
        since: now(),
        by: Actor::System,
        reason: None,
    };
    crate::store::Loaded {
        version: 1,
        snapshot: crate::store::Snapshot::Policy(std::sync::Arc::new(stored)),
    }
}

/// The commit that files complaint `id` against the listing of product `product` (sold by
/// `Seller {product}`) in `tenant`, as the engine writes it (events, snapshot, status change, metrics, unique and
/// index keys): for backend tests that need a stored complaint without an engine.
pub fn filed_commit(tenant: TenantId, product: u64, id: ComplaintId) -> crate::store::Commit {
    use crate::complaint::{ComplaintCommand, ComplaintContext, ComplaintDecider};
    use crate::decider::Decider;
    use crate::store::{
        Commit, DomainEvent, Snapshot, StatusChange, StreamId, StreamStatus, UniqueKeyChange,
    };
    let policy = crate::policy::MarketplacePolicy::alibaba_ipp();
    let mut right = right_in(RightStatus::Approved);
    right.tenant = tenant;
    let mut filing = complaint_filing(1, product);
    filing.id = id;
    filing.tenant = tenant;
    filing.details.seller_name = Some(format!("Seller {product}"));
    let context = ComplaintContext::new(now(), Actor::Platform, &policy, Some(&right));
    let command = ComplaintCommand::File(Box::new(filing));
    let events =
        ComplaintDecider::decide(&None, &command, &context).expect("a fixture filing is accepted");
    let state = events
        .iter()
        .fold(None, ComplaintDecider::evolve)
        .expect("a filing makes a complaint");
    let snapshot = Snapshot::Complaint(std::sync::Arc::new(state.clone()));
    Commit {
        tenant,
        stream: StreamId::Complaint(id),
        expected_version: 0,
        events: events.into_iter().map(DomainEvent::Complaint).collect(),
        metrics: crate::metrics::MetricsChange::between(None, &state),
        status: StatusChange {
            before: None,
            after: StreamStatus::Complaint(state.status()),
        },
        unique: UniqueKeyChange::between(&[], &state.unique_keys()),
        index: snapshot.index_keys(),
        snapshot,
        outbox: Vec::new(),
        timers: Vec::new(),
        receipt: None,
        work: None,
    }
}
