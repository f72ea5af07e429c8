//! Metric tallies in two tables, so that the metrics of a million complaints read one row
//! per right, week and seller. A transaction adds its commits' summed changes with one
//! upsert per table (rows in key order); readers add the rows back into [`Tallies`].

use std::collections::{BTreeMap, HashMap};

use aliprotect_core::ids::{CampaignId, TenantId};
use aliprotect_core::metrics::{GroupTally, Tallies};
use aliprotect_core::store::StoreError;
use aliprotect_core::store::columns;
use deadpool_postgres::Object;
use tokio_postgres::Statement;
use tokio_postgres::types::ToSql;
use uuid::Uuid;

use crate::error::{corrupt, unavailable};

/// The summed rows of a transaction, as columns for `unnest`.
#[derive(Default)]
pub(crate) struct Rows {
    tenant: Vec<Uuid>,
    campaign: Vec<Uuid>,
    dimension: Vec<i16>,
    key: Vec<String>,
    sums: [Vec<i64>; 7],
    hours_tenant: Vec<Uuid>,
    hours_campaign: Vec<Uuid>,
    hours_dimension: Vec<i16>,
    hours_key: Vec<String>,
    hours: Vec<i32>,
    hours_n: Vec<i64>,
}

impl Rows {
    /// The rows of tallies per (tenant, campaign), the nil UUID standing for no campaign.
    pub(crate) fn of(changes: &BTreeMap<(Uuid, Uuid), Tallies>) -> Self {
        let mut rows = Self::default();
        let mut groups: Vec<(Uuid, Uuid, i16, String, &GroupTally)> = Vec::new();
        for (&(tenant, campaign), tallies) in changes {
            for (group, sums) in tallies.groups() {
                let (dimension, key) = columns::metrics_group_parts(&group);
                groups.push((tenant, campaign, dimension, key, sums));
            }
        }
        groups.sort_by(|a, b| (a.0, a.1, a.2, &a.3).cmp(&(b.0, b.1, b.2, &b.3)));
        for (tenant, campaign, dimension, key, sums) in groups {
            for (hours, &n) in &sums.hours_to_removal {
                rows.hours_tenant.push(tenant);
                rows.hours_campaign.push(campaign);
                rows.hours_dimension.push(dimension);
                rows.hours_key.push(key.clone());
                rows.hours.push(i32::try_from(*hours).unwrap_or(i32::MAX));
                rows.hours_n.push(n);
            }
            rows.tenant.push(tenant);
            rows.campaign.push(campaign);
            rows.dimension.push(dimension);
            rows.key.push(key);
            let values = [
                sums.filed,
                sums.in_progress,
                sums.removed,
                sums.unable_to_process,
                sums.counter_noticed,
                sums.restored,
                sums.relisted,
            ];
            for (column, value) in rows.sums.iter_mut().zip(values) {
                column.push(value);
            }
        }
        rows
    }
}

const ADD_GROUPS: &str = "
INSERT INTO metric_groups (tenant, campaign, dimension, key, filed, in_progress, removed,
    unable_to_process, counter_noticed, restored, relisted)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int2[], $4::text[], $5::int8[], $6::int8[],
    $7::int8[], $8::int8[], $9::int8[], $10::int8[], $11::int8[])
ON CONFLICT (tenant, campaign, dimension, key) DO UPDATE SET
    filed = metric_groups.filed + excluded.filed,
    in_progress = metric_groups.in_progress + excluded.in_progress,
    removed = metric_groups.removed + excluded.removed,
    unable_to_process = metric_groups.unable_to_process + excluded.unable_to_process,
    counter_noticed = metric_groups.counter_noticed + excluded.counter_noticed,
    restored = metric_groups.restored + excluded.restored,
    relisted = metric_groups.relisted + excluded.relisted";

const ADD_HOURS: &str = "
INSERT INTO removal_hours (tenant, campaign, dimension, key, hours, n)
SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int2[], $4::text[], $5::int4[], $6::int8[])
ON CONFLICT (tenant, campaign, dimension, key, hours) DO UPDATE SET
    n = removal_hours.n + excluded.n";

/// The two upserts, prepared on a connection.
pub(crate) struct Statements {
    groups: Statement,
    hours: Statement,
}

