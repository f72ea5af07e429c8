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
    /// CSV with a header row naming a URL column (`url`, `Product URL`, `link`...) and
    /// optionally `title`, `seller`, `price` and `image_hash` (any order; other columns
    /// ignored), or a plain list of URLs; the delimiter is found from the first line.
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
    /// A status the platform does not print (under the policy's names).
    #[error("unknown status `{found}`: the platform shows {}", expected.join(", "))]
    UnknownStatus {
        /// The cell, truncated to 64 characters.
        found: String,
        /// The platform's status names.
        expected: Vec<String>,
    },
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
///
/// A CSV file's delimiter (`,`, `;`, tab or `|`) and columns are found by themselves: the
/// URL column by its usual names (`url`, `Product URL`, `link`...), or a plain list of URLs
/// without a header. A file with no URL column is one rejected row saying so.
pub fn read_rows(
    format: IntakeFormat,
    input: impl Read,
) -> Vec<(usize, Result<IntakeRow, RowProblem>)> {
    read_rows_with(format, &CsvOptions::default(), input)
}

/// [`read_rows`], with a CSV's URL column named by `options`.
pub fn read_rows_with(
    format: IntakeFormat,
    options: &CsvOptions,
    input: impl Read,
) -> Vec<(usize, Result<IntakeRow, RowProblem>)> {
    let mut input = BufReader::new(input);
    if let Err(error) = skip_byte_order_mark(&mut input) {
        return vec![(1, Err(RowProblem::Malformed(error.to_string())))];
    }
    match format {
        IntakeFormat::JsonLines => read_json_lines(input),
        IntakeFormat::Csv => read_csv(input, options),
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

/// How a CSV file's columns are found; the defaults find them by themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CsvOptions {
    /// The header of the column holding the listing URLs, when it is none of the usual
    /// names (`url`, `Product URL`, `link`, ...): matched ignoring case, spaces and
    /// punctuation.
    pub url_column: Option<String>,
}

impl CsvOptions {
    /// Options naming the URL column.
    pub fn url_column(name: impl Into<String>) -> Self {
        Self {
            url_column: Some(name.into()),
        }
    }
}

/// Header names (lower-case letters and digits only) of each field, most usual first.
const URL_NAMES: &[&str] = &[
    "url",
    "producturl",
    "listingurl",
    "itemurl",
    "offerurl",
    "link",
    "productlink",
    "listinglink",
    "listing",
];
const TITLE_NAMES: &[&str] = &["title", "producttitle", "productname", "itemtitle", "name"];
const SELLER_NAMES: &[&str] = &[
    "seller",
    "sellername",
    "supplier",
    "suppliername",
    "store",
    "storename",
    "shop",
    "shopname",
    "company",
];
const PRICE_NAMES: &[&str] = &["price", "unitprice"];
const IMAGE_NAMES: &[&str] = &["imagehash", "imagesha256", "mainimagehash"];

fn header_name(header: &str) -> String {
    header
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(|c| c.to_lowercase())
        .collect()
}

/// A header row's names as matched (lower-case letters and digits only, as exports vary),
/// for finding columns by their usual names.
pub(super) struct Header(Vec<String>);

impl Header {
    pub(super) fn of(header: &[String]) -> Self {
        Self(header.iter().map(|h| header_name(h)).collect())
    }

    /// The first column named one of `wanted`, in their order.
    pub(super) fn find(&self, wanted: &[&str]) -> Option<usize> {
        wanted
            .iter()
            .find_map(|w| self.0.iter().position(|name| name == w))
    }

    /// The column named `name` as a person wrote it.
    pub(super) fn named(&self, name: &str) -> Option<usize> {
        let name = header_name(name);
        self.0.iter().position(|column| *column == name)
    }

    /// The column of listing URLs: a usual name, else any name with "url" in it.
    pub(super) fn url(&self) -> Option<usize> {
        self.find(URL_NAMES)
            .or_else(|| self.0.iter().position(|name| name.contains("url")))
    }
}

fn looks_like_url(field: &str) -> bool {
    let field = field.trim().as_bytes();
    [&b"http://"[..], b"https://"].iter().any(|scheme| {
        field.len() > scheme.len() && field[..scheme.len()].eq_ignore_ascii_case(scheme)
    })
}

/// The delimiter of a CSV file: of `,`, `;`, tab and `|`, the one its first line holds most
/// of outside quotes (spreadsheets in many locales write `;`), else `,`.
fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let first_line = bytes
        .split(|b| *b == b'\n')
        .find(|line| line.iter().any(|b| !b.is_ascii_whitespace()))
        .unwrap_or_default();
    let mut quoted = false;
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0), (b'|', 0)];
    for byte in first_line {
        match byte {
            b'"' => quoted = !quoted,
            _ if !quoted => {
                if let Some(count) = counts.iter_mut().find(|(d, _)| d == byte) {
                    count.1 += 1;
                }
            }
            _ => {}
        }
    }
    counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

