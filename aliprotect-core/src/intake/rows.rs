//! Reading intake rows from CSV or JSON Lines, each row on its own.

use std::io::{BufRead, BufReader, Read};

use serde::{Deserialize, Serialize};

use crate::evidence::ContentHash;
use crate::listing::{Listing, ListingDetails, ListingUrlError};
use crate::marketplace::Marketplace;

/// The input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum IntakeFormat {
    /// CSV with a header row naming the columns `url` (required), `title`, `seller`, `price`
    /// and `image_hash` (any order; other columns ignored).
    Csv,
    /// One JSON object per line with the same fields.
    JsonLines,
}

/// One listing as imported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeRow {
    /// The listing's URL.
    #[serde(default)]
    pub url: String,
    /// Its title.
    #[serde(default)]
    pub title: Option<String>,
    /// The seller's name.
    #[serde(default)]
    pub seller: Option<String>,
    /// The price as shown.
    #[serde(default)]
    pub price: Option<String>,
    /// SHA-256 of the main image, 64 hex digits.
    #[serde(default)]
    pub image_hash: Option<String>,
}

/// Why a row was not filed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowProblem {
    /// The row is not valid CSV or JSON.
    #[error("malformed row: {0}")]
    Malformed(String),
    /// No URL.
    #[error("the url is missing")]
    MissingUrl,
    /// The URL is not a listing of the marketplace.
    #[error("bad url: {0}")]
    Url(#[from] ListingUrlError),
    /// A field is longer than allowed.
    #[error("{field} has {chars} characters, more than {max}")]
    TooLong {
        /// The field.
        field: &'static str,
        /// Its length.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// The image hash is not 64 hex digits.
    #[error("image_hash is not a SHA-256 hex digest")]
    BadImageHash,
}

fn bounded(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, RowProblem> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    match &value {
        Some(v) if v.chars().count() > max => Err(RowProblem::TooLong {
            field,
            chars: v.chars().count(),
            max,
        }),
        _ => Ok(value),
    }
}

impl IntakeRow {
    /// The listing and its details, or why the row cannot be filed.
    pub fn normalise(
        self,
        marketplace: Marketplace,
    ) -> Result<(Listing, ListingDetails), RowProblem> {
        let url = self.url.trim();
        if url.is_empty() {
            return Err(RowProblem::MissingUrl);
        }
        let listing = Listing::parse_for(marketplace, url)?;
        let image_hash = match bounded("image_hash", self.image_hash, 64)? {
            Some(hash) => Some(
                hash.to_ascii_lowercase()
                    .parse::<ContentHash>()
                    .map_err(|_| RowProblem::BadImageHash)?,
            ),
            None => None,
        };
        let details = ListingDetails {
            title: bounded("title", self.title, 1_000)?,
            seller_name: bounded("seller", self.seller, 200)?,
            price: bounded("price", self.price, 100)?,
            image_hash,
        };
        Ok((listing, details))
    }
}

/// Reads every row of `input` with its line number (1-based; a CSV's header is line 1).
/// Never fails as a whole: unreadable rows come back as [`RowProblem::Malformed`].
///
/// Lines may end in `\n` or `\r\n`, and a UTF-8 byte order mark at the start (as
/// spreadsheet programs write) is skipped.
pub fn read_rows(
    format: IntakeFormat,
    input: impl Read,
) -> Vec<(usize, Result<IntakeRow, RowProblem>)> {
    let mut input = BufReader::new(input);
    if let Err(error) = skip_byte_order_mark(&mut input) {
        return vec![(1, Err(RowProblem::Malformed(error.to_string())))];
    }
    match format {
        IntakeFormat::JsonLines => read_json_lines(input),
        IntakeFormat::Csv => read_csv(input),
    }
}

const BYTE_ORDER_MARK: &[u8] = b"\xEF\xBB\xBF";

fn skip_byte_order_mark(input: &mut impl BufRead) -> std::io::Result<()> {
    // A mark split across reads is not worth handling: buffers are kilobytes.
    if input.fill_buf()?.starts_with(BYTE_ORDER_MARK) {
        input.consume(BYTE_ORDER_MARK.len());
    }
    Ok(())
}

fn read_json_lines(input: impl BufRead) -> Vec<(usize, Result<IntakeRow, RowProblem>)> {
    input
        .lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let line_number = index + 1;
            match line {
                Err(error) => Some((line_number, Err(RowProblem::Malformed(error.to_string())))),
                Ok(text) if text.trim().is_empty() => None,
                Ok(text) => Some((
                    line_number,
                    serde_json::from_str::<IntakeRow>(&text)
                        .map_err(|e| RowProblem::Malformed(e.to_string())),
                )),
            }
        })
        .collect()
}

