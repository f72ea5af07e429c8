//! Webhook signatures from the network: `verify` with any timestamp, signature header and
//! body never panics, accepts what `sign` made within the window, and refuses anything else.
//! Input: 8 bytes of timestamp, 8 of the receiver's clock, 2 of tolerance, then the signature
//! header up to a newline, then the body.
#![no_main]

use aliprotect::notify_webhook::signature::{Secret, sign, verify};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    if input.len() < 18 {
        return;
    }
    let (numbers, rest) = input.split_at(18);
    let timestamp = i64::from_le_bytes(numbers[0..8].try_into().expect("8 bytes"));
    let now = i64::from_le_bytes(numbers[8..16].try_into().expect("8 bytes"));
    let tolerance = u16::from_le_bytes([numbers[16], numbers[17]]);
    let split = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
    let header = String::from_utf8_lossy(&rest[..split]).into_owned();
    let body = rest.get(split + 1..).unwrap_or_default();
    let header = header.as_str();
    let secret = Secret::new(b"fuzz secret".to_vec());
    let tolerance = i64::from(tolerance);
    let id = "msg_fuzz";
    let verdict = verify(&secret, id, timestamp, header, body, now, tolerance);
    let genuine = sign(&secret, id, timestamp, body);
    if verdict.is_ok() {
        assert!(
            header.split(' ').any(|signature| signature == genuine),
            "only a genuine signature"
        );
    }
    let fresh = i128::from(now).abs_diff(i128::from(timestamp)) <= tolerance as u128;
    assert_eq!(
        verify(&secret, id, timestamp, &genuine, body, now, tolerance).is_ok(),
        fresh,
        "a genuine signature is accepted exactly when fresh"
    );
});
