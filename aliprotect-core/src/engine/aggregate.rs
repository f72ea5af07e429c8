//! What the engine needs to know of each kind of stream to turn a decision into a commit:
//! its status, and how its events and state are stored.

use std::sync::Arc;

use crate::campaign::{Campaign, CampaignDecider};
use crate::complaint::{Complaint, ComplaintDecider};
use crate::decider::Decider;
use crate::filer::{FilerDecider, FilerRecord};
use crate::power::{Power, PowerDecider};
use crate::right::{IpRight, RightDecider};
use crate::store::{DomainEvent, Snapshot, StreamStatus};

/// A decider whose streams the engine stores.
pub(super) trait Aggregate: Decider<State = Option<Self::Item>> {
    /// The state of one stream.
    type Item: Clone;
    /// The status the read model counts.
    fn status(item: &Self::Item) -> StreamStatus;
    /// An event, as stored.
    fn stored(event: Self::Event) -> DomainEvent;
    /// A state, as stored.
    fn snapshot(item: Self::Item) -> Snapshot;
    /// The state in a stored snapshot, if it is one of this kind.
    fn item(snapshot: Snapshot) -> Option<Arc<Self::Item>>;
    /// Whether a stream in this state holds its unique keys (none by default).
    fn holds_unique_keys(_item: &Self::Item) -> bool {
        false
    }
}

/// The impl for a kind whose stream status, event and snapshot variants all bear its name
/// (`Right`, ...): its decider, its state, that name, the status of a state, and the
/// snapshot's `into_*` accessor; then any methods of its own.
macro_rules! aggregate {
    ($decider:ty, $item:ty, $variant:ident, $status:expr, $into:ident $(, $own:item)*) => {
        impl Aggregate for $decider {
            type Item = $item;
            fn status(item: &$item) -> StreamStatus {
                let status: fn(&$item) -> _ = $status;
                StreamStatus::$variant(status(item))
            }
            fn stored(event: Self::Event) -> DomainEvent {
                DomainEvent::$variant(event)
            }
            fn snapshot(item: $item) -> Snapshot {
                Snapshot::$variant(Arc::new(item))
            }
            fn item(snapshot: Snapshot) -> Option<Arc<$item>> {
                snapshot.$into()
            }
            $($own)*
        }
    };
}

aggregate!(
    RightDecider,
    IpRight,
    Right,
    |right| right.status,
    into_right
);
aggregate!(PowerDecider, Power, Power, |power| power.status, into_power);
aggregate!(
    CampaignDecider,
    Campaign,
    Campaign,
    Campaign::status,
    into_campaign
);
aggregate!(
    FilerDecider,
    FilerRecord,
    Filer,
    FilerRecord::status,
    into_filer
);
aggregate!(
    ComplaintDecider,
    Complaint,
    Complaint,
    Complaint::status,
    into_complaint,
    fn holds_unique_keys(item: &Complaint) -> bool {
        item.holds_unique_keys()
    }
);
