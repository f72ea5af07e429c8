//! The signature scheme of [Standard Webhooks](https://www.standardwebhooks.com/), shared by
//! the sender and by receivers that verify it (with this module, or with any Standard
//! Webhooks library: Svix's, the reference ones for Python, JavaScript, Go...).
//!
//! Three headers: `webhook-id` (the message's idempotency key, the same on every retry),
//! `webhook-timestamp` (Unix seconds) and `webhook-signature`: `v1,<base64>`, the HMAC-SHA256
//! with the shared secret of `<id>.<timestamp>.<body>` (several space-separated signatures
//! while a secret is being rotated). Signing the id and the timestamp with the body lets a
//! receiver refuse a replay of an old request, or of another message's body.
//!
//! A secret is written `whsec_` and its key in base64: [`Secret::to_whsec`] gives the text a
//! receiver is configured with, [`Secret::from_whsec`] reads one back.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header with the message's idempotency key: the same on every retry.
pub const ID_HEADER: &str = "webhook-id";
/// Header with the Unix time (seconds) the request was signed at.
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
/// Header with the signatures.
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The prefix of a secret written as Standard Webhooks writes it.
pub const WHSEC_PREFIX: &str = "whsec_";

/// A shared secret: the HMAC key. Never shown by `Debug`, and has no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

/// A `whsec_` secret whose key is not base64, or is empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a whsec_ secret is `whsec_` and a non-empty key in base64")]
pub struct InvalidSecret;

impl Secret {
    /// The secret whose key is `bytes`.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The secret written `whsec_<base64 key>`.
    ///
    /// ```
    /// use aliprotect_notify_webhook::signature::Secret;
    /// let secret = Secret::from_whsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
    /// assert_eq!(secret.to_whsec(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    /// assert!(Secret::from_whsec("whsec_not base64!").is_err());
    /// # Ok::<(), aliprotect_notify_webhook::signature::InvalidSecret>(())
    /// ```
    pub fn from_whsec(text: &str) -> Result<Self, InvalidSecret> {
        let encoded = text.strip_prefix(WHSEC_PREFIX).ok_or(InvalidSecret)?;
        let key = BASE64.decode(encoded.trim()).map_err(|_| InvalidSecret)?;
        if key.is_empty() {
            return Err(InvalidSecret);
        }
        Ok(Self(key))
    }

    /// A secret as a configuration gives it: a `whsec_` secret is read as one; any other
    /// text is the key itself (its receiver then verifies with [`Secret::to_whsec`]).
    pub fn from_config(text: &str) -> Result<Self, InvalidSecret> {
        if text.starts_with(WHSEC_PREFIX) {
            Self::from_whsec(text)
        } else {
            Ok(Self::new(text.as_bytes()))
        }
    }

    /// The secret as a Standard Webhooks receiver is configured with it.
    pub fn to_whsec(&self) -> String {
        format!("{WHSEC_PREFIX}{}", BASE64.encode(&self.0))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(redacted)")
    }
}

fn mac(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length (RFC 2104): no input can make this fail.
    #[allow(clippy::expect_used)]
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret.0).expect("any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `webhook-signature` value for the message `id` with `body`, signed at `timestamp`.
pub fn sign(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "v1,{}",
        BASE64.encode(mac(secret, id, timestamp, body).finalize().into_bytes())
    )
}

/// Why a received request is not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The signature header holds no `v1,<base64>` signature.
    #[error("malformed signature header")]
    Malformed,
    /// No signature matches the id, timestamp and body.
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

