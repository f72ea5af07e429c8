//! The read model's promises: tenants isolated, every answer equal to a replay of the
//! events, powers and campaigns found as committed.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::Duration;

use crate::complaint::{
    Complaint, ComplaintCommand, ComplaintDecider, ComplaintStatus, RemovalCause,
};
use crate::decider::Decider;
use crate::ids::{CampaignId, ComplaintId, PowerOfAttorneyId, RepresentativeId, RightId, TenantId};
use crate::metrics::Tallies;
use crate::party::{PowerOfAttorney, PowerScope};
use crate::policy::MarketplacePolicy;
use crate::relisting::RemovedListing;
use crate::right::{RightCommand, RightContext, RightDecider, RightStatus};
use crate::store::ReadModelExt;
use crate::store::{
    Commit, Count, CountBy, DomainEvent, GroupKey, Receipt, Snapshot, StatusChange, Store,
    StreamId, StreamStatus, UniqueKeyChange,
};
use crate::testkit::fixtures::{self, now, text};

use super::{Builder, assert_nothing, commit_story, key, record};

/// Nothing of one tenant is visible from another.
pub async fn tenant_isolation(store: &dyn Store) {
    let owner = TenantId::new();
    let other = TenantId::new();
    let mut builder = Builder::file(store, owner).await;
    builder.submit_keyed(store, "isolation").await;
    let stream = builder.stream();
    assert!(
        store.load(other, stream).await.expect("load").is_none(),
        "load"
    );
    assert_nothing(store.history(other, stream).await, "history");
    assert!(
        store
            .receipt(other, &key("isolation"))
            .await
            .expect("receipt")
            .is_none(),
        "receipt"
    );
    assert_nothing(
        store.complaint_counts(other, CountBy::Status).await,
        "counts",
    );
    let listing = &builder.state.as_ref().expect("filed").filed.listing.key;
    assert_nothing(
        store.complaints_on_listing(other, listing).await,
        "listing lookup",
    );
    assert_eq!(
        store
            .complaints_on_listing(owner, listing)
            .await
            .expect("listing")
            .len(),
        1,
        "the owner finds its listing"
    );
    assert_nothing(
        store
            .complaints_of_right(other, builder.right.id, ComplaintStatus::Submitted)
            .await,
        "complaints of right",
    );
    // The other tenant may use the same idempotency key.
    let elsewhere = Builder::new(other);
    let filing = elsewhere.filing();
    let mut file = elsewhere.decide(ComplaintCommand::File(Box::new(filing)));
    file.receipt = Some(record(
        key("isolation"),
        Receipt {
            stream: elsewhere.stream(),
            version: 1,
            events: 1,
        },
    ));
    store.commit(file).await.expect("keys are per tenant");
}

