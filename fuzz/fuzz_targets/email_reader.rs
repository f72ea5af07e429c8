//! Any bytes read as an email, and its text through the rules that place it: nothing
//! panics, and what the rules find is bounded text (a reason, a statement, fixes) and
//! listings that parse.
#![no_main]

use std::sync::OnceLock;

use aliprotect::inbox::{EmailRules, ReadEmail, references};
use aliprotect::listing::Listing;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::text::Text;
use libfuzzer_sys::fuzz_target;

fn rules() -> &'static EmailRules {
    static RULES: OnceLock<EmailRules> = OnceLock::new();
    RULES.get_or_init(|| EmailRules::for_policy(&MarketplacePolicy::alibaba_ipp()))
}

fuzz_target!(|data: &[u8]| {
    let Ok(email) = ReadEmail::parse(data) else {
        return;
    };
    assert!(!email.message_id.is_empty());
    let text = email.subject_and_text();
    let _ = rules().kinds(&text);
    for found in [rules().reason(&email.text), rules().statement(&email.text)]
        .into_iter()
        .flatten()
    {
        assert!(found.as_str().chars().count() <= Text::MAX_CHARS);
    }
    if let Some(reason) = rules().reason(&email.text) {
        for fix in rules().fixes(reason.as_str()) {
            assert!(!fix.instruction.as_str().trim().is_empty());
        }
    }
    for listing in references(&text).listings {
        assert!(Listing::parse(listing.url.as_str()).is_ok());
    }
});
