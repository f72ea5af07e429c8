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

impl Aggregate for RightDecider {
    type Item = IpRight;
    fn status(item: &IpRight) -> StreamStatus {
        StreamStatus::Right(item.status)
    }
    fn stored(event: Self::Event) -> DomainEvent {
        DomainEvent::Right(event)
    }
    fn snapshot(item: IpRight) -> Snapshot {
        Snapshot::Right(Arc::new(item))
    }
    fn item(snapshot: Snapshot) -> Option<Arc<IpRight>> {
        snapshot.into_right()
    }
}

impl Aggregate for ComplaintDecider {
    type Item = Complaint;
    fn status(item: &Complaint) -> StreamStatus {
        StreamStatus::Complaint(item.status())
    }
    fn stored(event: Self::Event) -> DomainEvent {
        DomainEvent::Complaint(event)
    }
    fn snapshot(item: Complaint) -> Snapshot {
        Snapshot::Complaint(Arc::new(item))
    }
    fn item(snapshot: Snapshot) -> Option<Arc<Complaint>> {
        snapshot.into_complaint()
    }
    fn holds_unique_keys(item: &Complaint) -> bool {
        item.holds_unique_keys()
    }
}

impl Aggregate for PowerDecider {
    type Item = Power;
    fn status(item: &Power) -> StreamStatus {
        StreamStatus::Power(item.status)
    }
    fn stored(event: Self::Event) -> DomainEvent {
        DomainEvent::Power(event)
    }
    fn snapshot(item: Power) -> Snapshot {
        Snapshot::Power(Arc::new(item))
    }
    fn item(snapshot: Snapshot) -> Option<Arc<Power>> {
        snapshot.into_power()
    }
}

impl Aggregate for CampaignDecider {
    type Item = Campaign;
    fn status(item: &Campaign) -> StreamStatus {
        StreamStatus::Campaign(item.status())
    }
    fn stored(event: Self::Event) -> DomainEvent {
        DomainEvent::Campaign(event)
    }
    fn snapshot(item: Campaign) -> Snapshot {
        Snapshot::Campaign(Arc::new(item))
    }
    fn item(snapshot: Snapshot) -> Option<Arc<Campaign>> {
        snapshot.into_campaign()
    }
}

impl Aggregate for FilerDecider {
    type Item = FilerRecord;
    fn status(item: &FilerRecord) -> StreamStatus {
        StreamStatus::Filer(item.status())
    }
    fn stored(event: Self::Event) -> DomainEvent {
        DomainEvent::Filer(event)
    }
    fn snapshot(item: FilerRecord) -> Snapshot {
        Snapshot::Filer(Arc::new(item))
    }
    fn item(snapshot: Snapshot) -> Option<Arc<FilerRecord>> {
        snapshot.into_filer()
    }
}
