//! Printing results: tables for people, JSON or CSV for scripts, ids alone with `--quiet`.
//! Data goes to stdout; notes for people ("registered ...") go to stderr, so that
//! `aliprotect ... --format csv > file.csv` holds the data only.
//!
//! Much of what is shown comes from sellers and scraped pages (titles, statements): tables
//! and CSV show control characters as visible escapes, never as terminal commands (CSV keeps
//! line breaks and tabs), and a CSV cell that a spreadsheet would run as a formula (`=`, `+`,
//! `-`, `@`) is quoted with `'`. JSON keeps text verbatim, numbers as numbers and times as
//! RFC 3339.

use std::io::{IsTerminal, Write};

use comfy_table::{Cell as TableCell, Color, ContentArrangement, Table as ComfyTable};
use serde_json::Value;

use crate::cli::{ColorChoice, Format, Global};
use crate::error::CliError;

/// How a cell reads at a glance, for colour on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tone {
    Plain,
    Good,
    Bad,
    Waiting,
}

/// One value of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Text(String, Tone),
    Count(u64),
    /// A share (0 to 1): a percentage for people, the number for scripts.
    Share(f64),
    /// An instant: minutes in UTC for people, RFC 3339 for scripts.
    Time(chrono::DateTime<chrono::Utc>),
    Empty,
}

impl Cell {
    pub(crate) fn text(value: impl ToString) -> Self {
        Cell::Text(value.to_string(), Tone::Plain)
    }

    pub(crate) fn toned(value: impl ToString, tone: Tone) -> Self {
        Cell::Text(value.to_string(), tone)
    }

    pub(crate) fn optional(value: Option<impl ToString>) -> Self {
        value.map_or(Cell::Empty, Cell::text)
    }

    pub(crate) fn optional_time(value: Option<chrono::DateTime<chrono::Utc>>) -> Self {
        value.map_or(Cell::Empty, Cell::Time)
    }

    /// The value for scripts (CSV, `--quiet`).
    fn plain(&self) -> String {
        match self {
            Cell::Text(text, _) => text.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Share(share) => format!("{share:.4}"),
            Cell::Time(at) => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            Cell::Empty => String::new(),
        }
    }

    /// The value for people: percentages, minutes, and no control characters.
    fn human(&self) -> String {
        match self {
            Cell::Text(text, _) => visible(text),
            Cell::Share(share) => format!("{:.1}%", 100.0 * share),
            Cell::Time(at) => at.format("%Y-%m-%d %H:%M UTC").to_string(),
            other => other.plain(),
        }
    }

    /// The value in a CSV cell: a text a spreadsheet would run as a formula is quoted, and
    /// control characters but line breaks and tabs are shown escaped, as CSV is often read
    /// on a terminal too (JSON keeps the text verbatim).
    fn csv(&self) -> String {
        match self {
            Cell::Text(text, _) => {
                let text = visible_but(text, &['\n', '\t']);
                match text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                    true => format!("'{text}"),
                    false => text,
                }
            }
            other => other.plain(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(text, _) => Value::String(text.clone()),
            Cell::Count(n) => Value::from(*n),
            Cell::Share(share) => Value::from(*share),
            Cell::Time(at) => Value::String(at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            Cell::Empty => Value::Null,
        }
    }
}

/// Rows under named columns. The first column is what `--quiet` prints.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Table {
    columns: Vec<&'static str>,
    rows: Vec<Vec<Cell>>,
}

impl Table {
    pub(crate) fn new(columns: &[&'static str]) -> Self {
        Self {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len());
        self.rows.push(row);
    }
}

/// Where and how results are printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    format: Format,
    color: bool,
    quiet: bool,
}

