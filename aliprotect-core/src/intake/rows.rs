//! Reading intake rows from CSV or JSON Lines, each row on its own.

use std::io::{BufRead, BufReader, Read};

use serde::{Deserialize, Serialize};

use crate::evidence::ContentHash;
use crate::listing::{Listing, ListingDetails, ListingUrlError};
use crate::marketplace::Marketplace;

/// The input format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
pub fn read_rows(
    format: IntakeFormat,
    input: impl Read,
) -> Vec<(usize, Result<IntakeRow, RowProblem>)> {
    match format {
        IntakeFormat::JsonLines => BufReader::new(input)
            .lines()
            .enumerate()
            .filter_map(|(index, line)| {
                let line_number = index + 1;
                match line {
                    Err(error) => {
                        Some((line_number, Err(RowProblem::Malformed(error.to_string()))))
                    }
                    Ok(text) if text.trim().is_empty() => None,
                    Ok(text) => Some((
                        line_number,
                        serde_json::from_str::<IntakeRow>(&text)
                            .map_err(|e| RowProblem::Malformed(e.to_string())),
                    )),
                }
            })
            .collect(),
        IntakeFormat::Csv => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(true)
                .trim(csv::Trim::All)
                .from_reader(input);
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
                    Ok(true) => rows.push((
                        record.position().map_or(line, |p| p.line() as usize),
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
    }
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
}
