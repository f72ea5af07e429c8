//! Property tests of the power-of-attorney and campaign machines against reference models:
//! transition tables over statuses (and, for campaigns, the name, rights and relisting
//! choice), written independently of the deciders. Random command sequences must be
//! accepted or refused exactly as the model says and leave the same state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

use aliprotect_core::campaign::*;
use aliprotect_core::decider::Decider;
use aliprotect_core::ids::{CampaignId, PowerOfAttorneyId, RightId};
use aliprotect_core::party::{PowerOfAttorney, PowerScope};
use aliprotect_core::power::*;
use aliprotect_core::testkit::fixtures::{self, now, text};
use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

use aliprotect_core::testkit::given::Driven;

// ---------------------------------------------------------------- powers of attorney

#[derive(Debug, Clone, Copy, PartialEq)]
enum PowerStep {
    /// A grant whose window is valid, or ends before it starts.
    Grant {
        valid_window: bool,
    },
    Revoke,
    /// `Expire` issued after (or before) the window's end.
    Expire {
        after_end: bool,
    },
}

const POWER_STEPS: [PowerStep; 5] = [
    PowerStep::Grant { valid_window: true },
    PowerStep::Grant {
        valid_window: false,
    },
    PowerStep::Revoke,
    PowerStep::Expire { after_end: true },
    PowerStep::Expire { after_end: false },
];

struct PowerModel;

/// The model: the status after `step`, or `None` when it must be refused.
fn power_table(status: Option<PowerStatus>, step: PowerStep) -> Option<PowerStatus> {
    use PowerStatus::*;
    match (status, step) {
        (None, PowerStep::Grant { valid_window: true }) => Some(InForce),
        (Some(InForce), PowerStep::Revoke) => Some(Revoked),
        (Some(InForce), PowerStep::Expire { after_end: true }) => Some(Expired),
        _ => None,
    }
}

impl ReferenceStateMachine for PowerModel {
    type State = Option<PowerStatus>;
    type Transition = PowerStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(None).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<PowerStep> {
        proptest::sample::select(POWER_STEPS.to_vec()).boxed()
    }

    fn apply(state: Self::State, step: &PowerStep) -> Self::State {
        power_table(state, *step).or(state)
    }
}

fn grant(valid_window: bool) -> PowerOfAttorney {
    let valid_until = if valid_window {
        now() + Duration::days(30)
    } else {
        now() - Duration::days(1)
    };
    PowerOfAttorney {
        id: PowerOfAttorneyId::from_u128(7),
        holder: fixtures::holder().id,
        representative: aliprotect_core::ids::RepresentativeId::from_u128(3),
        scope: PowerScope::AllRights,
        valid_from: now(),
        valid_until: Some(valid_until),
    }
}

fn power_command(step: PowerStep) -> (PowerCommand, DateTime<Utc>) {
    match step {
        PowerStep::Grant { valid_window } => (
            PowerCommand::Grant {
                tenant: fixtures::tenant(),
                power: grant(valid_window),
            },
            now(),
        ),
        PowerStep::Revoke => (
            PowerCommand::Revoke {
                reason: Some(text("engagement ended")),
            },
            now(),
        ),
        PowerStep::Expire { after_end } => (
            PowerCommand::Expire,
            if after_end {
                now() + Duration::days(31)
            } else {
                now() + Duration::days(29)
            },
        ),
    }
}

struct PowerSut {
    stream: Driven<PowerDecider>,
}

impl StateMachineTest for PowerSut {
    type SystemUnderTest = Self;
    type Reference = PowerModel;

