//! The decider shape shared by every state machine.
//!
//! `decide` turns a command into events (or a refusal) given the current state; `evolve` folds
//! one event into the state. Both are pure and synchronous: time, actor and policy come in
//! through the context, and all I/O is the engine's business.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::party::Actor;

/// A state machine in decider form.
pub trait Decider {
    /// The state folded from events; [`Decider::initial_state`] before the first event.
    type State;
    /// What callers ask for.
    type Command;
    /// What happened; the durable fact.
    type Event;
    /// What `decide` may read besides the state (time, actor, policy, related aggregates).
    type Context<'a>;
    /// Why a command is refused.
    type Refusal;

    /// The state of a stream with no events.
    fn initial_state() -> Self::State;

    /// The events `command` produces in `state`, or why it is refused. Never fails on a
    /// valid command in a state that allows it; never panics.
    fn decide(
        state: &Self::State,
        command: &Self::Command,
        context: &Self::Context<'_>,
    ) -> Result<Vec<Self::Event>, Self::Refusal>;

    /// The state after `event`. Total: an event that does not fit the state (a corrupt or
    /// foreign stream) leaves the state unchanged rather than panicking.
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// The state after all of `events`, from the initial state.
    fn fold<'e>(events: impl IntoIterator<Item = &'e Self::Event>) -> Self::State
    where
        Self::Event: 'e,
    {
        events
            .into_iter()
            .fold(Self::initial_state(), |state, event| {
                Self::evolve(state, event)
            })
    }
}

/// An event as stored: what changed, when, and who caused it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded<C> {
    /// When the command that caused it was decided.
    pub at: DateTime<Utc>,
    /// Who issued the command.
    pub actor: Actor,
    /// The change itself.
    pub change: C,
}

/// Why a command was refused: the state it met, the command, and the rule it broke.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("`{command}` refused in state {state}: {rule}")]
pub struct Refusal<S: fmt::Display, R: fmt::Display> {
    /// The state the command met (`None` before the stream exists).
    pub state: StateName<S>,
    /// The command's name.
    pub command: String,
    /// The rule that refused it.
    pub rule: R,
}

impl<S: fmt::Display, R: fmt::Display> Refusal<S, R> {
    /// The refusal by `rule` of the command named `command`, met in `state` (`None`: before
    /// the stream exists).
    pub fn new(state: Option<S>, command: &str, rule: R) -> Self {
        Self {
            state: state.map_or(StateName::Absent, StateName::In),
            command: command.to_owned(),
            rule,
        }
    }
}

/// A state name for refusals, where a stream may not exist yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StateName<S> {
    /// The stream has no events.
    Absent,
    /// The stream is in this state.
    In(S),
}

impl<S: fmt::Display> fmt::Display for StateName<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateName::Absent => f.write_str("(none)"),
            StateName::In(state) => state.fmt(f),
        }
    }
}
