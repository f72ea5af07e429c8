//! What `init` chose, kept with the data so every later command applies the same rules.
//!
//! In a SQLite file: a one-row table of the tool's own next to the store's tables (the store
//! never reads it). On PostgreSQL, where several programs share the database, the policy is
//! named by `ALIPROTECT_POLICY` in each program's environment instead.

use std::path::Path;

use clap::ValueEnum;
use rusqlite::{Connection, OptionalExtension, params};

use crate::cli::PolicyName;
use crate::error::CliError;

const CREATE: &str = "CREATE TABLE IF NOT EXISTS aliprotect_cli_settings(name TEXT PRIMARY KEY, value TEXT NOT NULL)";

fn connect(path: &Path) -> Result<Connection, CliError> {
    let connection = Connection::open(path)
        .map_err(|e| CliError::Database(format!("cannot open {}: {e}", path.display())))?;
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .map_err(database)?;
    Ok(connection)
}

fn database(error: rusqlite::Error) -> CliError {
    CliError::Database(format!("settings: {error}"))
}

/// Records `policy` as the database's rules.
pub(crate) fn record_policy(path: &Path, policy: PolicyName) -> Result<(), CliError> {
    let connection = connect(path)?;
    connection.execute(CREATE, []).map_err(database)?;
    connection
        .execute(
            "INSERT INTO aliprotect_cli_settings(name, value) VALUES ('policy', ?1)
             ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            params![name_of(policy)],
        )
        .map_err(database)?;
    Ok(())
}

/// The rules recorded by `init`; Alibaba IPP for a file made by a program, not the tool.
pub(crate) fn policy(path: &Path) -> Result<PolicyName, CliError> {
    let connection = connect(path)?;
    let exists: Option<String> = connection
        .query_row(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 'aliprotect_cli_settings'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(database)?;
    if exists.is_none() {
        return Ok(PolicyName::AlibabaIpp);
    }
    let value: Option<String> = connection
        .query_row(
            "SELECT value FROM aliprotect_cli_settings WHERE name = 'policy'",
            [],
            |row| row.get(0),
        )
        .optional()
        .map_err(database)?;
    match value {
        None => Ok(PolicyName::AlibabaIpp),
        Some(value) => parse(&value).ok_or_else(|| {
            CliError::Database(format!(
                "{}: unknown policy `{value}` recorded; run `aliprotect init --policy ...` again",
                path.display()
            ))
        }),
    }
}

/// The rules named by `ALIPROTECT_POLICY`, Alibaba IPP by default.
pub(crate) fn postgres_policy() -> Result<PolicyName, CliError> {
    match std::env::var("ALIPROTECT_POLICY") {
        Err(_) => Ok(PolicyName::AlibabaIpp),
        Ok(value) => parse(&value).ok_or_else(|| {
            CliError::Usage(format!(
                "ALIPROTECT_POLICY `{value}`: expected alibaba-ipp or dmca-style"
            ))
        }),
    }
}

fn name_of(policy: PolicyName) -> String {
    policy
        .to_possible_value()
        .map(|value| value.get_name().to_owned())
        .unwrap_or_default()
}

fn parse(value: &str) -> Option<PolicyName> {
    PolicyName::from_str(value, false).ok()
}