impl Output {
    pub(crate) fn new(global: &Global) -> Self {
        let color = match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
            }
        };
        Self {
            format: global.format,
            color,
            quiet: global.quiet,
        }
    }

    pub(crate) fn quiet(&self) -> bool {
        self.quiet
    }

    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Prints `table` in the chosen format.
    pub(crate) fn table(&self, table: &Table) -> Result<(), CliError> {
        let text = if self.quiet {
            let mut ids = String::new();
            for row in &table.rows {
                ids.push_str(&row.first().map(Cell::human).unwrap_or_default());
                ids.push('\n');
            }
            ids
        } else {
            match self.format {
                Format::Table => self.human(table),
                Format::Json => json(table)?,
                Format::Csv => csv_text(table)?,
            }
        };
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
            .or_else(ignore_closed_pipe)
    }

    /// A line for people, after or instead of a table: nothing with `--quiet`, or when a
    /// script asked for JSON or CSV.
    pub(crate) fn note(&self, line: impl AsRef<str>) {
        if !self.quiet && self.format == Format::Table {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "{}", line.as_ref());
        }
    }

    fn human(&self, table: &Table) -> String {
        if table.rows.is_empty() {
            return "(none)\n".to_owned();
        }
        let mut out = ComfyTable::new();
        out.load_preset(comfy_table::presets::ASCII_MARKDOWN)
            .set_content_arrangement(ContentArrangement::Disabled)
            .set_header(table.columns.iter().map(|c| c.replace('_', " ")));
        if self.color {
            out.enforce_styling();
        } else {
            out.force_no_tty();
        }
        for row in &table.rows {
            out.add_row(row.iter().map(|cell| {
                let text = TableCell::new(cell.human());
                match cell {
                    Cell::Text(_, Tone::Good) if self.color => text.fg(Color::Green),
                    Cell::Text(_, Tone::Bad) if self.color => text.fg(Color::Red),
                    Cell::Text(_, Tone::Waiting) if self.color => text.fg(Color::Yellow),
                    Cell::Count(_) | Cell::Share(_) => {
                        text.set_alignment(comfy_table::CellAlignment::Right)
                    }
                    _ => text,
                }
            }));
        }
        let mut text = out.to_string();
        text.push('\n');
        text
    }
}

/// A JSON array of objects whose keys keep the table's column order.
fn json(table: &Table) -> Result<String, CliError> {
    let failed = |e: serde_json::Error| CliError::Environment(format!("cannot write JSON: {e}"));
    let mut text = String::from("[");
    for (n, row) in table.rows.iter().enumerate() {
        text.push_str(if n == 0 { "\n  {" } else { ",\n  {" });
        for (i, (column, cell)) in table.columns.iter().zip(row).enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(&serde_json::to_string(column).map_err(failed)?);
            text.push_str(": ");
            text.push_str(&serde_json::to_string(&cell.json()).map_err(failed)?);
        }
        text.push('}');
    }
    text.push_str(if table.rows.is_empty() {
        "]\n"
    } else {
        "\n]\n"
    });
    Ok(text)
}

pub(crate) fn csv_text(table: &Table) -> Result<String, CliError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| CliError::Environment(format!("cannot write CSV: {e}"));
    writer.write_record(&table.columns).map_err(failed)?;
    for row in &table.rows {
        writer
            .write_record(row.iter().map(Cell::csv))
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| CliError::Environment(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CliError::Environment(format!("cannot write CSV: {e}")))
}

/// `text` with control characters (escape sequences, carriage returns, bells) shown as
/// `\u{..}` escapes: text from sellers and pages never commands the terminal.
pub(crate) fn visible(text: &str) -> String {
    visible_but(text, &[])
}

/// `text` with every control character but those in `kept` escaped.
fn visible_but(text: &str, kept: &[char]) -> String {
    let escaped = |c: char| c.is_control() && !kept.contains(&c);
    if !text.chars().any(escaped) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| match escaped(c) {
            true => c.escape_unicode().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// `aliprotect ... | head` closes the pipe early: that is not an error.
fn ignore_closed_pipe(error: std::io::Error) -> Result<(), CliError> {
    if error.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(CliError::Environment(format!(
            "cannot write output: {error}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seller_text_cannot_command_a_terminal_or_a_spreadsheet() {
        let hostile = Cell::text("\u{1b}]0;pwned\u{7}\u{1b}[2JTitle\r");
        let shown = hostile.human();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert!(
            shown.contains("\\u{1b}") && shown.contains("Title"),
            "{shown}"
        );
        for formula in ["=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)"] {
            assert_eq!(Cell::text(formula).csv(), format!("'{formula}"));
        }
        assert_eq!(Cell::text("plain").csv(), "plain");
        assert_eq!(
            Cell::text("a\u{1b}]0;title\u{7}\nb\tc").csv(),
            "a\\u{1b}]0;title\\u{7}\nb\tc",
            "terminal controls escaped, line breaks and tabs kept"
        );
        assert_eq!(Cell::Count(3).csv(), "3");
    }

    #[test]
    fn scripts_get_numbers_and_rfc_3339_times() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(Cell::Time(at).json(), Value::from("2026-03-02T09:00:00Z"));
        assert_eq!(Cell::Time(at).human(), "2026-03-02 09:00 UTC");
        assert_eq!(Cell::Share(0.125).json(), Value::from(0.125));
        assert_eq!(Cell::Share(0.125).human(), "12.5%");
        assert_eq!(Cell::Count(7).json(), Value::from(7));
    }
}
