//! Stable codes for keys and statuses in a database's columns, shared by every SQL backend
//! (and free for a third party's): a stream is a kind code plus a UUID, a status its index
//! in its type's `ALL` order, a metrics group a dimension code plus a text key. The codes
//! are part of the stored format: they only ever grow.

use uuid::Uuid;

use super::{
    ExtensionKind, Snapshot, StoreError, StreamId, StreamKind, StreamStatus, Timer, TimerKind,
};
use crate::complaint::{ComplaintReason, ComplaintStatus};
use crate::ids::{CampaignId, ComplaintId, PowerOfAttorneyId, RightId, TenantId};
use crate::marketplace::Marketplace;
use crate::metrics::MetricsGroup;
use crate::right::RightStatus;
use chrono::{DateTime, NaiveDate, Utc};

/// Kind code of an IP right's stream.
pub const KIND_RIGHT: u8 = StreamKind::Right.code();
/// Kind code of a complaint's stream.
pub const KIND_COMPLAINT: u8 = StreamKind::Complaint.code();
/// Kind code of a filer's record (the tenant itself as a filer; its UUID is the tenant's).
pub const KIND_FILER: u8 = StreamKind::Filer.code();
/// Kind code of a power of attorney's stream.
pub const KIND_POWER: u8 = StreamKind::Power.code();
/// Kind code of a campaign's stream.
pub const KIND_CAMPAIGN: u8 = StreamKind::Campaign.code();
/// Kind code of the store's policy stream (its UUID is nil).
pub const KIND_POLICY: u8 = StreamKind::Policy.code();

fn corrupt(location: &str, detail: impl ToString) -> StoreError {
    StoreError::Corrupt {
        location: location.to_owned(),
        detail: detail.to_string(),
    }
}

/// The stream's kind code and UUID.
pub fn stream_parts(stream: StreamId) -> (u8, Uuid) {
    match stream {
        StreamId::Right(id) => (KIND_RIGHT, id.as_uuid()),
        StreamId::Complaint(id) => (KIND_COMPLAINT, id.as_uuid()),
        StreamId::Filer(id) => (KIND_FILER, id.as_uuid()),
        StreamId::Power(id) => (KIND_POWER, id.as_uuid()),
        StreamId::Campaign(id) => (KIND_CAMPAIGN, id.as_uuid()),
        StreamId::Policy => (KIND_POLICY, Uuid::nil()),
        StreamId::Extension { kind, id } => (kind.code(), id),
    }
}

/// The stream with this kind code and UUID: a core kind's, or an extension kind's from
/// [`ExtensionKind::FIRST`] on; any other code is corrupt data.
pub fn stream_from_parts(kind: i64, uuid: Uuid) -> Result<StreamId, StoreError> {
    match u8::try_from(kind) {
        Ok(KIND_RIGHT) => Ok(StreamId::Right(RightId::from_uuid(uuid))),
        Ok(KIND_COMPLAINT) => Ok(StreamId::Complaint(ComplaintId::from_uuid(uuid))),
        Ok(KIND_FILER) => Ok(StreamId::Filer(TenantId::from_uuid(uuid))),
        Ok(KIND_POWER) => Ok(StreamId::Power(PowerOfAttorneyId::from_uuid(uuid))),
        Ok(KIND_CAMPAIGN) => Ok(StreamId::Campaign(CampaignId::from_uuid(uuid))),
        Ok(KIND_POLICY) if uuid.is_nil() => Ok(StreamId::Policy),
        Ok(code) if let Some(kind) = ExtensionKind::from_code(code) => {
            Ok(StreamId::Extension { kind, id: uuid })
        }
        _ => Err(corrupt("stream key", format!("unknown kind {kind}"))),
    }
}

/// The kind code of the stream a snapshot is the state of.
pub fn kind_of(snapshot: &Snapshot) -> u8 {
    snapshot.kind().code()
}

/// A status as stored: its index in `ComplaintStatus::ALL` / `RightStatus::ALL` (the enum's
/// order for powers and campaigns).
pub fn status_code(status: StreamStatus) -> i16 {
    match status {
        StreamStatus::Right(status) => status as i16,
        StreamStatus::Complaint(status) => status as i16,
        StreamStatus::Power(status) => status as i16,
        StreamStatus::Campaign(status) => status as i16,
        StreamStatus::Policy => 0,
        StreamStatus::Filer(status) => status as i16,
        StreamStatus::Extension { code, .. } => i16::from(code),
    }
}

