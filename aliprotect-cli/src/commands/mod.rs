//! One module per noun; each command reads its arguments, runs the engine, and prints.

pub(crate) mod campaign;
pub(crate) mod complaint;
pub(crate) mod dashboard;
pub(crate) mod due;
pub(crate) mod notify;
pub(crate) mod right;
pub(crate) mod seller;
pub(crate) mod tick;

use std::fmt::Debug;
use std::str::FromStr;

use aliprotect::text::Text;

use crate::error::CliError;

/// An id typed on the command line.
pub(crate) fn id<T: FromStr>(value: &str, what: &str) -> Result<T, CliError> {
    value
        .trim()
        .parse()
        .map_err(|_| CliError::Usage(format!("`{value}` is not a {what} id (a UUID)")))
}

/// Free text typed on the command line (kept verbatim).
pub(crate) fn text(value: &str, option: &str) -> Result<Text, CliError> {
    Text::new(value).map_err(|e| CliError::Usage(format!("{option}: {e}")))
}

/// An engine enum's name as people read it: `UnderReview` -> `under review`.
pub(crate) fn words(value: impl Debug) -> String {
    let name = format!("{value:?}");
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}
