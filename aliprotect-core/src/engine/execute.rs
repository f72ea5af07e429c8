//! Running commands: one at a time with conflict retries and idempotency, or many at once
//! with one store call for all their commits.

use chrono::{DateTime, Utc};

use super::{
    Attempt, Decided, Engine, EngineError, Executed, Forbidden, Loading, PolicyError, Request,
    RightMemo,
};
use crate::clock::Clock;
use crate::ids::{ComplaintId, RightId, RightsHolderId};
use crate::notify::Notifier;
use crate::party::Actor;
use crate::store::ReadModelExt;
use crate::store::{
    Commit, IdempotencyKey, Receipt, RequestFingerprint, Store, StoreError, StoredReceipt, StreamId,
};

impl<S: Store, N: Notifier, C: Clock> Engine<S, N, C> {
    /// Runs a command. Returns what it wrote; with an idempotency key already used in the
    /// tenant, returns the first receipt and writes nothing.
    ///
    /// Work the command causes on other streams (an approval releases the right's staged
    /// complaints; a relisting marks the complaint it follows) is committed with it and
    /// carried out before this returns; should that fail, or the process die, any engine's
    /// [`Jobs::tick`](crate::engine::Jobs::tick) finishes it.
    pub async fn execute(&self, request: Request) -> Result<Receipt, EngineError> {
        let executed = self.execute_only(&request).await?;
        if let Some(work) = executed.work
            && self.inner.config.carry_out_follow_ups
        {
            self.carry_out(&work).await;
        }
        Ok(executed.receipt)
    }

    pub(super) async fn execute_only(&self, request: &Request) -> Result<Executed, EngineError> {
        self.check_request(request)?;
        self.ensure_policy().await?;
        let Some(key) = &request.idempotency_key else {
            return self.decide_and_commit(request).await;
        };
        let store = &self.inner.store;
        let fingerprint = request.fingerprint()?;
        if let Some(stored) = store.receipt(request.tenant, key).await? {
            return replay(key, fingerprint, stored);
        }
        match self.decide_and_commit(request).await {
            Ok(executed) => Ok(executed),
            // A concurrent run of the same request may have committed between our look at
            // the receipts and our decision: its commit is why we were refused (the command
            // no longer fits the state) or kept conflicting. Its receipt is our answer.
            Err(error) => match store.receipt(request.tenant, key).await? {
                Some(stored) => replay(key, fingerprint, stored),
                None => Err(error),
            },
        }
    }

    /// Decides and commits, deciding again after each version conflict, a bounded number of
    /// times.
    pub(super) async fn decide_and_commit(
        &self,
        request: &Request,
    ) -> Result<Executed, EngineError> {
        let attempts = self.inner.config.max_conflict_retries.saturating_add(1);
        // A creation is first decided as new without a look at the store (the commit's
        // version check refuses it if the stream exists, and the next attempt loads it).
        let mut loading = match request.command.created_as() {
            Some(_) => Loading::AssumeNew,
            None => Loading::Cached,
        };
        for _ in 0..attempts {
            let decided = match self.decide(request, loading, None, None).await {
                // The state decided on may have been a stale cached one: a refusal is only
                // reported if the stream as it stands refuses the command too.
                Err(error) if error.is_refusal() => {
                    self.decide(request, Loading::Exact, None, None).await
                }
                other => other,
            };
            let attempt = match decided {
                Ok(decided) => self.commit(decided).await,
                Err(error) => Err(error),
            };
            match attempt {
                Ok(Attempt::Done(executed)) => return Ok(executed),
                Ok(Attempt::Conflict) => loading = Loading::Cached,
                // Another stream holds a key the command takes: decide again knowing who,
                // so that the rules refuse it by name; if the holder let go meanwhile, retry.
                Ok(Attempt::Taken { key, holder }) => match self
                    .open_holder(request, holder)
                    .await?
                {
                    Some(open) => {
                        return match self.decide(request, Loading::Exact, None, Some(open)).await {
                            Err(refusal) => Err(refusal),
                            Ok(_) => Err(StoreError::UniqueKeyTaken { key, holder }.into()),
                        };
                    }
                    None => loading = Loading::Exact,
                },
                Err(other) => return Err(other),
            }
        }
        Err(EngineError::Conflict {
            stream: request.command.stream(),
            attempts,
        })
    }

    /// Checks what can be checked without loading anything: the actor's side and tenant,
    /// and that a creation command carries the request's id and tenant.
    pub(super) fn check_request(&self, request: &Request) -> Result<(), EngineError> {
        let forbidden = |reason| EngineError::Forbidden {
            actor: request.actor,
            command: request.command.name(),
            reason,
        };
        let allowed = request.command.issuers();
        if !allowed.contains(&request.actor.issuer()) {
            return Err(forbidden(Forbidden::WrongSide { allowed }));
        }
        if request
            .actor
            .tenant()
            .is_some_and(|tenant| tenant != request.tenant)
        {
            return Err(forbidden(Forbidden::OtherTenant));
        }
        if let StreamId::Filer(filer) = request.command.stream()
            && filer != request.tenant
        {
            return Err(EngineError::InvalidCommand(
                "a filer's record belongs to the request's tenant",
            ));
        }
        if let Some((stream, tenant)) = request.command.created_as() {
            if stream != request.command.stream() {
                return Err(EngineError::InvalidCommand(
                    "the creation command's id differs from the addressed stream",
                ));
            }
            if tenant != request.tenant {
                return Err(EngineError::InvalidCommand(
                    "the creation command's tenant differs from the request's",
                ));
            }
        }
        Ok(())
    }

