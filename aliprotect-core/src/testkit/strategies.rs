//! proptest strategies for commands, events and states, so embedders can property-test their
//! own integrations (a custom store, a projection, an exporter) against realistic data.
//!
//! Histories are made by running random commands through the real deciders and keeping the
//! accepted ones, so every generated event sequence is one the engine could have written.
//!
//! ```
//! use aliprotect_core::complaint::ComplaintDecider;
//! use aliprotect_core::decider::Decider;
//! use aliprotect_core::testkit::strategies;
//! use proptest::prelude::*;
//!
//! proptest!(|((events, state) in strategies::complaint_history(12))| {
//!     prop_assert_eq!(ComplaintDecider::fold(&events), state);
//! });
//! ```

use chrono::Duration;
use proptest::prelude::*;

use super::fixtures;
use crate::complaint::{
    Complaint, ComplaintCommand, ComplaintContext, ComplaintDecider, ComplaintEvent,
    ComplaintReason, RemovalCause,
};
use crate::decider::Decider;
use crate::evidence::EvidenceKind;
use crate::ids::{ComplaintId, TenantId};
use crate::listing::Listing;
use crate::marketplace::Marketplace;
use crate::party::Actor;
use crate::policy::MarketplacePolicy;
use crate::right::{IpRight, RightCommand, RightContext, RightDecider, RightEvent, RightStatus};
use crate::text::Text;

/// Free text, including quotes, NUL, SQL and emoji.
pub fn text() -> impl Strategy<Value = Text> {
    "[a-zA-Z0-9 '\";\\-\\\\\u{0}\u{1F600}é]{0,60}"
        .prop_map(|s| Text::new(format!("x{s}")).unwrap_or_else(|_| fixtures::text("x")))
}

/// A listing on one of Alibaba IPP's marketplaces.
pub fn listing() -> impl Strategy<Value = Listing> {
    (0usize..4, 1u64..10_000_000_000).prop_map(|(site, id)| {
        let url = match site {
            0 => format!("https://www.alibaba.com/product-detail/Item_{id}.html?spm=1"),
            1 => format!("https://www.aliexpress.com/item/{id}.html"),
            2 => format!("https://detail.1688.com/offer/{id}.html"),
            _ => format!("https://item.taobao.com/item.htm?id={id}"),
        };
        Listing::parse(&url).unwrap_or_else(|_| fixtures::complaint_filing(0, id).listing)
    })
}

/// A marketplace.
pub fn marketplace() -> impl Strategy<Value = Marketplace> {
    proptest::sample::select(Marketplace::ALL.to_vec())
}

/// Any complaint command except `File` (see [`complaint_history`] for filed complaints).
pub fn complaint_command() -> impl Strategy<Value = ComplaintCommand> {
    let successor = ComplaintId::from_u128(u128::MAX);
    prop_oneof![
        Just(ComplaintCommand::Submit),
        Just(ComplaintCommand::SubmitStaged),
        Just(ComplaintCommand::Accept),
        text().prop_map(|reason| ComplaintCommand::ReportUnableToProcess { reason }),
        Just(ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported
        }),
        Just(ComplaintCommand::RecordRemoval {
            cause: RemovalCause::FoundByCheckBack {
                evidence: Some(fixtures::evidence(EvidenceKind::Screenshot))
            }
        }),
        Just(ComplaintCommand::SellerAnswerWindowElapsed),
        text().prop_map(|statement| ComplaintCommand::ReceiveCounterNotice {
            statement,
            evidence: vec![]
        }),
        text().prop_map(|statement| ComplaintCommand::Respond {
            statement,
            evidence: vec![fixtures::evidence(EvidenceKind::TestBuy)]
        }),
        Just(ComplaintCommand::AcceptCounterNotice),
        Just(ComplaintCommand::PlatformRestores),
        Just(ComplaintCommand::ResponseWindowElapsed),
        Just(ComplaintCommand::CheckBackDue),
        Just(ComplaintCommand::RemindResponseDeadline),
        Just(ComplaintCommand::ReportStillListed),
        proptest::option::of(text()).prop_map(|reason| ComplaintCommand::Retract { reason }),
        Just(ComplaintCommand::MarkRelisted { successor }),
        Just(ComplaintCommand::MarkRefiled { successor }),
    ]
}

