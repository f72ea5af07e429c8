//! `aliprotect user ...`: the people who sign in to `aliprotect serve`, and their role for
//! each client.

use std::io::BufRead;

use aliprotect::web::accounts::{AccountError, Accounts};
use aliprotect::web::{Account, Role};
use clap::{Subcommand, ValueEnum};

use crate::error::CliError;
use crate::output::{Cell, Output, Table};
use crate::session::{Session, operator};

/// The environment variable a new password is read from (else the first line of standard
/// input): never an argument, which `ps` and shell history would show.
const PASSWORD_ENV: &str = "ALIPROTECT_PASSWORD";

/// A role for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RoleName {
    /// Reads the client's data only: the brand's own people.
    ClientViewer,
    /// Reads and acts: files, answers counter-notices, records outcomes.
    Paralegal,
    /// Everything, and the client's notifications.
    FirmAdmin,
}

impl From<RoleName> for Role {
    fn from(role: RoleName) -> Self {
        match role {
            RoleName::ClientViewer => Role::ClientViewer,
            RoleName::Paralegal => Role::Paralegal,
            RoleName::FirmAdmin => Role::FirmAdmin,
        }
    }
}

/// `user ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum UserSubcommand {
    /// Open an account, with a role for the client (--client). The password is read from
    /// ALIPROTECT_PASSWORD, else from the first line of standard input.
    #[command(
        after_help = "Examples:\n  ALIPROTECT_PASSWORD='correct horse battery' aliprotect --client acme user add ana@firm.example --name 'Ana Lima' --role firm-admin\n  \
read -rs pw; echo \"$pw\" | aliprotect --client acme user add ben@acme.example --name Ben --role client-viewer"
    )]
    Add {
        /// The address the person signs in with.
        email: String,
        /// Their name, as pages show it.
        #[arg(long)]
        name: String,
        /// Their role for the client.
        #[arg(long, value_enum)]
        role: RoleName,
    },
    /// Give a person a role for the client (--client), replacing any earlier one there.
    #[command(
        after_help = "Examples:\n  aliprotect --client globex user grant ana@firm.example --role paralegal"
    )]
    Grant {
        /// The person's address.
        email: String,
        /// The role.
        #[arg(long, value_enum)]
        role: RoleName,
    },
    /// Take away a person's role for the client (--client).
    #[command(
        after_help = "Examples:\n  aliprotect --client globex user withdraw ana@firm.example"
    )]
    Withdraw {
        /// The person's address.
        email: String,
    },
    /// Set a person's password (from ALIPROTECT_PASSWORD or standard input); every session
    /// of theirs ends.
    #[command(
        after_help = "Examples:\n  ALIPROTECT_PASSWORD='a new long passphrase' aliprotect user password ana@firm.example"
    )]
    Password {
        /// The person's address.
        email: String,
    },
    /// Every account and its roles.
    #[command(
        after_help = "Examples:\n  aliprotect user list\n  aliprotect user list --format json"
    )]
    List,
}

fn password() -> Result<String, CliError> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Environment(format!("cannot read the password: {e}")))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        return Err(CliError::Usage(format!(
            "no password: set {PASSWORD_ENV} or give it on standard input"
        )));
    }
    Ok(password)
}

fn account_error(error: AccountError) -> CliError {
    match error {
        AccountError::Refused(refusal) => CliError::refused(refusal.to_string(), Vec::new()),
        AccountError::WeakPassword => CliError::Usage(error.to_string()),
        AccountError::WrongCredentials => CliError::NotFound("the account".to_owned()),
        AccountError::Store(error) => error.into(),
        other => CliError::Environment(other.to_string()),
    }
}

pub(crate) async fn run(
    session: &Session,
    out: &Output,
    args: UserSubcommand,
) -> Result<(), CliError> {
    let accounts = Accounts::new(std::sync::Arc::clone(session.engine.store()));
    let me = operator();
    let client = session.client.as_str();
    let shown = match args {
        UserSubcommand::Add { email, name, role } => {
            // Checked before the account is opened, so that a bad --client leaves nothing.
            if !aliprotect::web::accounts::is_client_name(client) {
                return Err(CliError::Usage(format!(
                    "--client: a client's name is 1 to {} characters",
                    Account::MAX_CHARS
                )));
            }
            let password = password()?;
            accounts
                .open(&email, &name, &password, me)
                .await
                .map_err(account_error)?;
            accounts
                .grant(&email, client, role.into(), me)
                .await
                .map_err(account_error)?
        }
        UserSubcommand::Grant { email, role } => accounts
            .grant(&email, client, role.into(), me)
            .await
            .map_err(account_error)?,
        UserSubcommand::Withdraw { email } => accounts
            .withdraw(&email, client, me)
            .await
            .map_err(account_error)?,
        UserSubcommand::Password { email } => {
            let password = password()?;
            accounts
                .set_password(&email, &password, me)
                .await
                .map_err(account_error)?
        }
        UserSubcommand::List => {
            let all = accounts.list().await.map_err(account_error)?;
            return out.table(&table(&all));
        }
    };
    out.table(&table(std::slice::from_ref(&shown)))
}

fn table(accounts: &[Account]) -> Table {
    let mut table = Table::new(&["email", "name", "roles", "since"]);
    for account in accounts {
        let roles: Vec<String> = account
            .grants
            .iter()
            .map(|(client, role)| format!("{client}: {}", role.name()))
            .collect();
        table.push(vec![
            Cell::text(&account.email),
            Cell::text(&account.name),
            Cell::text(roles.join(", ")),
            Cell::Time(account.created_at),
        ]);
    }
    table
}
