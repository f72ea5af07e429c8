//! `aliprotect campaign ...`: complaints of some rights, measured together.

use aliprotect::campaign::{Campaign, CampaignCommand};
use aliprotect::engine::Command;
use aliprotect::ids::{CampaignId, RightId};

use super::{id, text};
use crate::cli::CampaignCommand as Args;
use crate::error::CliError;
use crate::output::{Cell, Output, Table};
use crate::session::Session;

pub(crate) async fn run(session: &Session, out: &Output, args: Args) -> Result<(), CliError> {
    match args {
        Args::Create {
            name,
            rights,
            auto_file_relistings,
            write,
        } => {
            let key = write.idempotency_key.as_deref();
            let rights = rights
                .iter()
                .map(|r| id::<RightId>(r, "right"))
                .collect::<Result<Vec<_>, _>>()?;
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
            let campaigns = session.engine.read().campaigns(session.tenant).await?;
            out.table(&table(campaigns.iter().filter(|c| c.id == campaign_id)))?;
            out.note(format!(
                "File into it with `--campaign {campaign_id}`; see it with `aliprotect dashboard --campaign {campaign_id}`."
            ));
            Ok(())
        }
        Args::List { page } => {
            session.require_client().await?;
            let after: Option<aliprotect::ids::CampaignId> =
                page.after.map(|a| super::id(&a, "campaign")).transpose()?;
            let campaigns = session.engine.read().campaigns(session.tenant).await?;
            out.table(&table(
                campaigns
                    .iter()
                    .filter(|c| after.is_none_or(|a| c.id > a))
                    .take(page.limit),
            ))
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
