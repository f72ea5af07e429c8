//! The policy kept with the data: a store-wide stream whose events record which policy the
//! store's data follows, who chose it, when and why. Every engine on the store applies the
//! same rules: deadlines and timers computed under another policy would contradict the
//! record, and engines with different policies would each find the other's timers stale.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::MarketplacePolicy;
use crate::decider::Recorded;
use crate::ids::{StreamId, TenantId};
use crate::party::Actor;
use crate::text::Text;

/// The store's policy stream: its tenant is [`TenantId::STORE`], its id [`StreamId::Policy`].
pub const POLICY_STREAM: (TenantId, StreamId) = (TenantId::STORE, StreamId::Policy);

/// What happened to the store's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PolicyChange {
    /// The first engine to use the store recorded its policy.
    Adopted {
        /// The policy.
        policy: Box<MarketplacePolicy>,
    },
    /// An operator changed the policy of data already recorded under another.
    Changed {
        /// The new policy.
        policy: Box<MarketplacePolicy>,
        /// Why, in the operator's words.
        reason: Text,
    },
}

/// A stored event of the policy stream.
pub type PolicyEvent = Recorded<PolicyChange>;

/// The policy a store's data follows, and how it came to be.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredPolicy {
    /// The policy in force.
    pub policy: Arc<MarketplacePolicy>,
    /// How many times it was set (1: adopted, never changed).
    pub revision: u32,
    /// When it was last set.
    pub since: DateTime<Utc>,
    /// Who set it.
    pub by: Actor,
    /// Why it was changed, for a change.
    pub reason: Option<Text>,
}

impl StoredPolicy {
    /// The state after `event`; every event sets the whole policy.
    pub fn evolve(state: Option<StoredPolicy>, event: &PolicyEvent) -> StoredPolicy {
        let (policy, reason) = match &event.change {
            PolicyChange::Adopted { policy } => (policy, None),
            PolicyChange::Changed { policy, reason } => (policy, Some(reason.clone())),
        };
        StoredPolicy {
            policy: Arc::new(MarketplacePolicy::clone(policy)),
            revision: state.map_or(1, |s| s.revision.saturating_add(1)),
            since: event.at,
            by: event.actor,
            reason,
        }
    }
}
