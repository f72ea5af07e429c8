//! The platform's exact status strings: only the exact strings parse, and each parses back
//! to the string it came from; serde agrees with `FromStr`.
#![no_main]

use aliprotect::complaint::{FilingStatus, PlatformStatus};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(status) = input.parse::<PlatformStatus>() {
        assert_eq!(status.as_str(), input);
    }
    if let Ok(status) = input.parse::<FilingStatus>() {
        assert_eq!(status.as_str(), input);
    }
    let json = serde_json::to_string(input).expect("a string serialises");
    let via_serde = serde_json::from_str::<PlatformStatus>(&json).ok();
    assert_eq!(via_serde, input.parse::<PlatformStatus>().ok());
    let via_serde = serde_json::from_str::<FilingStatus>(&json).ok();
    assert_eq!(via_serde, input.parse::<FilingStatus>().ok());
});
