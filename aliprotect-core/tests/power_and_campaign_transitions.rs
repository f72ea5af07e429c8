//! One example per transition and per refusal of the power-of-attorney and campaign
//! machines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::campaign::*;
use aliprotect_core::decider::StateName;
use aliprotect_core::ids::{CampaignId, PowerOfAttorneyId, RepresentativeId, RightId};
use aliprotect_core::party::{Actor, PowerOfAttorney, PowerScope};
use aliprotect_core::power::*;
use aliprotect_core::testkit::fixtures::{self, now, text};
use aliprotect_core::testkit::given::Given;
use chrono::{DateTime, Duration, Utc};

fn power_at(at: DateTime<Utc>) -> PowerContext {
    PowerContext {
        at,
        actor: fixtures::holder_user(),
    }
}

fn grant_of(until: Option<DateTime<Utc>>) -> PowerCommand {
    PowerCommand::Grant {
        tenant: fixtures::tenant(),
        power: PowerOfAttorney {
            id: PowerOfAttorneyId::from_u128(1),
            holder: fixtures::holder().id,
            representative: RepresentativeId::from_u128(2),
            scope: PowerScope::AllRights,
            valid_from: now(),
            valid_until: until,
        },
    }
}

fn granted() -> Option<Power> {
    Given::<PowerDecider>::nothing()
        .when(
            &grant_of(Some(now() + Duration::days(10))),
            &power_at(now()),
        )
        .then_state()
}

#[test]
fn a_grant_puts_a_power_in_force() {
    let power = granted().unwrap();
    assert_eq!(power.status, PowerStatus::InForce);
    assert_eq!(power.tenant, fixtures::tenant());
    assert_eq!(power.granted_at, now());
}

#[test]
fn a_window_that_ends_before_it_starts_is_refused() {
    let then = Given::<PowerDecider>::nothing().when(&grant_of(Some(now())), &power_at(now()));
    assert_eq!(then.then_refused().rule, PowerRule::EmptyWindow);
}

#[test]
fn a_second_grant_of_the_same_power_is_refused() {
    let then = Given::<PowerDecider>::state(granted()).when(&grant_of(None), &power_at(now()));
    assert_eq!(then.then_refused().rule, PowerRule::AlreadyGranted);
    assert_eq!(
        then.then_refused().state,
        StateName::In(PowerStatus::InForce)
    );
}

#[test]
fn revoking_ends_a_power_and_keeps_the_reason() {
    let revoke = PowerCommand::Revoke {
        reason: Some(text("engagement ended")),
    };
    let then = Given::<PowerDecider>::state(granted()).when(&revoke, &power_at(now()));
    assert_eq!(
        then.then_events()[0].change,
        PowerChange::Revoked {
            reason: Some(text("engagement ended"))
        }
    );
    let revoked = then.then_state().unwrap();
    assert_eq!(revoked.status, PowerStatus::Revoked);
    assert!(!revoked.authorises(
        revoked.grant.representative,
        revoked.grant.holder,
        RightId::new(),
        now() + Duration::days(1)
    ));
    let again = Given::<PowerDecider>::state(Some(revoked)).when(&revoke, &power_at(now()));
    assert_eq!(again.then_refused().rule, PowerRule::NotInForce);
}

#[test]
fn a_power_expires_at_the_end_of_its_window_not_before() {
    let early = Given::<PowerDecider>::state(granted())
        .when(&PowerCommand::Expire, &power_at(now() + Duration::days(9)));
    assert!(matches!(
        early.then_refused().rule,
        PowerRule::NotYetExpired { until: Some(_) }
    ));
    let expired = Given::<PowerDecider>::state(granted())
        .when(&PowerCommand::Expire, &power_at(now() + Duration::days(10)))
        .then_state()
        .unwrap();
    assert_eq!(expired.status, PowerStatus::Expired);
    let endless = Given::<PowerDecider>::nothing()
        .when(&grant_of(None), &power_at(now()))
        .then_state();
    let never = Given::<PowerDecider>::state(endless).when(
        &PowerCommand::Expire,
        &power_at(now() + Duration::days(9_999)),
    );
    assert_eq!(
        never.then_refused().rule,
        PowerRule::NotYetExpired { until: None }
    );
}

