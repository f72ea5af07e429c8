//! `aliprotect campaign ...`: complaints of some rights, measured together.

use aliprotect::campaign::{Campaign, CampaignCommand};
use aliprotect::engine::Command;
use aliprotect::ids::{CampaignId, RightId};
use clap::Subcommand;

use super::text;
use crate::cli::{PageArgs, WriteArgs};
use crate::error::CliError;
use crate::output::{Cell, Output, Table};
use crate::session::Session;

/// `campaign ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum CampaignSubcommand {
    /// Start a campaign over some approved rights.
    #[command(
        after_help = "Examples:\n  aliprotect campaign create 'Spring sweep' --right 0193a1f4-... --auto-file-relistings"
    )]
    Create {
        /// Its name.
        name: String,
        /// A right its complaints may rest on (repeat for several).
        #[arg(long = "right", required = true)]
        rights: Vec<RightId>,
        /// File relistings of removed listings automatically on import.
        #[arg(long)]
        auto_file_relistings: bool,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// The client's campaigns.
    #[command(
        after_help = "Examples:\n  aliprotect campaign list\n  aliprotect campaign list --format csv"
    )]
    List {
        #[command(flatten)]
        page: PageArgs,
    },
}

pub(crate) async fn run(
    session: &Session,
    out: &Output,
    args: CampaignSubcommand,
) -> Result<(), CliError> {
    match args {
        CampaignSubcommand::Create {
            name,
            rights,
            auto_file_relistings,
            write,
        } => {
            let key = write.idempotency_key.as_deref();
            let campaign_id = CampaignId::from_uuid(session.new_id(key, "campaign", 0));
            let now = aliprotect::clock::Clock::now(session.engine.read().clock());
            let campaign = Campaign::new(
                campaign_id,
                session.tenant,
                text(&name, "NAME")?,
                rights,
                now,
            )
            .auto_file_relistings(auto_file_relistings);
            let create = CampaignCommand::Create(Box::new(campaign));
            session
                .run(session.me, Command::campaign(campaign_id, create), key, 0)
                .await?;
            let created = session
                .engine
                .read()
                .campaign(session.tenant, campaign_id)
                .await?;
            out.table(&table(&created))?;
            out.note(format!(
                "File into it with `--campaign {campaign_id}`; see it with `aliprotect dashboard --campaign {campaign_id}`."
            ));
            Ok(())
        }
        CampaignSubcommand::List { page } => {
            session.require_client().await?;
            let campaigns = session
                .engine
                .read()
                .campaigns(session.tenant, page.of(CampaignId::from_uuid))
                .await?;
            out.table(&table(&campaigns))
        }
    }
}

fn table<'a>(campaigns: impl IntoIterator<Item = &'a Campaign>) -> Table {
    let mut table = Table::new(&[
        "id",
        "name",
        "rights",
        "auto_file_relistings",
        "archived",
        "created_at",
    ]);
    for campaign in campaigns {
        let rights: Vec<String> = campaign.rights.iter().map(ToString::to_string).collect();
        table.push(vec![
            Cell::text(campaign.id),
            Cell::text(campaign.name.as_str()),
            Cell::text(rights.join(" ")),
            Cell::text(campaign.auto_file_relistings),
            Cell::text(campaign.archived),
            Cell::text(campaign.created_at.format("%Y-%m-%d %H:%M")),
        ]);
    }
    table
}
