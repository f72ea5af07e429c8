//! Metric tallies kept in two tables, so that metrics, the filer's accuracy and the
//! sellers' records over a million complaints read one row per right, week, seller and day
//! instead of every snapshot.
//!
//! The writer sums the changes of a transaction's commits per tenant and campaign
//! ([`TallyChanges`]) and adds them with one upsert per group row at the end; readers merge
//! the rows of a campaign, or of all a tenant's campaigns, back into [`Tallies`].

use std::collections::HashMap;

use aliprotect_core::ids::{CampaignId, TenantId};
use aliprotect_core::metrics::{GroupTally, MetricsChange, MetricsGroup, Tallies};
use aliprotect_core::store::{Snapshot, StoreError, columns};
use rusqlite::types::ToSql;
use rusqlite::{Connection, Transaction, params, params_from_iter};

use crate::codec;

/// The campaign column of complaints without a campaign (a key column cannot be NULL).
const NO_CAMPAIGN: [u8; 0] = [];

fn encode_group(group: &MetricsGroup) -> (i64, String) {
    let (dimension, key) = columns::metrics_group_parts(group);
    (i64::from(dimension), key)
}

fn campaign_key(campaign: Option<CampaignId>) -> Vec<u8> {
    campaign.map_or_else(
        || NO_CAMPAIGN.to_vec(),
        |c| c.as_uuid().into_bytes().to_vec(),
    )
}

/// The metric changes of one transaction, summed per tenant and campaign.
#[derive(Default)]
pub(crate) struct TallyChanges(HashMap<([u8; 16], Option<CampaignId>), Tallies>);

impl TallyChanges {
    pub(crate) fn record(&mut self, tenant: [u8; 16], change: &MetricsChange) {
        self.0
            .entry((tenant, change.after.campaign()))
            .or_default()
            .record(change);
    }

    /// Adds the sums to the tables.
    pub(crate) fn write(&self, tx: &Transaction<'_>) -> rusqlite::Result<()> {
        let mut upsert_group = tx.prepare_cached(
            "INSERT INTO metric_groups(tenant, campaign, dimension, key, filed, in_progress,
                 removed, unable_to_process, counter_noticed, restored, relisted, counter_notices)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT(tenant, campaign, dimension, key) DO UPDATE SET
                 filed = filed + excluded.filed,
                 in_progress = in_progress + excluded.in_progress,
                 removed = removed + excluded.removed,
                 unable_to_process = unable_to_process + excluded.unable_to_process,
                 counter_noticed = counter_noticed + excluded.counter_noticed,
                 restored = restored + excluded.restored,
                 relisted = relisted + excluded.relisted,
                 counter_notices = counter_notices + excluded.counter_notices",
        )?;
        let mut upsert_hours = tx.prepare_cached(
            "INSERT INTO removal_hours(tenant, campaign, dimension, key, hours, n)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(tenant, campaign, dimension, key, hours) DO UPDATE SET n = n + excluded.n",
        )?;
        for ((tenant, campaign), tallies) in &self.0 {
            let campaign = campaign_key(*campaign);
            for (group, sums) in tallies.groups() {
                let (dimension, key) = encode_group(&group);
                // The group's key, then its sums in the order of the columns.
                let counts = sums.sums();
                let group_key: [&dyn ToSql; 4] = [&&tenant[..], &campaign, &dimension, &key];
                let values = group_key
                    .into_iter()
                    .chain(counts.iter().map(|n| n as &dyn ToSql));
                upsert_group.execute(params_from_iter(values))?;
                for (hours, n) in &sums.hours_to_removal {
                    let hours: [&dyn ToSql; 2] = [hours, n];
                    upsert_hours.execute(params_from_iter(group_key.into_iter().chain(hours)))?;
                }
            }
        }
        Ok(())
    }
}

/// The tallies of the tenant's complaints (of `campaign` only, when given).
pub(crate) fn read(
    connection: &Connection,
    tenant: TenantId,
    campaign: Option<CampaignId>,
) -> Result<Tallies, StoreError> {
    let tenant = codec::tenant_key(tenant);
    let campaign = campaign.map(|c| campaign_key(Some(c)));
    let unavailable = |e: rusqlite::Error| StoreError::Unavailable(Box::new(e));
    let mut groups: HashMap<(i64, String), GroupTally> = HashMap::new();
    let mut statement = connection
        .prepare_cached(
            "SELECT dimension, key, filed, in_progress, removed, unable_to_process,
                 counter_noticed, restored, relisted, counter_notices
             FROM metric_groups WHERE tenant = ?1 AND (?2 IS NULL OR campaign = ?2)",
        )
        .map_err(unavailable)?;
    let mut rows = statement
        .query(params![&tenant[..], campaign])
        .map_err(unavailable)?;
    while let Some(row) = rows.next().map_err(unavailable)? {
        let mut sums = [0; GroupTally::SUMS];
        for (i, sum) in sums.iter_mut().enumerate() {
            *sum = row.get(i + 2).map_err(unavailable)?;
        }
        let sums = GroupTally::from_sums(sums);
        let group = (
            row.get(0).map_err(unavailable)?,
            row.get(1).map_err(unavailable)?,
        );
        groups.entry(group).or_default().merge(&sums);
    }
    let mut statement = connection
        .prepare_cached(
            "SELECT dimension, key, hours, n FROM removal_hours
             WHERE tenant = ?1 AND (?2 IS NULL OR campaign = ?2)",
        )
        .map_err(unavailable)?;
    let mut rows = statement
        .query(params![&tenant[..], campaign])
        .map_err(unavailable)?;
    while let Some(row) = rows.next().map_err(unavailable)? {
        let group = (
            row.get(0).map_err(unavailable)?,
            row.get(1).map_err(unavailable)?,
        );
        let hours: u32 = row.get(2).map_err(unavailable)?;
        let n: i64 = row.get(3).map_err(unavailable)?;
        groups.entry(group).or_default().add_removal_times(hours, n);
    }
    let mut tallies = Tallies::default();
    for ((dimension, key), sums) in groups {
        if let Some(group) = columns::metrics_group_from_parts(dimension, key)? {
            tallies.add(group, &sums);
        }
    }
    Ok(tallies)
}

/// Counts every complaint already in the file into the empty tables: run once, by the
/// migration that gives the tallies their present groups. A row that cannot be decoded is left out with a warning (reading it still
/// reports it as corrupt) rather than making the whole file unopenable.
pub(crate) fn backfill(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let mut changes = TallyChanges::default();
    let mut statement = tx.prepare("SELECT tenant, snapshot FROM streams WHERE kind = ?1")?;
    let mut rows = statement.query(params![codec::KIND_COMPLAINT])?;
    while let Some(row) = rows.next()? {
        let tenant: Vec<u8> = row.get(0)?;
        let json: String = row.get(1)?;
        let decoded = codec::tenant_of(&tenant).and_then(|tenant| {
            codec::from_json::<Snapshot>("complaint snapshot", &json).map(|s| (tenant, s))
        });
        match decoded {
            Ok((tenant, Snapshot::Complaint(complaint))) => {
                if let Some(change) = MetricsChange::between(None, &complaint) {
                    changes.record(codec::tenant_key(tenant), &change);
                }
            }
            Ok(_) => {
                tracing::warn!(
                    "complaint row holds another kind of stream; left out of the metrics"
                );
            }
            Err(error) => tracing::warn!(%error, "complaint row left out of the metrics"),
        }
    }
    drop(rows);
    drop(statement);
    changes.write(tx)
}
