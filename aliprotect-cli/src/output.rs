//! Printing results: tables for people, JSON or CSV for scripts, ids alone with `--quiet`.
//! Data goes to stdout; notes for people ("registered ...") go to stderr, so that
//! `aliprotect ... --format csv > file.csv` holds the data only.

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

    fn plain(&self) -> String {
        match self {
            Cell::Text(text, _) => text.clone(),
            Cell::Count(n) => n.to_string(),
            Cell::Empty => String::new(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Cell::Text(text, _) => Value::String(text.clone()),
            Cell::Count(n) => Value::from(*n),
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
                ids.push_str(&row.first().map(Cell::plain).unwrap_or_default());
                ids.push('\n');
            }
            ids
        } else {
            match self.format {
                Format::Table => self.human(table),
                Format::Json => json(table)?,
                Format::Csv => csv(table)?,
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
                let text = TableCell::new(cell.plain());
                match cell {
                    Cell::Text(_, Tone::Good) if self.color => text.fg(Color::Green),
                    Cell::Text(_, Tone::Bad) if self.color => text.fg(Color::Red),
                    Cell::Text(_, Tone::Waiting) if self.color => text.fg(Color::Yellow),
                    Cell::Count(_) => text.set_alignment(comfy_table::CellAlignment::Right),
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

fn csv(table: &Table) -> Result<String, CliError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| CliError::Environment(format!("cannot write CSV: {e}"));
    writer.write_record(&table.columns).map_err(failed)?;
    for row in &table.rows {
        writer
            .write_record(row.iter().map(Cell::plain))
            .map_err(failed)?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| CliError::Environment(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| CliError::Environment(format!("cannot write CSV: {e}")))
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