    fn init_test(_: &Option<PowerStatus>) -> Self {
        PowerSut {
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &Option<PowerStatus>, step: PowerStep) -> Self {
        let (command, at) = power_command(step);
        let context = PowerContext {
            at,
            actor: fixtures::holder_user(),
        };
        let decided = PowerDecider::decide(&sut.stream.state, &command, &context);
        sut.stream.record(decided);
        assert_eq!(
            sut.stream.state.as_ref().map(|p| p.status),
            *model,
            "status after {step:?}"
        );
        sut
    }

    fn check_invariants(sut: &Self, _: &Option<PowerStatus>) {
        sut.stream.assert_replayable();
        if let Some(power) = &sut.stream.state {
            let representative = power.grant.representative;
            let authorises = power.authorises(
                representative,
                power.grant.holder,
                RightId::new(),
                now() + Duration::days(1),
            );
            assert_eq!(
                authorises,
                power.status == PowerStatus::InForce,
                "only a power in force authorises"
            );
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn power_machine_agrees_with_the_model(sequential 1..20 => PowerSut);
}

// ---------------------------------------------------------------- campaigns

#[derive(Debug, Clone, Copy, PartialEq)]
enum CampaignStep {
    /// Create with approved rights only, or naming one that is not approved.
    Create {
        approved: bool,
    },
    /// Create already archived (refused).
    CreateArchived,
    Rename(u8),
    /// Re-scope to approved rights only, or to one that is not approved.
    Rescope {
        approved: bool,
    },
    AutoFile(bool),
    Archive,
}

fn campaign_steps() -> impl Strategy<Value = CampaignStep> {
    prop_oneof![
        any::<bool>().prop_map(|approved| CampaignStep::Create { approved }),
        Just(CampaignStep::CreateArchived),
        (0u8..4).prop_map(CampaignStep::Rename),
        any::<bool>().prop_map(|approved| CampaignStep::Rescope { approved }),
        any::<bool>().prop_map(CampaignStep::AutoFile),
        Just(CampaignStep::Archive),
    ]
}

const APPROVED: RightId = RightId::from_u128(1);
const ALSO_APPROVED: RightId = RightId::from_u128(2);
const NOT_APPROVED: RightId = RightId::from_u128(9);

#[derive(Debug, Clone, PartialEq)]
struct CampaignFacts {
    archived: bool,
    name: String,
    rights: Vec<RightId>,
    auto_file: bool,
}

struct CampaignModel;

/// The model: the facts after `step`, or `None` when it must be refused.
fn campaign_table(state: &Option<CampaignFacts>, step: CampaignStep) -> Option<CampaignFacts> {
    match (state, step) {
        (None, CampaignStep::Create { approved: true }) => Some(CampaignFacts {
            archived: false,
            name: "Sweep".to_owned(),
            rights: vec![APPROVED],
            auto_file: false,
        }),
        (Some(facts), _) if facts.archived => None,
        (Some(facts), CampaignStep::Rename(n)) => Some(CampaignFacts {
            name: format!("Sweep {n}"),
            ..facts.clone()
        }),
        (Some(facts), CampaignStep::Rescope { approved: true }) => Some(CampaignFacts {
            rights: vec![APPROVED, ALSO_APPROVED],
            ..facts.clone()
        }),
        (Some(facts), CampaignStep::AutoFile(auto)) => Some(CampaignFacts {
            auto_file: auto,
            ..facts.clone()
        }),
        (Some(facts), CampaignStep::Archive) => Some(CampaignFacts {
            archived: true,
            ..facts.clone()
        }),
        _ => None,
    }
}

impl ReferenceStateMachine for CampaignModel {
    type State = Option<CampaignFacts>;
    type Transition = CampaignStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(None).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<CampaignStep> {
        campaign_steps().boxed()
    }

    fn apply(state: Self::State, step: &CampaignStep) -> Self::State {
        campaign_table(&state, *step).or(state)
    }
}

fn campaign_command(step: CampaignStep) -> CampaignCommand {
    let new = |rights| {
        Campaign::new(
            CampaignId::from_u128(5),
            fixtures::tenant(),
            text("Sweep"),
            rights,
            now(),
        )
    };
    match step {
        CampaignStep::Create { approved } => {
            let rights = if approved {
                vec![APPROVED]
            } else {
                vec![APPROVED, NOT_APPROVED]
            };
            CampaignCommand::Create(Box::new(new(rights)))
        }
        CampaignStep::CreateArchived => {
            let mut campaign = new(vec![APPROVED]);
            campaign.archived = true;
            CampaignCommand::Create(Box::new(campaign))
        }
        CampaignStep::Rename(n) => CampaignCommand::Change(CampaignChanges {
            name: Some(text(&format!("Sweep {n}"))),
            ..CampaignChanges::default()
        }),
        CampaignStep::Rescope { approved } => CampaignCommand::Change(CampaignChanges {
            rights: Some(if approved {
                vec![APPROVED, ALSO_APPROVED]
            } else {
                vec![NOT_APPROVED]
            }),
            ..CampaignChanges::default()
        }),
        CampaignStep::AutoFile(auto) => CampaignCommand::Change(CampaignChanges {
            auto_file_relistings: Some(auto),
            ..CampaignChanges::default()
        }),
        CampaignStep::Archive => CampaignCommand::Archive { reason: None },
    }
}

struct CampaignSut {
    stream: Driven<CampaignDecider>,
}

impl StateMachineTest for CampaignSut {
    type SystemUnderTest = Self;
    type Reference = CampaignModel;

    fn init_test(_: &Option<CampaignFacts>) -> Self {
        CampaignSut {
            stream: Driven::new(),
        }
    }

    fn apply(mut sut: Self, model: &Option<CampaignFacts>, step: CampaignStep) -> Self {
        let context = CampaignContext {
            at: now(),
            actor: fixtures::holder_user(),
            approved_rights: &[APPROVED, ALSO_APPROVED],
        };
        let command = campaign_command(step);
        let decided = CampaignDecider::decide(&sut.stream.state, &command, &context);
        sut.stream.record(decided);
        let facts = sut.stream.state.as_ref().map(|c| CampaignFacts {
            archived: c.archived,
            name: c.name.as_str().to_owned(),
            rights: c.rights.clone(),
            auto_file: c.auto_file_relistings,
        });
        assert_eq!(&facts, model, "campaign after {step:?}");
        sut
    }

    fn check_invariants(sut: &Self, _: &Option<CampaignFacts>) {
        sut.stream.assert_replayable();
    }
}

prop_state_machine! {
    #![proptest_config(Config { cases: 256, ..Config::default() })]
    #[test]
    fn campaign_machine_agrees_with_the_model(sequential 1..20 => CampaignSut);
}
