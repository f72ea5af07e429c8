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

/// A stream as a property test drives it through decider `D`: the state its accepted
/// commands left, and every event they produced. After any sequence of commands,
/// [`Driven::assert_replayable`] checks what every stream must satisfy.
///
/// ```
/// use aliprotect_core::power::{PowerCommand, PowerContext, PowerDecider};
/// use aliprotect_core::decider::Decider;
/// use aliprotect_core::testkit::{fixtures, given::Driven};
///
/// let mut stream = Driven::<PowerDecider>::new();
/// let context = PowerContext { at: fixtures::now(), actor: fixtures::holder_user() };
/// stream.record(PowerDecider::decide(&stream.state, &PowerCommand::Expire, &context));
/// assert!(stream.events.is_empty(), "a refused command changes nothing");
/// stream.assert_replayable();
/// ```
pub struct Driven<D: Decider> {
    /// The state the accepted commands left.
    pub state: D::State,
    /// Every event they produced, in order.
    pub events: Vec<D::Event>,
}

impl<D: Decider> Driven<D>
where
    D::State: Default,
{
    /// A stream with no events.
    pub fn new() -> Self {
        Self {
            state: D::initial_state(),
            events: Vec::new(),
        }
    }

    /// Folds the events of an accepted command into the state and keeps them; a refused
    /// command changes nothing.
    pub fn record(&mut self, decided: Result<Vec<D::Event>, D::Refusal>) {
        if let Ok(events) = decided {
            for event in &events {
                self.state = D::evolve(std::mem::take(&mut self.state), event);
            }
            self.events.extend(events);
        }
    }

    /// Panics unless the events fold back into the state and each survives a JSON round
    /// trip: what a store keeps is enough to rebuild the stream.
    pub fn assert_replayable(&self)
    where
        D::State: PartialEq + std::fmt::Debug,
        D::Event: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        assert_eq!(D::fold(&self.events), self.state, "refold");
        for event in &self.events {
            assert_json_round_trip(event);
        }
    }
}

impl<D: Decider> Default for Driven<D>
where
    D::State: Default,
{
    fn default() -> Self {
        Self::new()
    }
}

/// Panics unless `value` reads back from its JSON as itself.
#[allow(clippy::expect_used)]
pub fn assert_json_round_trip<T>(value: &T)
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let json = serde_json::to_string(value).expect("a value that serialises");
    let back: T = serde_json::from_str(&json).expect("its JSON reads back");
    assert_eq!(&back, value, "{json}");
}