/// The complaint status stored as `code`.
pub fn complaint_status(code: i64) -> Result<ComplaintStatus, StoreError> {
    usize::try_from(code)
        .ok()
        .and_then(|i| ComplaintStatus::ALL.get(i).copied())
        .ok_or_else(|| corrupt("complaint status", code))
}

/// The right status stored as `code`.
pub fn right_status(code: i64) -> Result<RightStatus, StoreError> {
    usize::try_from(code)
        .ok()
        .and_then(|i| RightStatus::ALL.get(i).copied())
        .ok_or_else(|| corrupt("right status", code))
}

const GROUP_RIGHT: i16 = 0;
const GROUP_WEEK: i16 = 1;
/// Sellers by name alone, before the tallies kept their marketplace: retired.
const GROUP_SELLER_BY_NAME: i64 = 2;
const GROUP_SELLER: i16 = 3;
const GROUP_TAKEN_UP: i16 = 4;

/// A metrics group as stored: a dimension code and a text key. A seller's key is its
/// marketplace, then `/` and its id or name when the listing shows one; a taken-up day's is
/// the date, a space and the reason's code.
pub fn metrics_group_parts(group: &MetricsGroup) -> (i16, String) {
    match group {
        MetricsGroup::Right(right) => (GROUP_RIGHT, right.to_string()),
        MetricsGroup::Week(week) => (GROUP_WEEK, week.to_string()),
        MetricsGroup::Seller(marketplace, None) => (GROUP_SELLER, marketplace.code().to_owned()),
        MetricsGroup::Seller(marketplace, Some(seller)) => {
            (GROUP_SELLER, format!("{}/{seller}", marketplace.code()))
        }
        MetricsGroup::TakenUp(day, reason) => (GROUP_TAKEN_UP, format!("{day} {}", reason.code())),
    }
}

/// The metrics group stored as `dimension` and `key`; `None` for a row of a retired
/// dimension (2: sellers by name alone, counted again under 3 by the migration that retired
/// it; a row written later by a process of an older build is left out, with a warning,
/// rather than failing every read of the tenant's tallies).
pub fn metrics_group_from_parts(
    dimension: i64,
    key: String,
) -> Result<Option<MetricsGroup>, StoreError> {
    if dimension == GROUP_SELLER_BY_NAME {
        tracing::warn!(dimension, %key, "tally row of a retired dimension left out");
        return Ok(None);
    }
    group_of(dimension, key).map(Some)
}

fn group_of(dimension: i64, key: String) -> Result<MetricsGroup, StoreError> {
    let bad = |error: &dyn std::fmt::Display| corrupt("metrics group", format!("`{key}`: {error}"));
    match i16::try_from(dimension) {
        Ok(GROUP_RIGHT) => key
            .parse::<RightId>()
            .map(MetricsGroup::Right)
            .map_err(|e| bad(&e)),
        Ok(GROUP_WEEK) => key.parse().map(MetricsGroup::Week).map_err(|e| bad(&e)),
        Ok(GROUP_SELLER) => {
            let (marketplace, seller) = match key.split_once('/') {
                Some((marketplace, seller)) => (marketplace, Some(seller.to_owned())),
                None => (key.as_str(), None),
            };
            let marketplace = marketplace.parse::<Marketplace>().map_err(|e| bad(&e))?;
            Ok(MetricsGroup::Seller(marketplace, seller))
        }
        Ok(GROUP_TAKEN_UP) => {
            let (day, reason) = key
                .split_once(' ')
                .ok_or_else(|| bad(&"no day and reason"))?;
            let day = day.parse::<NaiveDate>().map_err(|e| bad(&e))?;
            let reason = reason.parse::<ComplaintReason>().map_err(|e| bad(&e))?;
            Ok(MetricsGroup::TakenUp(day, reason))
        }
        _ => Err(corrupt(
            "metrics group",
            format!("unknown dimension {dimension}"),
        )),
    }
}

/// A stream's timers as stored in its row: JSON `[[kind, due_micros], ...]`, and the
/// earliest due time (what a claim looks for); `None` for no timers.
pub fn encode_timers(timers: &[Timer]) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
    let Some(next) = timers.iter().map(|t| t.due).min() else {
        return Ok(None);
    };
    let pairs: Vec<(TimerKind, i64)> = timers
        .iter()
        .map(|t| (t.kind, t.due.timestamp_micros()))
        .collect();
    let json = serde_json::to_string(&pairs).map_err(|e| corrupt("encoding timers", e))?;
    Ok(Some((json, next)))
}

