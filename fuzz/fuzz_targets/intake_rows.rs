//! Bulk intake files as anyone may export them: any bytes, any line endings, any encoding,
//! read as CSV or JSON Lines and normalised for a marketplace. Never a panic; every row is
//! accounted for with a line number, in order; a normalised row's listing is of the
//! marketplace asked for.
#![no_main]

use aliprotect::intake::{IntakeFormat, read_rows};
use aliprotect::marketplace::Marketplace;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&selector, bytes)) = input.split_first() else {
        return;
    };
    let format = if selector & 1 == 0 {
        IntakeFormat::Csv
    } else {
        IntakeFormat::JsonLines
    };
    let marketplace = Marketplace::ALL[usize::from(selector >> 1) % Marketplace::ALL.len()];
    let rows = read_rows(format, bytes);
    let mut last_line = 0;
    for (line, row) in rows {
        assert!(line > last_line, "lines in order");
        last_line = line;
        if let Ok(row) = row
            && let Ok((listing, _details)) = row.normalise(marketplace)
        {
            assert_eq!(listing.marketplace, marketplace);
        }
    }
});