/// Checks a received request: one of the `signatures` (the `webhook-signature` header) over
/// `id.timestamp.body`, compared in constant time, and that the timestamp is within
/// `tolerance_secs` of `now` (both Unix seconds; Standard Webhooks uses 300).
///
/// ```
/// use aliprotect_notify_webhook::signature::{sign, verify, Secret};
/// let secret = Secret::new("s3cret");
/// let body = br#"{"id":"complaint:1@4"}"#;
/// let header = sign(&secret, "msg_1", 1_700_000_000, body);
/// assert!(verify(&secret, "msg_1", 1_700_000_000, &header, body, 1_700_000_100, 300).is_ok());
/// assert!(verify(&secret, "msg_2", 1_700_000_000, &header, body, 1_700_000_100, 300).is_err());
/// assert!(verify(&secret, "msg_1", 1_700_000_000, &header, body, 1_700_009_999, 300).is_err());
/// ```
pub fn verify(
    secret: &Secret,
    id: &str,
    timestamp: i64,
    signatures: &str,
    body: &[u8],
    now: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let candidates: Vec<Vec<u8>> = signatures
        .split(' ')
        .filter_map(|signature| signature.strip_prefix("v1,"))
        .filter_map(|encoded| BASE64.decode(encoded).ok())
        .collect();
    if candidates.is_empty() {
        return Err(VerifyError::Malformed);
    }
    let expected = mac(secret, id, timestamp, body);
    if !candidates
        .iter()
        .any(|candidate| expected.clone().verify_slice(candidate).is_ok())
    {
        return Err(VerifyError::Mismatch);
    }
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
            let sig = sign(&secret, "m", timestamp, b"x");
            assert!(matches!(
                verify(&secret, "m", timestamp, &sig, b"x", now, 300),
                Err(VerifyError::Stale { .. })
            ));
        }
        let sig = sign(&secret, "m", i64::MIN, b"x");
        assert_eq!(
            verify(&secret, "m", i64::MIN, &sig, b"x", i64::MIN, 0),
            Ok(())
        );
        let sig = sign(&secret, "m", 5, b"x");
        assert!(verify(&secret, "m", 5, &sig, b"x", 6, -1).is_err());
    }

    #[test]
    fn a_tampered_id_body_or_timestamp_fails() {
        let secret = Secret::new("k");
        let sig = sign(&secret, "m", 100, b"body");
        assert_eq!(verify(&secret, "m", 100, &sig, b"body", 100, 10), Ok(()));
        for (id, timestamp, body) in [
            ("m", 100, &b"bodY"[..]),
            ("m", 101, b"body"),
            ("n", 100, b"body"),
        ] {
            assert_eq!(
                verify(&secret, id, timestamp, &sig, body, 100, 10),
                Err(VerifyError::Mismatch)
            );
        }
        assert_eq!(
            verify(&Secret::new("other"), "m", 100, &sig, b"body", 100, 10),
            Err(VerifyError::Mismatch)
        );
        for malformed in ["v2,AAAA", "v1,%%%", "", "v1=00"] {
            assert_eq!(
                verify(&secret, "m", 100, malformed, b"body", 100, 10),
                Err(VerifyError::Malformed),
                "{malformed}"
            );
        }
    }

    /// The example of the Standard Webhooks specification's test vectors.
    #[test]
    fn the_specifications_test_vector() {
        let secret = Secret::from_whsec("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let signature = sign(
            &secret,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn one_signature_of_several_is_enough_while_a_secret_rotates() {
        let old = Secret::new("old");
        let new = Secret::new("new");
        let both = format!("{} {}", sign(&old, "m", 1, b"x"), sign(&new, "m", 1, b"x"));
        assert_eq!(verify(&new, "m", 1, &both, b"x", 1, 0), Ok(()));
        assert_eq!(verify(&old, "m", 1, &both, b"x", 1, 0), Ok(()));
    }

    #[test]
    fn the_secret_never_shows_in_debug() {
        let secret = Secret::new("hunter2");
        assert!(!format!("{secret:?}").contains("hunter2"));
        assert_eq!(Secret::from_config("hunter2").unwrap(), secret);
        assert_eq!(Secret::from_config(&secret.to_whsec()).unwrap(), secret);
        assert_eq!(Secret::from_whsec("whsec_"), Err(InvalidSecret));
    }
}
