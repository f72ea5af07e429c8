//! One module per noun; each command reads its arguments, runs the engine, and prints.

pub(crate) mod campaign;
pub(crate) mod complaint;
pub(crate) mod dashboard;
pub(crate) mod due;
pub(crate) mod notify;
pub(crate) mod policy;
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

/// The ids given on the command line and in a file (one per line, `-` for standard input;
/// blank lines and `#` comments skipped), in order, each once.
pub(crate) fn many_ids<T: FromStr + PartialEq>(
    ids: &complaint::ManyIds,
    what: &str,
) -> Result<Vec<T>, CliError> {
    let mut texts: Vec<String> = ids.ids.clone();
    if let Some(path) = &ids.ids_from {
        let content = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| CliError::file(path, e))?
        } else {
            std::fs::read_to_string(path).map_err(|e| CliError::file(path, e))?
        };
        texts.extend(
            content
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with('#'))
                .map(str::to_owned),
        );
    }
    if texts.is_empty() {
        return Err(CliError::Usage(format!(
            "no {what} given: pass ids, or --ids-from FILE"
        )));
    }
    let mut parsed: Vec<T> = Vec::with_capacity(texts.len());
    for text in &texts {
        let value: T = id(text, what)?;
        if !parsed.contains(&value) {
            parsed.push(value);
        }
    }
    Ok(parsed)
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