impl Statements {
    pub(crate) async fn prepare(client: &Object) -> Result<Self, tokio_postgres::Error> {
        Ok(Self {
            groups: client.prepare_cached(ADD_GROUPS).await?,
            hours: client.prepare_cached(ADD_HOURS).await?,
        })
    }

    /// Adds `rows`, both upserts sent at once.
    pub(crate) async fn write(
        &self,
        client: &Object,
        rows: &Rows,
    ) -> Result<(), tokio_postgres::Error> {
        if rows.tenant.is_empty() {
            return Ok(());
        }
        let [
            filed,
            in_progress,
            removed,
            unable,
            countered,
            restored,
            relisted,
        ] = &rows.sums;
        let group_params: [&(dyn ToSql + Sync); 11] = [
            &rows.tenant,
            &rows.campaign,
            &rows.dimension,
            &rows.key,
            filed,
            in_progress,
            removed,
            unable,
            countered,
            restored,
            relisted,
        ];
        let groups = client.execute(&self.groups, &group_params);
        let hours = async {
            if rows.hours.is_empty() {
                return Ok(0);
            }
            client
                .execute(
                    &self.hours,
                    &[
                        &rows.hours_tenant,
                        &rows.hours_campaign,
                        &rows.hours_dimension,
                        &rows.hours_key,
                        &rows.hours,
                        &rows.hours_n,
                    ],
                )
                .await
        };
        let (groups, hours) = tokio::join!(groups, hours);
        groups?;
        hours?;
        Ok(())
    }
}

/// The tallies of the tenant's complaints (of `campaign` only, when given).
pub(crate) async fn read(
    client: &Object,
    tenant: TenantId,
    campaign: Option<CampaignId>,
) -> Result<Tallies, StoreError> {
    let campaign = campaign.map(|c| c.as_uuid());
    let tenant = tenant.as_uuid();
    let groups = client
        .prepare_cached(
            "SELECT dimension, key, filed, in_progress, removed, unable_to_process,
                 counter_noticed, restored, relisted
             FROM metric_groups WHERE tenant = $1 AND ($2::uuid IS NULL OR campaign = $2)",
        )
        .await
        .map_err(unavailable)?;
    let hours = client
        .prepare_cached(
            "SELECT dimension, key, hours, n FROM removal_hours
             WHERE tenant = $1 AND ($2::uuid IS NULL OR campaign = $2)",
        )
        .await
        .map_err(unavailable)?;
    let params: [&(dyn ToSql + Sync); 2] = [&tenant, &campaign];
    let (group_rows, hour_rows) = tokio::join!(
        client.query(&groups, &params),
        client.query(&hours, &params)
    );
    let mut sums: HashMap<(i16, String), GroupTally> = HashMap::new();
    for row in group_rows.map_err(unavailable)? {
        let get = |i: usize| {
            row.try_get::<_, i64>(i)
                .map_err(|e| corrupt("metric_groups", e))
        };
        let tally = GroupTally {
            filed: get(2)?,
            in_progress: get(3)?,
            removed: get(4)?,
            unable_to_process: get(5)?,
            counter_noticed: get(6)?,
            restored: get(7)?,
            relisted: get(8)?,
            hours_to_removal: Default::default(),
        };
        let group = (
            row.try_get(0).map_err(|e| corrupt("metric_groups", e))?,
            row.try_get(1).map_err(|e| corrupt("metric_groups", e))?,
        );
        sums.entry(group).or_default().merge(&tally);
    }
    for row in hour_rows.map_err(unavailable)? {
        let group = (
            row.try_get(0).map_err(|e| corrupt("removal_hours", e))?,
            row.try_get(1).map_err(|e| corrupt("removal_hours", e))?,
        );
        let hours: i32 = row.try_get(2).map_err(|e| corrupt("removal_hours", e))?;
        let n: i64 = row.try_get(3).map_err(|e| corrupt("removal_hours", e))?;
        let hours = u32::try_from(hours).map_err(|_| corrupt("removal_hours", hours))?;
        sums.entry(group).or_default().add_removal_times(hours, n);
    }
    let mut tallies = Tallies::default();
    for ((dimension, key), sums) in sums {
        tallies.add(
            columns::metrics_group_from_parts(i64::from(dimension), key)?,
            &sums,
        );
    }
    Ok(tallies)
}
