//! Listing URLs as pasted by people, for every marketplace: parsing never panics, and a
//! parsed listing's canonical URL parses again to the same listing (normalising is stable).
#![no_main]

use aliprotect::listing::Listing;
use aliprotect::marketplace::Marketplace;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let parsed = Listing::parse(input);
    if let Ok(listing) = &parsed {
        let again = Listing::parse(listing.url.as_str()).expect("a canonical URL parses");
        assert_eq!(
            again.key, listing.key,
            "normalising is stable for {input:?}"
        );
        assert_eq!(again.marketplace, listing.marketplace);
    }
    for marketplace in Marketplace::ALL {
        if let Ok(listing) = Listing::parse_for(marketplace, input) {
            assert_eq!(listing.marketplace, marketplace);
            if let Ok(generic) = &parsed {
                assert_eq!(generic.key, listing.key, "one listing, one key: {input:?}");
            }
        }
    }
});