/// Where each field of an intake row is in a CSV record.
#[derive(Debug, Default)]
struct Columns {
    url: usize,
    title: Option<usize>,
    seller: Option<usize>,
    price: Option<usize>,
    image_hash: Option<usize>,
}

impl Columns {
    /// The columns of a header row, or why no URL column is among them.
    fn of_header(header: &[String], options: &CsvOptions) -> Result<Self, RowProblem> {
        let names = Header::of(header);
        let url = match &options.url_column {
            Some(column) => names.named(column).ok_or_else(|| {
                RowProblem::Malformed(format!(
                    "no column named `{column}`; the header has: {}",
                    header.join(", ")
                ))
            })?,
            None => names.url().ok_or_else(|| {
                RowProblem::Malformed(format!(
                    "no URL column: the header has {}; name it `url`, or say which \
                         column holds the URLs",
                    header.join(", ")
                ))
            })?,
        };
        Ok(Self {
            url,
            title: names.find(TITLE_NAMES),
            seller: names.find(SELLER_NAMES),
            price: names.find(PRICE_NAMES),
            image_hash: names.find(IMAGE_NAMES),
        })
    }

    fn row(&self, record: &[String]) -> IntakeRow {
        let field = |index: Option<usize>| index.and_then(|i| record.get(i)).cloned();
        IntakeRow {
            url: record.get(self.url).cloned().unwrap_or_default(),
            title: field(self.title),
            seller: field(self.seller),
            price: field(self.price),
            image_hash: field(self.image_hash),
        }
    }
}

/// One record's first line (1-based) and its fields, or why it could not be read.
pub(super) type LineRecord = (usize, Result<Vec<String>, RowProblem>);

/// Every record of a CSV input with its first line (1-based), its delimiter found from the
/// first line; blank lines skipped. A record with a line break inside a field is a quote
/// left open that swallowed the lines after it: it is reported, and no row is made of it.
pub(super) fn read_records(mut input: impl Read) -> Result<Vec<LineRecord>, RowProblem> {
    // The bytes are kept to find each record's first line: the csv crate reports a record's
    // position before the blank lines or line break that precede it.
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|error| RowProblem::Malformed(error.to_string()))?;
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
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .delimiter(sniff_delimiter(&bytes))
        .terminator(csv::Terminator::Any(b'\n'))
        .from_reader(bytes.as_slice());
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            // A line holding only a carriage return is a blank line.
            Ok(true) if record.iter().all(str::is_empty) => {}
            Ok(true) => {
                let at = record.position().map_or(line, first_line);
                if record.iter().any(|field| field.contains('\n')) {
                    let last = reader.position().line().saturating_sub(1) as usize;
                    records.push((
                        at,
                        Err(RowProblem::Malformed(format!(
                            "a quoted field runs from line {at} to line {last}: an \
                             unterminated quote? Lines {at} to {last} were not read"
                        ))),
                    ));
                    continue;
                }
                records.push((at, Ok(record.iter().map(str::to_owned).collect())));
            }
            Err(error) => {
                records.push((line, Err(RowProblem::Malformed(error.to_string()))));
                if !matches!(
                    error.kind(),
                    csv::ErrorKind::Utf8 { .. } | csv::ErrorKind::UnequalLengths { .. }
                ) {
                    break;
                }
            }
        }
    }
    Ok(records)
}

fn read_csv(input: impl Read, options: &CsvOptions) -> Vec<(usize, Result<IntakeRow, RowProblem>)> {
    let records = match read_records(input) {
        Ok(records) => records,
        Err(problem) => return vec![(1, Err(problem))],
    };
    let mut rows = Vec::with_capacity(records.len());
    let mut columns: Option<Columns> = None;
    for (line, record) in records {
        let record = match record {
            Ok(record) => record,
            Err(problem) => {
                rows.push((line, Err(problem)));
                continue;
            }
        };
        let Some(known) = &columns else {
            // The first row: a header, unless it already holds a URL (a plain list).
            let headerless =
                options.url_column.is_none() && record.iter().any(|f| looks_like_url(f));
            if headerless {
                let url = record.iter().position(|f| looks_like_url(f)).unwrap_or(0);
                let plain = Columns {
                    url,
                    ..Columns::default()
                };
                rows.push((line, Ok(plain.row(&record))));
                columns = Some(plain);
                continue;
            }
            match Columns::of_header(&record, options) {
                Ok(found) => columns = Some(found),
                // Without a URL column no row can be read.
                Err(problem) => return vec![(line, Err(problem))],
            }
            continue;
        };
        rows.push((line, Ok(known.row(&record))));
    }
    rows
}

#[cfg(test)]
mod tests;
