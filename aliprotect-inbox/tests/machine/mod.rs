//! What the state-machine property tests need: the stream they drive through a decider, and
//! the checks every stream must pass after any sequence of commands. Kept apart from
//! `support`, which the corpus tests share.

use std::fmt::Debug;

use aliprotect_core::decider::Decider;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A stream as a property test drives it through decider `D`: the state its accepted
/// commands left, and every event they produced.
pub(crate) struct Stream<D: Decider> {
    pub(crate) state: D::State,
    pub(crate) events: Vec<D::Event>,
}

impl<D: Decider> Stream<D>
where
    D::State: Default,
{
    /// A stream with no events.
    pub(crate) fn new() -> Self {
        Self {
            state: D::initial_state(),
            events: Vec::new(),
        }
    }

    /// Folds the events of an accepted command into the state and keeps them; a refused
    /// command changes nothing.
    pub(crate) fn record(&mut self, decided: Result<Vec<D::Event>, D::Refusal>) {
        if let Ok(events) = decided {
            for event in &events {
                self.state = D::evolve(std::mem::take(&mut self.state), event);
            }
            self.events.extend(events);
        }
    }

    /// The events fold back into the state, and each survives a JSON round trip: what a
    /// store keeps is enough to rebuild the stream.
    pub(crate) fn assert_replayable(&self)
    where
        D::State: PartialEq + Debug,
        D::Event: Serialize + DeserializeOwned + PartialEq + Debug,
    {
        assert_eq!(D::fold(&self.events), self.state, "refold");
        for event in &self.events {
            assert_json_round_trip(event);
        }
    }
}

/// `value` reads back from its JSON as itself.
pub(crate) fn assert_json_round_trip<T>(value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let json = serde_json::to_string(value).unwrap();
    assert_eq!(&serde_json::from_str::<T>(&json).unwrap(), value, "{json}");
}
