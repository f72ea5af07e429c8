//! `aliprotect policy ...`: the platform's rules the data follows, changed only on purpose.

use clap::Subcommand;

use crate::cli::PolicyName;
use crate::error::CliError;
use crate::output::{Cell, Output, Table};
use crate::session::{self, Session, name_of_policy, operator};
use crate::settings;

/// `policy ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum PolicySubcommand {
    /// The policy the data follows, who set it, when and why.
    #[command(
        after_help = "Examples:\n  aliprotect policy show\n  aliprotect policy show --format json"
    )]
    Show,
    /// Change the policy of recorded data (deadlines already decided stay; check-backs,
    /// reminders and watches are rescheduled). Recorded with who and why.
    #[command(
        after_help = "Examples:\n  aliprotect policy change --to dmca-style --reason 'Moved to a DMCA-style marketplace'"
    )]
    Change {
        /// The new policy.
        #[arg(long, value_enum)]
        to: PolicyName,
        /// Why (kept in the record).
        #[arg(long)]
        reason: String,
    },
}

pub(crate) async fn run(
    session: &Session,
    out: &Output,
    args: PolicySubcommand,
) -> Result<(), CliError> {
    match args {
        PolicySubcommand::Show => show(session, out).await,
        PolicySubcommand::Change { to, reason } => {
            let reason = session::reason(&reason)?;
            let target = session::engine_with(session, to)?;
            target.adopt_policy(operator(), reason).await?;
            show(session, out).await?;
            out.note(format!(
                "The data now follows the {} rules; check-backs, reminders and watches were \
                 rescheduled. Restart any other engine (`notify`, a worker) with these rules.",
                settings::name_of(to)
            ));
            Ok(())
        }
    }
}

async fn show(session: &Session, out: &Output) -> Result<(), CliError> {
    let Some(stored) = session.engine.read().stored_policy().await? else {
        return Err(CliError::NotFound("a recorded policy".to_owned()));
    };
    let mut table = Table::new(&["field", "value"]);
    let mut row = |field: &str, value: Cell| table.push(vec![Cell::text(field), value]);
    row("policy", Cell::text(&stored.policy.name));
    row(
        "name",
        Cell::optional(name_of_policy(&stored.policy).map(settings::name_of)),
    );
    row("revision", Cell::Count(u64::from(stored.revision)));
    row("since", Cell::Time(stored.since));
    row(
        "by",
        Cell::text(crate::commands::complaint::history::actor_name(&stored.by)),
    );
    row(
        "reason",
        Cell::optional(stored.reason.as_ref().map(|r| r.as_str().to_owned())),
    );
    out.table(&table)
}
