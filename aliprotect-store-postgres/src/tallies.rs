//! Metric tallies in two tables, so that the metrics, the filer's accuracy and the sellers'
//! records of a million complaints read one row per right, week, seller and day. A statement adds the changes of the commits it wrote, summed
//! per row and upserted in key order; readers add the rows back into [`Tallies`].

use std::collections::HashMap;

use aliprotect_core::ids::{CampaignId, TenantId};
use aliprotect_core::metrics::{GroupTally, Tallies};
use aliprotect_core::store::StoreError;
use aliprotect_core::store::columns;
use tokio_postgres::types::{ToSql, Type};
use uuid::Uuid;

use crate::error::{corrupt, unavailable};
use crate::statements::{Conn, Param};

/// Tally changes of commits as columns for `unnest`. Each row carries the index of its
/// commit in the statement, so that the statement keeps only the rows of the commits it
/// wrote, and the commit's tenant and campaign (the nil UUID for none).
#[derive(Default)]
pub(crate) struct Rows {
    idx: Vec<i32>,
    tenant: Vec<Uuid>,
    campaign: Vec<Uuid>,
    dimension: Vec<i16>,
    key: Vec<String>,
    sums: [Vec<i64>; GroupTally::SUMS],
    hours_idx: Vec<i32>,
    hours_tenant: Vec<Uuid>,
    hours_campaign: Vec<Uuid>,
    hours_dimension: Vec<i16>,
    hours_key: Vec<String>,
    hours: Vec<i32>,
    hours_n: Vec<i64>,
}

impl Rows {
    /// Adds the changes of commit `idx`.
    pub(crate) fn add(&mut self, idx: i32, tenant: Uuid, campaign: Uuid, tallies: &Tallies) {
        for (group, sums) in tallies.groups() {
            let (dimension, key) = columns::metrics_group_parts(&group);
            for (hours, &n) in &sums.hours_to_removal {
                self.hours_idx.push(idx);
                self.hours_tenant.push(tenant);
                self.hours_campaign.push(campaign);
                self.hours_dimension.push(dimension);
                self.hours_key.push(key.clone());
                self.hours.push(i32::try_from(*hours).unwrap_or(i32::MAX));
                self.hours_n.push(n);
            }
            self.idx.push(idx);
            self.tenant.push(tenant);
            self.campaign.push(campaign);
            self.dimension.push(dimension);
            self.key.push(key);
            let values = sums.sums();
            for (column, value) in self.sums.iter_mut().zip(values) {
                column.push(value);
            }
        }
    }

    /// Whether there are group rows to add.
    pub(crate) fn is_empty(&self) -> bool {
        self.idx.is_empty()
    }

    /// Whether there are removal times to add.
    pub(crate) fn has_hours(&self) -> bool {
        !self.hours.is_empty()
    }

    /// The parameters of [`add_groups_sql`], in order: the rows' keys, then their sums.
    pub(crate) fn group_params(&self) -> impl Iterator<Item = &(dyn ToSql + Sync)> {
        let keys: [&(dyn ToSql + Sync); 5] = [
            &self.idx,
            &self.tenant,
            &self.campaign,
            &self.dimension,
            &self.key,
        ];
        let sums = self.sums.iter().map(|column| column as &(dyn ToSql + Sync));
        keys.into_iter().chain(sums)
    }

    /// The parameters of [`add_hours_sql`], in order.
    pub(crate) fn hour_params(&self) -> [&(dyn ToSql + Sync); 7] {
        [
            &self.hours_idx,
            &self.hours_tenant,
            &self.hours_campaign,
            &self.hours_dimension,
            &self.hours_key,
            &self.hours,
            &self.hours_n,
        ]
    }
}

/// The types of [`Rows::group_params`].
pub(crate) const GROUP_TYPES: [Type; 5 + GroupTally::SUMS] = [
    Type::INT4_ARRAY,
    Type::UUID_ARRAY,
    Type::UUID_ARRAY,
    Type::INT2_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
    Type::INT8_ARRAY,
];

/// The types of [`Rows::hour_params`].
pub(crate) const HOUR_TYPES: [Type; 7] = [
    Type::INT4_ARRAY,
    Type::UUID_ARRAY,
    Type::UUID_ARRAY,
    Type::INT2_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT4_ARRAY,
    Type::INT8_ARRAY,
];

