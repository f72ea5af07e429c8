//! Campaigns: named enforcement efforts grouping complaints under one or more rights.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{CampaignId, RightId, TenantId};
use crate::text::Text;

/// A named enforcement effort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Its id.
    pub id: CampaignId,
    /// Its tenant.
    pub tenant: TenantId,
    /// A name for people ("Earbuds, Q4 sweep").
    pub name: Text,
    /// The approved rights its complaints may rest on.
    pub rights: Vec<RightId>,
    /// Whether a relisting found by an intake is filed at once (else it is reported and
    /// left for a person to decide).
    pub auto_file_relistings: bool,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}