/// Counts, listing lookups and per-right queries agree with a replay of every stream's
/// events through the deciders.
pub async fn read_model_equals_replay(store: &dyn Store) {
    let tenant = TenantId::new();
    let campaign = CampaignId::new();
    let mut streams = Vec::new();
    let counter_notice = || ComplaintCommand::ReceiveCounterNotice {
        statement: text("We are an authorised reseller."),
        evidence: vec![],
    };
    let stories: [&[ComplaintCommand]; 7] = [
        &[],
        &[ComplaintCommand::Submit],
        &[ComplaintCommand::Submit, ComplaintCommand::Accept],
        &[
            ComplaintCommand::Submit,
            ComplaintCommand::Accept,
            ComplaintCommand::RecordRemoval {
                cause: RemovalCause::PlatformReported,
            },
        ],
        &[
            ComplaintCommand::Submit,
            ComplaintCommand::ReportUnableToProcess {
                reason: text("no proof"),
            },
        ],
        &[ComplaintCommand::Retract { reason: None }],
        // Two counter-notices, then the listing stays up: what seller records and the
        // filer's accuracy count.
        &[
            ComplaintCommand::Submit,
            ComplaintCommand::Accept,
            counter_notice(),
            ComplaintCommand::Respond {
                statement: text("The reseller holds no licence."),
                evidence: vec![],
            },
            counter_notice(),
            ComplaintCommand::PlatformRestores,
        ],
    ];
    let shared_right = RightId::new();
    for (i, story) in stories.iter().cycle().take(18).enumerate() {
        let mut builder = Builder::new(tenant);
        builder.right.id = shared_right;
        let mut filing = builder.filing();
        if i % 2 == 0 {
            filing.campaign = Some(campaign);
        }
        if i % 3 == 0 {
            filing.details.title = Some(format!("Écouteurs \"TWS\" {i} 🎧"));
            filing.details.seller_name = Some(format!("Seller {i}"));
            filing.details.image_hash = Some(crate::evidence::ContentHash::of_bytes(&[i as u8]));
        }
        builder
            .run(store, ComplaintCommand::File(Box::new(filing)))
            .await;
        for command in story.iter() {
            builder.run(store, command.clone()).await;
        }
        streams.push(builder.stream());
    }
    // Two rights, one approved.
    let policy = MarketplacePolicy::alibaba_ipp();
    let mut rights = Vec::new();
    for approve in [false, true] {
        let id = RightId::new();
        let mut state = None;
        let mut version = 0;
        let mut commands = vec![
            RightCommand::Register {
                id,
                tenant,
                package: Box::new(fixtures::trademark_package()),
            },
            RightCommand::Submit,
        ];
        if approve {
            commands.extend([RightCommand::BeginReview, RightCommand::Approve]);
        }
        for command in commands {
            let context = RightContext {
                at: now(),
                actor: fixtures::holder_user(),
                policy: &policy,
            };
            let events = RightDecider::decide(&state, &command, &context).expect("story");
            let before = state.as_ref().map(|r| StreamStatus::Right(r.status));
            state = events.iter().fold(state, RightDecider::evolve);
            let snapshot = Snapshot::Right(std::sync::Arc::new(state.clone().expect("registered")));
            let commit = Commit {
                tenant,
                stream: StreamId::Right(id),
                expected_version: version,
                events: events.into_iter().map(DomainEvent::Right).collect(),
                status: StatusChange {
                    before,
                    after: StreamStatus::of(&snapshot),
                },
                snapshot,
                outbox: vec![],
                timers: vec![],
                receipt: None,
                metrics: None,
                work: None,
                unique: UniqueKeyChange::default(),
                index: Vec::new(),
            };
            version += commit.events.len() as u64;
            store.commit(commit).await.expect("right commit");
        }
        rights.extend(state);
    }
    rights.sort_by_key(|r| r.id);
    assert_eq!(
        store.rights(tenant).await.expect("rights"),
        rights,
        "rights in id order, in their current state"
    );
    assert_nothing(
        store.rights(TenantId::new()).await,
        "another tenant's rights are not listed",
    );

    // Replay every complaint from its history.
    let mut replayed = Vec::new();
    for stream in &streams {
        let events =
            fixtures::complaint_events(store.history(tenant, *stream).await.expect("history"));
        replayed.push(ComplaintDecider::fold(&events).expect("replayed"));
    }
    for by in [
        CountBy::Status,
        CountBy::Right,
        CountBy::Campaign,
        CountBy::Seller,
    ] {
        let mut expected: BTreeMap<(GroupKey, ComplaintStatus), u64> = BTreeMap::new();
        for complaint in &replayed {
            let row = crate::store::ComplaintRow::of(complaint);
            *expected
                .entry((GroupKey::of(&row, by), row.status))
                .or_default() += 1;
        }
        let expected: Vec<Count> = expected
            .into_iter()
            .map(|((group, status), count)| Count {
                group,
                status,
                count,
            })
            .collect();
        assert_eq!(
            store.complaint_counts(tenant, by).await.expect("counts"),
            expected,
            "counts by {by:?} equal the replay"
        );
    }
    assert_eq!(
        store.right_counts(tenant).await.expect("right counts"),
        vec![(RightStatus::Submitted, 1), (RightStatus::Approved, 1)]
            .into_iter()
            .collect::<BTreeMap<_, _>>()
            .into_iter()
            .collect::<Vec<_>>(),
        "rights by status"
    );
    let submitted: Vec<ComplaintId> = store
        .complaints_of_right(tenant, shared_right, ComplaintStatus::Submitted)
        .await
        .expect("by right")
        .into_iter()
        .map(|r| r.id)
        .collect();
    let mut expected_submitted: Vec<ComplaintId> = replayed
        .iter()
        .filter(|c| c.status() == ComplaintStatus::Submitted)
        .map(Complaint::id)
        .collect();
    expected_submitted.sort();
    assert_eq!(
        submitted, expected_submitted,
        "complaints of a right by status, in id order"
    );
    let mut all: Vec<Complaint> = replayed.clone();
    all.sort_by_key(Complaint::id);
    let listed: Vec<Complaint> = store
        .complaints(tenant, None)
        .await
        .expect("complaints")
        .iter()
        .map(|c| (**c).clone())
        .collect();
    assert_eq!(listed, all, "every complaint of the tenant, in id order");
    let of_campaign = store
        .complaints(tenant, Some(campaign))
        .await
        .expect("complaints of a campaign");
    assert_eq!(of_campaign.len(), 9, "filtered by campaign");
    assert!(
        of_campaign
            .iter()
            .all(|c| c.filed.campaign == Some(campaign))
    );
    assert_nothing(store.complaints(TenantId::new(), None).await, "complaints");
    assert_eq!(
        store.metric_tallies(tenant, None).await.expect("tallies"),
        Tallies::of(&replayed),
        "metric tallies of the tenant equal the replay"
    );
    assert_eq!(
        store
            .metric_tallies(tenant, Some(campaign))
            .await
            .expect("tallies of a campaign"),
        Tallies::of(
            replayed
                .iter()
                .filter(|c| c.filed.campaign == Some(campaign))
        ),
        "metric tallies of a campaign equal the replay"
    );
    let mut expected_removed: Vec<RemovedListing> =
        replayed.iter().filter_map(RemovedListing::of).collect();
    expected_removed.sort_by_key(|r| r.complaint);
    assert!(!expected_removed.is_empty(), "the stories remove listings");
    assert_eq!(
        store
            .removed_listings(tenant, shared_right)
            .await
            .expect("removed listings"),
        expected_removed,
        "removed listings of a right, in complaint id order"
    );
    assert_nothing(
        store.removed_listings(TenantId::new(), shared_right).await,
        "removed listings",
    );
    assert!(
        store
            .metric_tallies(TenantId::new(), None)
            .await
            .expect("tallies")
            .is_empty()
    );
    let first = &replayed[0];
    let on_listing = store
        .complaints_on_listing(tenant, &first.filed.listing.key)
        .await
        .expect("listing");
    assert_eq!(on_listing.len(), 1);
    assert_eq!(on_listing[0].id, first.id());
    assert_eq!(on_listing[0].status, first.status());
}