fn unnest(first: usize, types: &[&str]) -> String {
    types
        .iter()
        .enumerate()
        .map(|(i, ty)| format!("${}::{ty}[]", first + i))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The upsert of `metric_groups` from the 13 array parameters from `$first` on (see
/// [`Rows::group_params`]): the rows whose commit index `u.idx` satisfies `written`,
/// summed per group, in key order.
pub(crate) fn add_groups_sql(first: usize, written: &str) -> String {
    let arrays = unnest(
        first,
        &[
            "int4", "uuid", "uuid", "int2", "text", "int8", "int8", "int8", "int8", "int8", "int8",
            "int8", "int8",
        ],
    );
    format!(
        "INSERT INTO metric_groups (tenant, campaign, dimension, key, filed, in_progress,
             removed, unable_to_process, counter_noticed, restored, relisted, counter_notices)
         SELECT u.tenant, u.campaign, u.dimension, u.key, sum(u.filed)::int8,
             sum(u.in_progress)::int8, sum(u.removed)::int8, sum(u.unable)::int8,
             sum(u.countered)::int8, sum(u.restored)::int8, sum(u.relisted)::int8,
             sum(u.notices)::int8
         FROM unnest({arrays}) AS u(idx, tenant, campaign, dimension, key, filed,
             in_progress, removed, unable, countered, restored, relisted, notices)
         WHERE {written}
         GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
         ON CONFLICT (tenant, campaign, dimension, key) DO UPDATE SET
             filed = metric_groups.filed + excluded.filed,
             in_progress = metric_groups.in_progress + excluded.in_progress,
             removed = metric_groups.removed + excluded.removed,
             unable_to_process = metric_groups.unable_to_process + excluded.unable_to_process,
             counter_noticed = metric_groups.counter_noticed + excluded.counter_noticed,
             restored = metric_groups.restored + excluded.restored,
             relisted = metric_groups.relisted + excluded.relisted,
             counter_notices = metric_groups.counter_notices + excluded.counter_notices"
    )
}

/// The upsert of `removal_hours` from the 7 array parameters from `$first` on (see
/// [`Rows::hour_params`]), like [`add_groups_sql`].
pub(crate) fn add_hours_sql(first: usize, written: &str) -> String {
    let arrays = unnest(
        first,
        &["int4", "uuid", "uuid", "int2", "text", "int4", "int8"],
    );
    format!(
        "INSERT INTO removal_hours (tenant, campaign, dimension, key, hours, n)
         SELECT u.tenant, u.campaign, u.dimension, u.key, u.hours, sum(u.n)::int8
         FROM unnest({arrays}) AS u(idx, tenant, campaign, dimension, key, hours, n)
         WHERE {written}
         GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
         ON CONFLICT (tenant, campaign, dimension, key, hours) DO UPDATE SET
             n = removal_hours.n + excluded.n"
    )
}

/// The tallies of the tenant's complaints (of `campaign` only, when given).
pub(crate) async fn read(
    client: &Conn,
    tenant: TenantId,
    campaign: Option<CampaignId>,
) -> Result<Tallies, StoreError> {
    // A range of the key either way, so that both read the primary key's index.
    let (first, last) = match campaign {
        Some(campaign) => (campaign.as_uuid(), campaign.as_uuid()),
        None => (Uuid::nil(), Uuid::max()),
    };
    let tenant = tenant.as_uuid();
    let params: [Param<'_>; 3] = [
        (&tenant, Type::UUID),
        (&first, Type::UUID),
        (&last, Type::UUID),
    ];
    let (group_rows, hour_rows) = tokio::join!(
        client.query(
            "SELECT dimension, key, filed, in_progress, removed, unable_to_process,
                 counter_noticed, restored, relisted, counter_notices
             FROM metric_groups WHERE tenant = $1 AND campaign BETWEEN $2 AND $3",
            &params,
        ),
        client.query(
            "SELECT dimension, key, hours, n FROM removal_hours
             WHERE tenant = $1 AND campaign BETWEEN $2 AND $3",
            &params,
        )
    );
    let mut sums: HashMap<(i16, String), GroupTally> = HashMap::new();
    for row in group_rows.map_err(unavailable)? {
        let mut values = [0; GroupTally::SUMS];
        for (i, value) in values.iter_mut().enumerate() {
            *value = row
                .try_get::<_, i64>(i + 2)
                .map_err(|e| corrupt("metric_groups", e))?;
        }
        let tally = GroupTally::from_sums(values);
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
        if let Some(group) = columns::metrics_group_from_parts(i64::from(dimension), key)? {
            tallies.add(group, &sums);
        }
    }
    Ok(tallies)
}