const APPROVED: RightId = RightId::from_u128(1);

fn campaign_context(approved: &[RightId]) -> CampaignContext<'_> {
    CampaignContext {
        at: now(),
        actor: Actor::HolderUser {
            tenant: fixtures::tenant(),
            user: aliprotect_core::ids::UserId::from_u128(1),
        },
        approved_rights: approved,
    }
}

fn create() -> CampaignCommand {
    CampaignCommand::Create(Box::new(Campaign::new(
        CampaignId::from_u128(3),
        fixtures::tenant(),
        text("Earbuds sweep"),
        vec![APPROVED],
        now(),
    )))
}

fn created() -> Option<Campaign> {
    Given::<CampaignDecider>::nothing()
        .when(&create(), &campaign_context(&[APPROVED]))
        .then_state()
}

#[test]
fn a_campaign_is_created_over_approved_rights_only() {
    let campaign = created().unwrap();
    assert_eq!(campaign.status(), CampaignStatus::Active);
    assert_eq!(campaign.rights, vec![APPROVED]);
    let refused = Given::<CampaignDecider>::nothing().when(&create(), &campaign_context(&[]));
    assert_eq!(
        refused.then_refused().rule,
        CampaignRule::RightNotApproved(APPROVED)
    );
}

#[test]
fn a_campaign_cannot_be_created_twice_or_archived() {
    let twice =
        Given::<CampaignDecider>::state(created()).when(&create(), &campaign_context(&[APPROVED]));
    assert_eq!(twice.then_refused().rule, CampaignRule::AlreadyExists);
    let CampaignCommand::Create(mut archived) = create() else {
        unreachable!("a creation")
    };
    archived.archived = true;
    let then = Given::<CampaignDecider>::nothing().when(
        &CampaignCommand::Create(archived),
        &campaign_context(&[APPROVED]),
    );
    assert_eq!(then.then_refused().rule, CampaignRule::CreatedArchived);
}

#[test]
fn a_change_renames_rescopes_and_sets_the_relisting_choice() {
    let other = RightId::from_u128(2);
    let change = CampaignCommand::Change(CampaignChanges {
        name: Some(text("Earbuds sweep, phase 2")),
        rights: Some(vec![APPROVED, other]),
        auto_file_relistings: Some(true),
    });
    let changed = Given::<CampaignDecider>::state(created())
        .when(&change, &campaign_context(&[APPROVED, other]))
        .then_state()
        .unwrap();
    assert_eq!(changed.name.as_str(), "Earbuds sweep, phase 2");
    assert_eq!(changed.rights, vec![APPROVED, other]);
    assert!(changed.auto_file_relistings);
    let refused =
        Given::<CampaignDecider>::state(created()).when(&change, &campaign_context(&[APPROVED]));
    assert_eq!(
        refused.then_refused().rule,
        CampaignRule::RightNotApproved(other)
    );
}

#[test]
fn an_archived_campaign_takes_no_changes() {
    let archive = CampaignCommand::Archive {
        reason: Some(text("sweep done")),
    };
    let archived = Given::<CampaignDecider>::state(created())
        .when(&archive, &campaign_context(&[APPROVED]))
        .then_state()
        .unwrap();
    assert_eq!(archived.status(), CampaignStatus::Archived);
    for command in [
        archive,
        CampaignCommand::Change(CampaignChanges {
            auto_file_relistings: Some(true),
            ..CampaignChanges::default()
        }),
    ] {
        let then = Given::<CampaignDecider>::state(Some(archived.clone()))
            .when(&command, &campaign_context(&[APPROVED]));
        assert_eq!(then.then_refused().rule, CampaignRule::Archived);
    }
}