/// Powers of attorney are streams: listed per tenant and representative, revoked ones too,
/// with their current state.
pub async fn powers_of_attorney(store: &dyn Store) {
    use crate::power::{PowerCommand, PowerContext, PowerDecider};
    let tenant = TenantId::new();
    let representative = RepresentativeId::new();
    let grant = |id| PowerOfAttorney {
        id,
        holder: fixtures::holder().id,
        representative,
        scope: PowerScope::AllRights,
        valid_from: now(),
        valid_until: Some(now() + Duration::days(30)),
    };
    let context = PowerContext {
        at: now(),
        actor: fixtures::holder_user(),
    };
    let mut expected = Vec::new();
    for (id, revoke) in [
        (PowerOfAttorneyId::from_u128(2), true),
        (PowerOfAttorneyId::from_u128(1), false),
    ] {
        let mut commands = vec![PowerCommand::Grant {
            tenant,
            power: grant(id),
        }];
        if revoke {
            commands.push(PowerCommand::Revoke {
                reason: Some(text("engagement ended")),
            });
        }
        let snapshot = commit_story::<PowerDecider>(
            store,
            tenant,
            StreamId::Power(id),
            &commands,
            &context,
            DomainEvent::Power,
            |state| Snapshot::Power(std::sync::Arc::new(state.clone().expect("granted"))),
        )
        .await;
        let Snapshot::Power(power) = snapshot else {
            unreachable!("a power snapshot")
        };
        expected.push((*power).clone());
    }
    expected.sort_by_key(|p| p.grant.id);
    assert_eq!(
        store.powers(tenant, representative).await.expect("powers"),
        expected,
        "every power of the representative, in id order, in its current state"
    );
    assert_nothing(
        store.powers(TenantId::new(), representative).await,
        "powers",
    );
    assert_nothing(
        store.powers(tenant, RepresentativeId::new()).await,
        "powers",
    );
}

/// Campaigns are streams: listed per tenant in id order, in their current state.
pub async fn campaigns(store: &dyn Store) {
    use crate::campaign::{
        Campaign, CampaignChanges, CampaignCommand, CampaignContext, CampaignDecider,
    };
    use crate::ids::CampaignId;
    let tenant = TenantId::new();
    let right = RightId::new();
    let context = CampaignContext {
        at: now(),
        actor: fixtures::holder_user(),
        approved_rights: &[right],
    };
    let mut expected = Vec::new();
    for (id, name) in [(2, "Cases"), (1, "Earbuds sweep")] {
        let id = CampaignId::from_u128(id);
        let campaign = Campaign::new(id, tenant, text(name), vec![right], now());
        let commands = [
            CampaignCommand::Create(Box::new(campaign)),
            CampaignCommand::Change(CampaignChanges {
                name: Some(text(&format!("{name}, renamed"))),
                ..CampaignChanges::default()
            }),
        ];
        let snapshot = commit_story::<CampaignDecider>(
            store,
            tenant,
            StreamId::Campaign(id),
            &commands,
            &context,
            DomainEvent::Campaign,
            |state| Snapshot::Campaign(std::sync::Arc::new(state.clone().expect("created"))),
        )
        .await;
        let Snapshot::Campaign(campaign) = snapshot else {
            unreachable!("a campaign snapshot")
        };
        expected.push((*campaign).clone());
    }
    expected.sort_by_key(|c| c.id);
    assert_eq!(
        store.campaigns(tenant).await.expect("campaigns"),
        expected,
        "in id order, in their current state"
    );
    assert_nothing(store.campaigns(TenantId::new()).await, "campaigns");
}
