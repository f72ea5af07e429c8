//! The aggregates that read many rows (a client's trusted-filer standing, a campaign's
//! metrics), read once for every request that asks while they are being read, and kept for
//! `WebConfig::figures_ttl` (none by default): a dashboard opened by many people at once
//! reads them once. Each page says when its figures were read.

use std::sync::Arc;
use std::time::Duration;

use aliprotect_core::accuracy::Accuracy;
use aliprotect_core::clock::Clock;
use aliprotect_core::ids::{CampaignId, TenantId};
use aliprotect_core::metrics::Breakdown;
use chrono::{DateTime, Utc};
use moka::future::Cache;

use crate::app::WebEngine;
use crate::error::WebError;

/// Figures, and when they were read.
pub(crate) type AsOf<T> = Arc<(T, DateTime<Utc>)>;

/// The kept figures.
pub(crate) struct Figures {
    accuracy: Cache<TenantId, AsOf<Accuracy>>,
    metrics: Cache<(TenantId, Option<CampaignId>), AsOf<Breakdown>>,
}

/// Entries kept at most (a few per client).
const ENTRIES: u64 = 10_000;

impl Figures {
    /// Figures kept for `ttl` (zero: read every time).
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            accuracy: Cache::builder()
                .max_capacity(ENTRIES)
                .time_to_live(ttl)
                .build(),
            metrics: Cache::builder()
                .max_capacity(ENTRIES)
                .time_to_live(ttl)
                .build(),
        }
    }

    /// The tenant's standing as a filer.
    pub(crate) async fn accuracy(
        &self,
        engine: &WebEngine,
        tenant: TenantId,
    ) -> Result<AsOf<Accuracy>, WebError> {
        self.accuracy
            .try_get_with(tenant, async {
                let read = engine.read();
                let at = read.clock().now();
                read.filer_accuracy(tenant).await.map(|a| Arc::new((a, at)))
            })
            .await
            .map_err(WebError::internal)
    }

    /// The enforcement metrics of the tenant, or of one campaign.
    pub(crate) async fn metrics(
        &self,
        engine: &WebEngine,
        tenant: TenantId,
        campaign: Option<CampaignId>,
    ) -> Result<AsOf<Breakdown>, WebError> {
        self.metrics
            .try_get_with((tenant, campaign), async {
                let read = engine.read();
                let at = read.clock().now();
                read.metrics(tenant, campaign)
                    .await
                    .map(|m| Arc::new((m, at)))
            })
            .await
            .map_err(WebError::internal)
    }
}
