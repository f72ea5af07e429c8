//! Bounded free text: accepted exactly when it is not blank and within the limit, kept
//! verbatim, and read back from JSON only under the same rules.
#![no_main]

use aliprotect::text::Text;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let value = String::from_utf8_lossy(input).into_owned();
    let chars = value.chars().count();
    match Text::new(value.clone()) {
        Ok(text) => {
            assert!(!value.trim().is_empty() && chars <= Text::MAX_CHARS);
            assert_eq!(text.as_str(), value, "kept verbatim");
            let json = serde_json::to_string(&text).expect("serialises");
            let back: Text = serde_json::from_str(&json).expect("reads back");
            assert_eq!(back, text);
        }
        Err(_) => assert!(value.trim().is_empty() || chars > Text::MAX_CHARS),
    }
    // Arbitrary JSON never yields a Text that breaks the rules.
    if let Ok(text) = serde_json::from_slice::<Text>(input) {
        assert!(!text.as_str().trim().is_empty());
        assert!(text.as_str().chars().count() <= Text::MAX_CHARS);
    }
});