/// The timers of `stream` stored as `json` by [`encode_timers`].
pub fn decode_timers(
    tenant: TenantId,
    stream: StreamId,
    json: &str,
) -> Result<Vec<Timer>, StoreError> {
    let pairs: Vec<(TimerKind, i64)> =
        serde_json::from_str(json).map_err(|e| corrupt("timers", e))?;
    pairs
        .into_iter()
        .map(|(kind, due)| {
            Ok(Timer {
                tenant,
                stream,
                kind,
                due: DateTime::from_timestamp_micros(due)
                    .ok_or_else(|| corrupt("timer due", due))?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_keys_round_trip_and_unknown_kinds_are_corrupt() {
        for stream in [
            StreamId::Right(RightId::new()),
            StreamId::Complaint(ComplaintId::new()),
            StreamId::Filer(TenantId::new()),
            StreamId::Power(PowerOfAttorneyId::new()),
            StreamId::Campaign(CampaignId::new()),
            StreamId::Policy,
            StreamId::Extension {
                kind: ExtensionKind::new(ExtensionKind::FIRST),
                id: Uuid::now_v7(),
            },
        ] {
            let (kind, uuid) = stream_parts(stream);
            assert_eq!(stream_from_parts(i64::from(kind), uuid).ok(), Some(stream));
        }
        assert!(matches!(
            stream_from_parts(9, Uuid::nil()),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            stream_from_parts(127, Uuid::nil()),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            stream_from_parts(256, Uuid::nil()),
            Err(StoreError::Corrupt { .. })
        ));
        assert!(matches!(
            stream_from_parts(-1, Uuid::nil()),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn status_codes_round_trip_and_out_of_range_is_corrupt() {
        for status in ComplaintStatus::ALL {
            let code = status_code(StreamStatus::Complaint(status));
            assert_eq!(complaint_status(i64::from(code)).ok(), Some(status));
        }
        for &status in RightStatus::ALL.iter() {
            let code = status_code(StreamStatus::Right(status));
            assert_eq!(right_status(i64::from(code)).ok(), Some(status));
        }
        assert!(complaint_status(99).is_err());
        assert!(right_status(-1).is_err());
    }

    #[test]
    fn metrics_groups_round_trip() {
        let week = "2026-W05".parse().expect("week");
        let day = NaiveDate::from_ymd_opt(2026, 2, 1).expect("day");
        let mut groups = vec![
            MetricsGroup::Right(RightId::new()),
            MetricsGroup::Week(week),
            MetricsGroup::Seller(Marketplace::AlibabaCom, None),
            // A name may hold the separators.
            MetricsGroup::Seller(Marketplace::Amazon, Some("shop/1 2".to_owned())),
        ];
        groups.extend(
            ComplaintReason::ALL
                .into_iter()
                .map(|reason| MetricsGroup::TakenUp(day, reason)),
        );
        for group in groups {
            let (dimension, key) = metrics_group_parts(&group);
            assert_eq!(
                metrics_group_from_parts(i64::from(dimension), key).ok(),
                Some(Some(group))
            );
        }
        // Sellers by name alone: retired with the tallies that kept no marketplace.
        assert_eq!(
            metrics_group_from_parts(2, "shop 1".to_owned()).ok(),
            Some(None)
        );
        for (dimension, key) in [
            (7, ""),
            (3, "nowhere/shop"),
            (4, "2026-02-01"),
            (4, "2026-02-31 trademark-counterfeit"),
            (4, "2026-02-01 no-such-reason"),
        ] {
            let found = metrics_group_from_parts(dimension, key.to_owned());
            assert!(
                matches!(found, Err(StoreError::Corrupt { .. })),
                "{key}: {found:?}"
            );
        }
    }

    #[test]
    fn timers_round_trip_with_their_earliest_due_time() {
        let (tenant, stream) = (TenantId::new(), StreamId::Complaint(ComplaintId::new()));
        assert_eq!(encode_timers(&[]).ok(), Some(None));
        let at = DateTime::from_timestamp_micros(1_700_000_000_000_000).expect("instant");
        let timers = vec![
            Timer {
                tenant,
                stream,
                kind: TimerKind::Expiry,
                due: at + chrono::Duration::days(2),
            },
            Timer {
                tenant,
                stream,
                kind: TimerKind::CheckBack,
                due: at,
            },
        ];
        let (json, next) = encode_timers(&timers).ok().flatten().expect("encoded");
        assert_eq!(next, at);
        assert_eq!(decode_timers(tenant, stream, &json).ok(), Some(timers));
        assert!(decode_timers(tenant, stream, "[[").is_err());
    }
}