    /// A representative must hold a power of attorney in force for the holder and right.
    pub(super) async fn authorize(
        &self,
        request: &Request,
        holder: RightsHolderId,
        right: RightId,
        now: DateTime<Utc>,
    ) -> Result<(), EngineError> {
        let Actor::Representative { representative, .. } = request.actor else {
            return Ok(());
        };
        let powers = self
            .inner
            .store
            .powers(request.tenant, representative)
            .await?;
        if powers
            .iter()
            .any(|power| power.authorises(representative, holder, right, now))
        {
            Ok(())
        } else {
            Err(EngineError::Forbidden {
                actor: request.actor,
                command: request.command.name(),
                reason: Forbidden::NoPowerOfAttorney { holder },
            })
        }
    }

    pub(super) async fn commit(&self, decided: Decided) -> Result<Attempt, EngineError> {
        let work = decided.commit.work.clone();
        match self.inner.store.commit(decided.commit).await {
            Ok(()) => Ok(Attempt::Done(Executed {
                receipt: decided.receipt,
                work,
            })),
            Err(StoreError::Conflict { .. }) => Ok(Attempt::Conflict),
            Err(StoreError::UniqueKeyTaken { key, holder }) => Ok(Attempt::Taken { key, holder }),
            Err(other) => Err(other.into()),
        }
    }

    /// The open complaint `holder` is, if it (still) is one in the tenant: the duplicate a
    /// filing that met its key is refused for.
    pub(super) async fn open_holder(
        &self,
        request: &Request,
        holder: StreamId,
    ) -> Result<Option<ComplaintId>, EngineError> {
        let StreamId::Complaint(id) = holder else {
            return Ok(None);
        };
        let open = self
            .load_complaint(request.tenant, id)
            .await?
            .is_some_and(|complaint| complaint.holds_unique_keys());
        Ok(open.then_some(id))
    }

    /// Runs many independent commands (bulk filing) with ONE store call for all their
    /// commits, so a durable store writes them in large transactions. Each request gets its
    /// own result in order, as if run one after another by [`Engine::execute`]: a refused
    /// request does not affect the others; a later request on a stream already in the batch,
    /// a request with an idempotency key, and a creation that meets an existing stream run
    /// one by one after the batch.
    pub async fn execute_batch(&self, requests: Vec<Request>) -> Vec<Result<Receipt, EngineError>> {
        if let Err(error) = self.ensure_policy().await {
            let error = match error {
                EngineError::Policy(error) => error,
                other => PolicyError::Unreadable {
                    detail: other.to_string(),
                },
            };
            return requests
                .iter()
                .map(|_| Err(EngineError::Policy(error.clone())))
                .collect();
        }
        let mut results: Vec<Option<Result<Executed, EngineError>>> =
            requests.iter().map(|_| None).collect();
        let mut rights = RightMemo::default();
        let mut decided = Vec::new();
        let mut streams = std::collections::HashSet::new();
        for (index, request) in requests.iter().enumerate() {
            // A second request on a stream depends on the first: it runs after the batch.
            if !streams.insert(request.command.stream()) {
                continue;
            }
            let outcome = match self.check_request(request) {
                Err(error) => Err(error),
                Ok(()) => match &request.idempotency_key {
                    // Keyed requests take the careful path of `execute`.
                    Some(_) => continue,
                    None => {
                        let loading = match request.command.created_as() {
                            Some(_) => Loading::AssumeNew,
                            None => Loading::Cached,
                        };
                        self.decide(request, loading, Some(&mut rights), None).await
                    }
                },
            };
            match outcome {
                Ok(decision) => decided.push((index, decision)),
                // Perhaps decided on a stale cached state: run it alone after the batch.
                Err(error) if error.is_refusal() => {}
                Err(error) => results[index] = Some(Err(error)),
            }
        }
        let (indexes, decisions): (Vec<usize>, Vec<Decided>) = decided.into_iter().unzip();
        let (commits, executed): (Vec<Commit>, Vec<Executed>) = decisions
            .into_iter()
            .map(|d| {
                let work = d.commit.work.clone();
                let executed = Executed {
                    receipt: d.receipt,
                    work,
                };
                (d.commit, executed)
            })
            .unzip();
        let outcomes = self.inner.store.commit_batch(commits).await;
        for ((index, executed), outcome) in indexes.into_iter().zip(executed).zip(outcomes) {
            results[index] = match outcome {
                Ok(()) => Some(Ok(executed)),
                // Run alone after the batch: decided again on the new state, or against the
                // key's holder.
                Err(StoreError::Conflict { .. } | StoreError::UniqueKeyTaken { .. }) => None,
                Err(other) => Some(Err(other.into())),
            };
        }
        let mut out = Vec::with_capacity(requests.len());
        for (request, result) in requests.iter().zip(results) {
            let result = match result {
                Some(result) => result,
                None => self.execute_only(request).await,
            };
            out.push(match result {
                Ok(executed) => {
                    if let Some(work) = &executed.work
                        && self.inner.config.carry_out_follow_ups
                    {
                        self.carry_out(work).await;
                    }
                    Ok(executed.receipt)
                }
                Err(error) => Err(error),
            });
        }
        out
    }
}

/// The answer to a request whose idempotency key is already recorded: the first request's
/// receipt if it was the same request, else a typed refusal of the key's reuse.
fn replay(
    key: &IdempotencyKey,
    fingerprint: RequestFingerprint,
    stored: StoredReceipt,
) -> Result<Executed, EngineError> {
    if stored.request.is_some_and(|first| first != fingerprint) {
        return Err(EngineError::IdempotencyKeyReused { key: key.clone() });
    }
    Ok(Executed {
        receipt: stored.receipt,
        work: None,
    })
}
