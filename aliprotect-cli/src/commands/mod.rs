//! One module per noun; each command reads its arguments, runs the engine, and prints.

pub(crate) mod campaign;
pub(crate) mod complaint;
pub(crate) mod dashboard;
pub(crate) mod db;
pub(crate) mod due;
pub(crate) mod inbox;
pub(crate) mod notify;
pub(crate) mod policy;
pub(crate) mod right;
pub(crate) mod seller;
pub(crate) mod serve;
pub(crate) mod sweep;
pub(crate) mod tick;
pub(crate) mod user;

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use aliprotect::ids::ComplaintId;
use aliprotect::text::Text;

use crate::error::CliError;

/// An id read from a file or typed on the command line, with the core's message when it is
/// not one.
pub(crate) fn id<T: FromStr<Err: fmt::Display>>(value: &str) -> Result<T, CliError> {
    value
        .trim()
        .parse()
        .map_err(|error: T::Err| CliError::Usage(error.to_string()))
}

/// Free text typed on the command line (kept verbatim).
pub(crate) fn text(value: &str, option: &str) -> Result<Text, CliError> {
    Text::new(value).map_err(|e| CliError::Usage(format!("{option}: {e}")))
}

/// The complaints given on the command line and in a file (one id per line, `-` for standard
/// input; blank lines and `#` comments skipped), in order, each once.
pub(crate) fn many_complaints(ids: &complaint::ManyIds) -> Result<Vec<ComplaintId>, CliError> {
    many_ids(ids.ids.clone(), ids.ids_from.as_deref(), "complaint")
}

/// The ids given on the command line (`listed`) and in the file `from` (one per line, `-`
/// for standard input; blank lines and `#` comments skipped), in order, each once; an error
/// naming `what` when there are none.
pub(crate) fn many_ids<T>(
    mut listed: Vec<T>,
    from: Option<&std::path::Path>,
    what: &str,
) -> Result<Vec<T>, CliError>
where
    T: FromStr<Err: fmt::Display> + std::hash::Hash + Eq + Copy,
{
    if let Some(path) = from {
        let content = if path.as_os_str() == "-" {
            std::io::read_to_string(std::io::stdin()).map_err(|e| CliError::file(path, e))?
        } else {
            std::fs::read_to_string(path).map_err(|e| CliError::file(path, e))?
        };
        for (number, line) in content.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let id = id(line).map_err(|error| {
                CliError::Usage(format!("{} line {}: {error}", path.display(), number + 1))
            })?;
            listed.push(id);
        }
    }
    if listed.is_empty() {
        return Err(CliError::Usage(format!(
            "no {what} given: pass ids, or --ids-from FILE"
        )));
    }
    let mut seen = HashSet::with_capacity(listed.len());
    listed.retain(|id| seen.insert(*id));
    Ok(listed)
}