/// Any right command except `Register`.
pub fn right_command() -> impl Strategy<Value = RightCommand> {
    prop_oneof![
        Just(RightCommand::Submit),
        Just(RightCommand::BeginReview),
        Just(RightCommand::Approve),
        text().prop_map(|reason| RightCommand::Reject {
            reason,
            fixes: vec![]
        }),
        Just(RightCommand::RemindExpiry),
        Just(RightCommand::Expire),
        proptest::option::of(text()).prop_map(|reason| RightCommand::Withdraw { reason }),
        proptest::option::of(text()).prop_map(|reason| RightCommand::Abandon { reason }),
    ]
}

/// A complaint of `tenant` filed against a random listing, then up to `max_commands` random
/// commands a day apart; returns the accepted events and the resulting state.
pub fn complaint_history_in(
    tenant: TenantId,
    max_commands: usize,
) -> impl Strategy<Value = (Vec<ComplaintEvent>, Option<Complaint>)> {
    (
        listing(),
        proptest::sample::select(
            ComplaintReason::for_kind(crate::right::IpKind::Trademark).collect::<Vec<_>>(),
        ),
        text(),
        proptest::collection::vec(complaint_command(), 0..=max_commands),
        any::<u128>(),
    )
        .prop_map(move |(listing, reason, explanation, commands, id)| {
            let policy = MarketplacePolicy::alibaba_ipp();
            let mut right: IpRight = fixtures::right_in(RightStatus::Approved);
            right.tenant = tenant;
            let mut filing = fixtures::complaint_filing(id, 1);
            filing.tenant = tenant;
            filing.listing = listing;
            filing.reason = reason;
            filing.explanation = explanation;
            let mut events = Vec::new();
            let mut state = None;
            let mut at = fixtures::now();
            let file = ComplaintCommand::File(Box::new(filing));
            for command in std::iter::once(file).chain(commands) {
                let context = ComplaintContext::new(at, Actor::Platform, &policy, Some(&right));
                if let Ok(new) = ComplaintDecider::decide(&state, &command, &context) {
                    state = new.iter().fold(state, ComplaintDecider::evolve);
                    events.extend(new);
                }
                at += Duration::days(1);
            }
            (events, state)
        })
}

/// [`complaint_history_in`] the fixtures' tenant.
pub fn complaint_history(
    max_commands: usize,
) -> impl Strategy<Value = (Vec<ComplaintEvent>, Option<Complaint>)> {
    complaint_history_in(fixtures::tenant(), max_commands)
}

/// A complaint state reached by a random history.
pub fn complaint_state() -> impl Strategy<Value = Complaint> {
    complaint_history(20).prop_filter_map("filed", |(_, state)| state)
}

/// A registered right, then up to `max_commands` random commands; the accepted events and
/// the resulting state.
pub fn right_history(
    max_commands: usize,
) -> impl Strategy<Value = (Vec<RightEvent>, Option<IpRight>)> {
    proptest::collection::vec(right_command(), 0..=max_commands).prop_map(|commands| {
        let policy = MarketplacePolicy::alibaba_ipp();
        let register = RightCommand::Register {
            id: fixtures::right_in(RightStatus::Draft).id,
            tenant: fixtures::tenant(),
            package: Box::new(fixtures::trademark_package()),
        };
        let mut events = Vec::new();
        let mut state = None;
        let mut at = fixtures::now();
        for command in std::iter::once(register).chain(commands) {
            let context = RightContext {
                at,
                actor: Actor::Platform,
                policy: &policy,
            };
            if let Ok(new) = RightDecider::decide(&state, &command, &context) {
                state = new.iter().fold(state, RightDecider::evolve);
                events.extend(new);
            }
            at += Duration::days(30);
        }
        (events, state)
    })
}

/// A right state reached by a random history.
pub fn right_state() -> impl Strategy<Value = IpRight> {
    right_history(12).prop_filter_map("registered", |(_, state)| state)
}
