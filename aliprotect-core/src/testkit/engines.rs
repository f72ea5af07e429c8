//! What tests that drive an engine keep writing: a notifier that records what it is given
//! (and fails when told to), and an approved right to file complaints on.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::fixtures;
use crate::clock::Clock;
use crate::complaint::{ComplaintCommand, ComplaintFiling};
use crate::engine::{Command, Engine, EngineError, Request};
use crate::ids::{RightId, TenantId};
use crate::notify::{MessageId, Notification, NotificationBody, Notifier, NotifyError};
use crate::store::Store;

/// A notifier that records every delivery, and fails the next N when told to. Clones share
/// one record, so a test keeps a clone and gives the engine another.
///
/// ```
/// use aliprotect_core::notify::{Notification, Notifier};
/// # use aliprotect_core::testkit::engines::RecordingNotifier;
/// # async fn demo(id: aliprotect_core::notify::MessageId, notification: Notification) {
/// let notifier = RecordingNotifier::default();
/// notifier.fail_next(1);
/// assert!(notifier.send(&id, &notification).await.is_err(), "told to fail once");
/// assert!(notifier.send(&id, &notification).await.is_ok());
/// assert_eq!(notifier.delivered().len(), 1);
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RecordingNotifier {
    delivered: Arc<Mutex<Vec<(MessageId, Notification)>>>,
    failures_left: Arc<Mutex<u32>>,
}

impl RecordingNotifier {
    /// Every delivery so far, in order, with its message id.
    pub fn delivered(&self) -> Vec<(MessageId, Notification)> {
        lock(&self.delivered).clone()
    }

    /// The bodies of every delivery so far, in order.
    pub fn bodies(&self) -> Vec<NotificationBody> {
        lock(&self.delivered)
            .iter()
            .map(|(_, notification)| notification.body.clone())
            .collect()
    }

    /// Fails the next `count` deliveries with a temporary error (a receiver that is down).
    pub fn fail_next(&self, count: u32) {
        *lock(&self.failures_left) = count;
    }
}

/// A poisoned lock only means another test thread panicked: the record is still whole.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn send(&self, id: &MessageId, notification: &Notification) -> Result<(), NotifyError> {
        {
            let mut failures_left = lock(&self.failures_left);
            if *failures_left > 0 {
                *failures_left -= 1;
                return Err(NotifyError::temporary("receiver down"));
            }
        }
        lock(&self.delivered).push((id.clone(), notification.clone()));
        Ok(())
    }
}

/// Registers, submits and has the platform approve a trademark right `right` of `tenant`
/// through `engine`: the steps of [`fixtures::approval_of`], the holder moved to `tenant`.
/// The right to file complaints on, in one line.
pub async fn approve_right<S: Store, N: Notifier, C: Clock>(
    engine: &Engine<S, N, C>,
    tenant: TenantId,
    right: RightId,
) -> Result<(), EngineError> {
    let mut package = fixtures::trademark_package();
    package.holder.tenant = tenant;
    for (actor, command) in fixtures::approval_of(right, tenant, package) {
        engine
            .execute(Request::new(tenant, actor, Command::right(right, command)))
            .await?;
    }
    Ok(())
}

/// A new right of `tenant`, walked to approval through `engine` by [`approve_right`].
pub async fn approved_right<S: Store, N: Notifier, C: Clock>(
    engine: &Engine<S, N, C>,
    tenant: TenantId,
) -> Result<RightId, EngineError> {
    let right = RightId::new();
    approve_right(engine, tenant, right).await?;
    Ok(right)
}

/// Runs [`fixtures::life_of_a_complaint`] of `filing` through `engine`, command by command.
pub async fn live_through<S: Store, N: Notifier, C: Clock>(
    engine: &Engine<S, N, C>,
    tenant: TenantId,
    filing: ComplaintFiling,
) -> Result<(), EngineError> {
    let id = filing.id;
    for (actor, command) in fixtures::life_of_a_complaint(filing) {
        let request = Request::new(tenant, actor, Command::complaint(id, command));
        engine.execute(request).await?;
    }
    Ok(())
}

/// Files and submits the complaints `filings` makes, on behalf of the tenant's holder, in
/// batches of 10,000 through [`Engine::execute_batch`]: many complaints pending at once, as
/// benchmarks of the jobs (ticks, deliveries) start from.
pub async fn submitted_in_bulk<S: Store, N: Notifier, C: Clock>(
    engine: &Engine<S, N, C>,
    tenant: TenantId,
    filings: impl IntoIterator<Item = ComplaintFiling>,
) -> Result<(), EngineError> {
    let user = fixtures::holder_user_of(tenant);
    let mut filings = filings.into_iter().peekable();
    while filings.peek().is_some() {
        let batch: Vec<ComplaintFiling> = filings.by_ref().take(10_000).collect();
        let ids: Vec<_> = batch.iter().map(|filing| filing.id).collect();
        let files = batch.into_iter().map(|filing| {
            let id = filing.id;
            let file = ComplaintCommand::File(Box::new(filing));
            Request::new(tenant, user, Command::complaint(id, file))
        });
        let submits = ids.iter().map(|id| {
            Request::new(
                tenant,
                user,
                Command::complaint(*id, ComplaintCommand::Submit),
            )
        });
        for requests in [files.collect(), submits.collect()] {
            for result in engine.execute_batch(requests).await {
                result?;
            }
        }
    }
    Ok(())
}

/// Runs [`Jobs::dispatch`](crate::engine::Jobs::dispatch) until it finds nothing to handle:
/// how many messages were delivered.
pub async fn dispatch_everything<S: Store, N: Notifier, C: Clock>(
    engine: &Engine<S, N, C>,
) -> Result<usize, EngineError> {
    let mut delivered = 0;
    loop {
        let report = engine.jobs().dispatch().await?;
        if !report.handled_any() {
            return Ok(delivered);
        }
        delivered += report.delivered;
    }
}
