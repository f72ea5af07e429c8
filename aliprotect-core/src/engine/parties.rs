//! Deciding commands on powers of attorney, campaigns and filer records: streams like rights
//! and complaints, so that granting, revoking, creating, archiving and warning have a
//! history, an idempotency key and the same authorization as every other command.

use super::{Decided, Engine, EngineError, Forbidden, Request};
use crate::campaign::{Campaign, CampaignCommand, CampaignContext, CampaignDecider};
use crate::clock::Clock;
use crate::decider::Decider;
use crate::filer::{FilerCommand, FilerContext, FilerDecider};
use crate::ids::{CampaignId, PowerOfAttorneyId, RightId};
use crate::notify::Notifier;
use crate::party::Actor;
use crate::power::{PowerCommand, PowerContext, PowerDecider};
use crate::right::RightStatus;
use crate::store::{Store, StreamId};

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    pub(super) async fn decide_power(
        &self,
        request: &Request,
        id: PowerOfAttorneyId,
        command: &PowerCommand,
        loading: super::Loading,
    ) -> Result<Decided, EngineError> {
        if let Actor::Representative { .. } = request.actor {
            return Err(EngineError::Forbidden {
                actor: request.actor,
                command: request.command.name(),
                reason: Forbidden::HolderUsersOnly,
            });
        }
        let stream = StreamId::Power(id);
        let now = self.inner.clock.now();
        let (version, state) = self
            .load_state::<PowerDecider>(request.tenant, stream, loading)
            .await?;
        if state.is_none() && !matches!(command, PowerCommand::Grant { .. }) {
            return Err(EngineError::NotFound(stream));
        }
        let context = PowerContext {
            at: now,
            actor: request.actor,
        };
        let events = PowerDecider::decide(&state, command, &context)?;
        self.conclude::<PowerDecider>(request, (stream, version), state, events, now)
    }

    pub(super) async fn decide_filer(
        &self,
        request: &Request,
        command: &FilerCommand,
        loading: super::Loading,
    ) -> Result<Decided, EngineError> {
        let stream = request.command.stream();
        let now = self.inner.clock.now();
        let (version, state) = self
            .load_state::<FilerDecider>(request.tenant, stream, loading)
            .await?;
        let context = FilerContext {
            at: now,
            actor: request.actor,
        };
        let events = FilerDecider::decide(&state, command, &context)?;
        self.conclude::<FilerDecider>(request, (stream, version), state, events, now)
    }

    pub(super) async fn decide_campaign(
        &self,
        request: &Request,
        id: CampaignId,
        command: &CampaignCommand,
        loading: super::Loading,
    ) -> Result<Decided, EngineError> {
        let stream = StreamId::Campaign(id);
        let now = self.inner.clock.now();
        let (version, state) = self
            .load_state::<CampaignDecider>(request.tenant, stream, loading)
            .await?;
        if state.is_none() && !matches!(command, CampaignCommand::Create(_)) {
            return Err(EngineError::NotFound(stream));
        }
        let approved_rights = self
            .approved_rights(request, state.as_ref(), command)
            .await?;
        let context = CampaignContext {
            at: now,
            actor: request.actor,
            approved_rights: &approved_rights,
        };
        let events = CampaignDecider::decide(&state, command, &context)?;
        self.conclude::<CampaignDecider>(request, (stream, version), state, events, now)
    }

    /// Which rights the command names are approved in the tenant; a representative must
    /// also hold a power in force for each right the campaign has or will have.
    async fn approved_rights(
        &self,
        request: &Request,
        state: Option<&Campaign>,
        command: &CampaignCommand,
    ) -> Result<Vec<RightId>, EngineError> {
        let now = self.inner.clock.now();
        let named = command.rights();
        let kept = state.map(|c| c.rights.as_slice()).unwrap_or_default();
        let mut approved = Vec::new();
        for right in named.iter().chain(kept) {
            let Some(found) = self.load_right(request.tenant, *right).await? else {
                continue;
            };
            self.authorize(request, found.package.holder.id, found.id, now)
                .await?;
            if found.status == RightStatus::Approved {
                approved.push(found.id);
            }
        }
        Ok(approved)
    }
}
