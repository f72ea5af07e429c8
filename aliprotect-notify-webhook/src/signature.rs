//! The signature scheme, shared by the sender and by receivers that verify it.
//!
//! `X-Aliprotect-Signature: v1=<hex>` where `<hex>` is HMAC-SHA256 with the shared secret over
//! `<timestamp>.<body>`, and `<timestamp>` (Unix seconds) is sent in `X-Aliprotect-Timestamp`.
//! Signing the timestamp with the body lets a receiver refuse replays of an old request.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header with the Unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "x-aliprotect-timestamp";
/// Header with the signature.
pub const SIGNATURE_HEADER: &str = "x-aliprotect-signature";
/// Header with the message's idempotency key: the same on every retry.
pub const ID_HEADER: &str = "x-aliprotect-id";

/// A shared secret. Never shown by `Debug`, and has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Wraps the secret bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

fn mac(secret: &Secret, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length (RFC 2104): no input can make this fail.
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret.0).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The signature header value for `body` signed at `timestamp`.
pub fn sign(secret: &Secret, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Why a received request is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The signature header is missing, not `v1=`, or not hex.
    #[error("malformed signature header")]
    Malformed,
    /// The signature does not match the body and timestamp.
    #[error("signature mismatch")]
    Mismatch,
    /// Signed too long ago (or in the future): a replay, or a clock far off.
    #[error("timestamp {timestamp} is more than {tolerance_secs} s from now ({now})")]
    Stale {
        /// The request's timestamp.
        timestamp: i64,
        /// The receiver's time.
        now: i64,
        /// The tolerance.
        tolerance_secs: i64,
    },
}

/// Checks a received request: the signature over `timestamp.body`, in constant time, and that
/// the timestamp is within `tolerance_secs` of `now` (both Unix seconds).
///
/// ```
/// use aliprotect_notify_webhook::signature::{sign, verify, Secret};
/// let secret = Secret::new("s3cret");
/// let body = br#"{"id":"complaint:1@4"}"#;
/// let header = sign(&secret, 1_700_000_000, body);
/// assert!(verify(&secret, 1_700_000_000, &header, body, 1_700_000_100, 300).is_ok());
/// assert!(verify(&secret, 1_700_000_000, &header, body, 1_700_009_999, 300).is_err());
/// ```
pub fn verify(
    secret: &Secret,
    timestamp: i64,
    signature: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let hex_part = signature
        .strip_prefix("v1=")
        .ok_or(VerifyError::Malformed)?;
    let expected = hex::decode(hex_part).map_err(|_| VerifyError::Malformed)?;
    mac(secret, timestamp, body)
        .verify_slice(&expected)
        .map_err(|_| VerifyError::Mismatch)?;
    // abs_diff: any two i64 timestamps, however far apart, without overflow (found by
    // fuzzing: `now - timestamp` overflowed for a timestamp near i64::MIN). A negative
    // tolerance accepts nothing but the exact second.
    let tolerance = u64::try_from(tolerance_secs).unwrap_or(0);
    if now.abs_diff(timestamp) > tolerance {
        return Err(VerifyError::Stale {
            timestamp,
            now,
            tolerance_secs,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fuzz/artifacts: webhook_verify crash-79049a26): timestamps at the ends
    /// of the i64 range overflowed the freshness check.
    #[test]
    fn timestamps_at_the_ends_of_the_range_are_stale_not_a_panic() {
        let secret = Secret::new("k");
        for (timestamp, now) in [(i64::MIN, i64::MAX), (i64::MAX, i64::MIN), (i64::MIN, 0)] {
            let sig = sign(&secret, timestamp, b"x");
            assert!(matches!(
                verify(&secret, timestamp, &sig, b"x", now, 300),
                Err(VerifyError::Stale { .. })
            ));
        }
        let sig = sign(&secret, i64::MIN, b"x");
        assert_eq!(verify(&secret, i64::MIN, &sig, b"x", i64::MIN, 0), Ok(()));
        assert!(verify(&secret, 5, &sign(&secret, 5, b"x"), b"x", 6, -1).is_err());
    }

    #[test]
    fn a_tampered_body_or_timestamp_fails() {
        let secret = Secret::new("k");
        let sig = sign(&secret, 100, b"body");
        assert_eq!(verify(&secret, 100, &sig, b"body", 100, 10), Ok(()));
        assert_eq!(
            verify(&secret, 100, &sig, b"bodY", 100, 10),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&secret, 101, &sig, b"body", 100, 10),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&Secret::new("other"), 100, &sig, b"body", 100, 10),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            verify(&secret, 100, "v2=00", b"body", 100, 10),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            verify(&secret, 100, "v1=zz", b"body", 100, 10),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
