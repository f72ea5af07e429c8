//! The policy of a database made by an earlier version of the tool, which kept it outside
//! the data: in a one-row table of the SQLite file, or in `ALIPROTECT_POLICY` for
//! PostgreSQL. Read once, when such a database is first opened, to record it with the data.

use clap::ValueEnum;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::cli::PolicyName;
use crate::error::CliError;
use crate::session::Location;

/// The policy an earlier version recorded for the database; Alibaba IPP when none.
pub(crate) fn legacy_policy(location: &Location) -> Result<PolicyName, CliError> {
    let named = match location {
        Location::Sqlite(path) => {
            let connection = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
                .map_err(|e| CliError::Database(format!("cannot open {}: {e}", path.display())))?;
            connection
                .query_row(
                    "SELECT value FROM aliprotect_cli_settings WHERE name = 'policy'",
                    [],
                    |row| row.get::<_, String>(0),
                )
                .optional()
                // No such table: a database made by a program, not the tool.
                .unwrap_or(None)
        }
        Location::Postgres(_) => std::env::var("ALIPROTECT_POLICY").ok(),
    };
    match named {
        None => Ok(PolicyName::AlibabaIpp),
        Some(value) => PolicyName::from_str(&value, false).map_err(|_| {
            CliError::Database(format!(
                "the database names an unknown policy `{value}`: expected alibaba-ipp or dmca-style"
            ))
        }),
    }
}

/// A policy's name on the command line.
pub(crate) fn name_of(policy: PolicyName) -> String {
    policy
        .to_possible_value()
        .map(|value| value.get_name().to_owned())
        .unwrap_or_default()
}