fn read_csv(mut input: impl Read) -> Vec<(usize, Result<IntakeRow, RowProblem>)> {
    // The bytes are kept to find each record's first line: the csv crate reports a record's
    // position before the blank lines or line break that precede it.
    let mut bytes = Vec::new();
    if let Err(error) = input.read_to_end(&mut bytes) {
        return vec![(1, Err(RowProblem::Malformed(error.to_string())))];
    }
    let first_line = |position: &csv::Position| -> usize {
        let mut line = position.line() as usize;
        let start = usize::try_from(position.byte()).unwrap_or(usize::MAX);
        for byte in bytes.iter().skip(start) {
            match byte {
                b'\n' => line += 1,
                b'\r' => {}
                _ => break,
            }
        }
        line
    };
    // Records end at `\n`; a `\r` before it is whitespace, which trimming removes, so CRLF
    // and LF files read alike.
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(bytes.as_slice());
    let headers = match reader.headers() {
        Ok(headers) => headers.clone(),
        Err(error) => return vec![(1, Err(RowProblem::Malformed(error.to_string())))],
    };
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            // A line holding only a carriage return is a blank line.
            Ok(true) if record.iter().all(str::is_empty) => {}
            Ok(true) => rows.push((
                record.position().map_or(line, first_line),
                record
                    .deserialize::<IntakeRow>(Some(&headers))
                    .map_err(|e| RowProblem::Malformed(e.to_string())),
            )),
            Err(error) => {
                rows.push((line, Err(RowProblem::Malformed(error.to_string()))));
                if !matches!(
                    error.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                ) {
                    break;
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_their_line_numbers_and_bad_rows_do_not_stop_the_rest() {
        let mut input = b"url,title,price\n".to_vec();
        input.extend_from_slice(b"https://www.alibaba.com/product-detail/A_1.html,Earbuds,US$ 3\n");
        input.extend_from_slice(b"https://www.alibaba.com/product-detail/A_2.html,\xff\xfe,1\n");
        input.extend_from_slice(b"https://www.alibaba.com/product-detail/A_3.html,Pods\n");
        let rows = read_rows(IntakeFormat::Csv, input.as_slice());
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].0, 2);
        assert_eq!(
            rows[0].1.as_ref().unwrap().title.as_deref(),
            Some("Earbuds")
        );
        assert_eq!(rows[1].0, 3);
        assert!(matches!(rows[1].1, Err(RowProblem::Malformed(_))));
        assert_eq!(rows[2].0, 4);
        assert_eq!(
            rows[2].1.as_ref().unwrap().title.as_deref(),
            Some("Pods"),
            "short rows are fine"
        );
    }

    #[test]
    fn json_lines_skip_blank_lines_and_report_bad_ones() {
        let input = "{\"url\":\"https://www.alibaba.com/product-detail/A_1.html\"}\n\n{not json}\n";
        let rows = read_rows(IntakeFormat::JsonLines, input.as_bytes());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].0, 3);
        assert!(matches!(rows[1].1, Err(RowProblem::Malformed(_))));
    }

    #[test]
    fn normalising_checks_every_field() {
        let row = |url: &str| IntakeRow {
            url: url.to_owned(),
            ..IntakeRow::default()
        };
        let alibaba = Marketplace::AlibabaCom;
        assert_eq!(row("  ").normalise(alibaba), Err(RowProblem::MissingUrl));
        assert!(matches!(
            row("https://www.aliexpress.com/item/1.html").normalise(alibaba),
            Err(RowProblem::Url(ListingUrlError::ForeignHost { .. }))
        ));
        let mut long = row("https://www.alibaba.com/product-detail/A_1.html");
        long.title = Some("x".repeat(1_001));
        assert!(matches!(
            long.normalise(alibaba),
            Err(RowProblem::TooLong { field: "title", .. })
        ));
        let mut hash = row("https://www.alibaba.com/product-detail/A_1.html");
        hash.image_hash = Some("abc".into());
        assert_eq!(hash.normalise(alibaba), Err(RowProblem::BadImageHash));
    }
    #[test]
    fn crlf_csv_reports_the_same_line_numbers_as_lf() {
        let lf = "url,title\nhttps://www.alibaba.com/product-detail/A_1.html,One\n\nhttps://www.alibaba.com/product-detail/A_2.html,Two\n";
        let crlf = lf.replace('\n', "\r\n");
        let lines = |input: &str| -> Vec<usize> {
            read_rows(IntakeFormat::Csv, input.as_bytes())
                .into_iter()
                .map(|(line, row)| {
                    assert!(row.is_ok(), "line {line}: {row:?}");
                    line
                })
                .collect()
        };
        assert_eq!(lines(lf), vec![2, 4]);
        assert_eq!(lines(&crlf), vec![2, 4], "CRLF must not shift line numbers");
        let rows = read_rows(IntakeFormat::Csv, crlf.as_bytes());
        assert_eq!(
            rows[1].1.as_ref().unwrap().title.as_deref(),
            Some("Two"),
            "the carriage return is not part of the last field"
        );
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_first_row() {
        let jsonl = "\u{feff}{\"url\":\"https://www.alibaba.com/product-detail/A_1.html\"}\r\n{\"url\":\"x\"}\r\n";
        let rows = read_rows(IntakeFormat::JsonLines, jsonl.as_bytes());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0, 1);
        assert!(rows[0].1.is_ok(), "{:?}", rows[0].1);
        assert_eq!(rows[1].0, 2);
        let csv = "\u{feff}url\r\nhttps://www.alibaba.com/product-detail/A_1.html\r\n";
        let rows = read_rows(IntakeFormat::Csv, csv.as_bytes());
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].0, 2);
        assert_eq!(
            rows[0].1.as_ref().unwrap().url,
            "https://www.alibaba.com/product-detail/A_1.html"
        );
    }
}
