//! Given/when/then helpers for deciders, synchronous like the deciders themselves.
//!
//! ```
//! use aliprotect_core::decider::Decider;
//! use aliprotect_core::policy::MarketplacePolicy;
//! use aliprotect_core::right::*;
//! use aliprotect_core::testkit::{fixtures, given::Given};
//!
//! let policy = MarketplacePolicy::alibaba_ipp();
//! let context = RightContext { at: fixtures::now(), actor: fixtures::holder_user(), policy: &policy };
//! let outcome = Given::<RightDecider>::state(Some(fixtures::right_in(RightStatus::Draft)))
//!     .when(&RightCommand::Submit, &context);
//! let state = outcome.then_state();
//! assert_eq!(state.map(|right| (right.status, right.attempts)), Some((RightStatus::Submitted, 1)));
//! ```

use crate::decider::Decider;

/// A decider test's starting point.
pub struct Given<D: Decider> {
    state: D::State,
}

impl<D: Decider> Given<D> {
    /// Starts from the fold of `events`.
    pub fn events<'e>(events: impl IntoIterator<Item = &'e D::Event>) -> Self
    where
        D::Event: 'e,
    {
        Self {
            state: D::fold(events),
        }
    }

    /// Starts from `state`.
    pub fn state(state: D::State) -> Self {
        Self { state }
    }

    /// Starts from a stream with no events.
    pub fn nothing() -> Self {
        Self {
            state: D::initial_state(),
        }
    }

    /// Decides `command`.
    pub fn when(self, command: &D::Command, context: &D::Context<'_>) -> Then<D> {
        let result = D::decide(&self.state, command, context);
        Then {
            state: self.state,
            result,
        }
    }
}

/// What a decision gave.
pub struct Then<D: Decider> {
    state: D::State,
    result: Result<Vec<D::Event>, D::Refusal>,
}

impl<D: Decider> Then<D>
where
    D::Event: std::fmt::Debug,
    D::Refusal: std::fmt::Debug,
{
    /// The events; panics with the refusal if the command was refused.
    #[allow(clippy::panic)]
    pub fn then_events(&self) -> &[D::Event] {
        match &self.result {
            Ok(events) => events,
            Err(refusal) => panic!("expected events, the command was refused: {refusal:?}"),
        }
    }

    /// The refusal; panics with the events if the command was accepted.
    #[allow(clippy::panic)]
    pub fn then_refused(&self) -> &D::Refusal {
        match &self.result {
            Ok(events) => panic!("expected a refusal, got events: {events:?}"),
            Err(refusal) => refusal,
        }
    }

    /// The state after the events; panics if the command was refused.
    #[allow(clippy::panic)]
    pub fn then_state(self) -> D::State {
        match self.result {
            Ok(events) => events.iter().fold(self.state, D::evolve),
            Err(refusal) => panic!("expected events, the command was refused: {refusal:?}"),
        }
    }
}
