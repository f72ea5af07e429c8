//! Sending to several notifiers, each for the notifications it should see.

use std::sync::Arc;

use async_trait::async_trait;

use super::{MessageId, Notification, Notifier, NotifyError};

type Filter = Box<dyn Fn(&Notification) -> bool + Send + Sync>;

/// Sends each notification to every route whose filter accepts it (webhook for everything,
/// email only for what needs a person today, one tenant's own endpoint...).
///
/// Delivery succeeds only when every matching route succeeded; a failure makes the dispatcher
/// retry the message on all routes, which is why receivers deduplicate by [`MessageId`].
///
/// ```
/// use aliprotect_core::notify::{CompositeNotifier, DiscardNotifier, NotificationBody};
///
/// let notifier = CompositeNotifier::new()
///     .route_all(DiscardNotifier)
///     .route_kinds(&["counter_notice_received", "deadline_approaching"], DiscardNotifier);
/// assert_eq!(notifier.routes(), 2);
/// ```
#[derive(Default)]
pub struct CompositeNotifier {
    routes: Vec<(Filter, Arc<dyn Notifier>)>,
}

impl CompositeNotifier {
    /// A notifier with no route (it accepts and drops everything).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route for the notifications `filter` accepts.
    pub fn route(
        mut self,
        filter: impl Fn(&Notification) -> bool + Send + Sync + 'static,
        notifier: impl Notifier,
    ) -> Self {
        self.routes.push((Box::new(filter), Arc::new(notifier)));
        self
    }

    /// Adds a route for every notification.
    pub fn route_all(self, notifier: impl Notifier) -> Self {
        self.route(|_| true, notifier)
    }

    /// Adds a route for the kinds named (see [`super::NotificationBody::kind`]).
    pub fn route_kinds(self, kinds: &'static [&'static str], notifier: impl Notifier) -> Self {
        self.route(move |n| kinds.contains(&n.body.kind()), notifier)
    }

    /// Adds a route for one tenant's notifications.
    pub fn route_tenant(self, tenant: crate::ids::TenantId, notifier: impl Notifier) -> Self {
        self.route(move |n| n.tenant == tenant, notifier)
    }

    /// The number of routes.
    pub fn routes(&self) -> usize {
        self.routes.len()
    }
}

#[async_trait]
impl Notifier for CompositeNotifier {
    async fn send(&self, id: &MessageId, notification: &Notification) -> Result<(), NotifyError> {
        let mut failures = Vec::new();
        for (filter, notifier) in &self.routes {
            if filter(notification)
                && let Err(error) = notifier.send(id, notification).await
            {
                failures.push(error);
            }
        }
        // Permanent only if every failing route failed for good; the longest retry hint wins.
        let permanent = failures
            .iter()
            .all(|e| matches!(e, NotifyError::Permanent { .. }));
        match failures.len() {
            0 => Ok(()),
            1 => Err(failures.remove(0)),
            n if permanent => Err(NotifyError::permanent(format!(
                "{n} routes refused: {failures:?}"
            ))),
            n => Err(NotifyError::Temporary {
                reason: format!("{n} routes failed: {failures:?}"),
                retry_after: failures
                    .iter()
                    .filter_map(|e| match e {
                        NotifyError::Temporary { retry_after, .. } => *retry_after,
                        NotifyError::Permanent { .. } => None,
                    })
                    .max(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::ids::StreamId;
    use crate::ids::{RightId, TenantId};
    use crate::notify::NotificationBody;

    #[derive(Default)]
    struct Recorder {
        seen: Mutex<Vec<&'static str>>,
        fail: Option<NotifyError>,
    }

    #[async_trait]
    impl Notifier for Arc<Recorder> {
        async fn send(&self, _: &MessageId, n: &Notification) -> Result<(), NotifyError> {
            self.seen.lock().unwrap().push(n.body.kind());
            self.fail.clone().map_or(Ok(()), Err)
        }
    }

    fn notification(tenant: TenantId, body: NotificationBody) -> (MessageId, Notification) {
        let subject = StreamId::Right(RightId::from_u128(1));
        let id = MessageId {
            tenant,
            stream: subject,
            version: 1,
        };
        let at = crate::testkit::fixtures::now();
        (
            id,
            Notification {
                tenant,
                subject,
                at,
                body,
            },
        )
    }

    #[tokio::test]
    async fn routes_by_kind_and_tenant() {
        let (all, counter, vip) = (
            Arc::new(Recorder::default()),
            Arc::new(Recorder::default()),
            Arc::new(Recorder::default()),
        );
        let special = TenantId::from_u128(7);
        let composite = CompositeNotifier::new()
            .route_all(all.clone())
            .route_kinds(&["deadline_approaching"], counter.clone())
            .route_tenant(special, vip.clone());
        let (id, approved) = notification(TenantId::from_u128(1), NotificationBody::RightApproved);
        composite.send(&id, &approved).await.unwrap();
        let due = crate::testkit::fixtures::now();
        let (id, reminder) = notification(special, NotificationBody::DeadlineApproaching { due });
        composite.send(&id, &reminder).await.unwrap();
        assert_eq!(
            *all.seen.lock().unwrap(),
            ["right_approved", "deadline_approaching"]
        );
        assert_eq!(*counter.seen.lock().unwrap(), ["deadline_approaching"]);
        assert_eq!(*vip.seen.lock().unwrap(), ["deadline_approaching"]);
    }

    #[tokio::test]
    async fn a_failing_route_fails_the_delivery_with_the_longest_retry_hint() {
        let slow = Arc::new(Recorder {
            fail: Some(NotifyError::Temporary {
                reason: "429".into(),
                retry_after: Some(std::time::Duration::from_secs(30)),
            }),
            ..Recorder::default()
        });
        let gone = Arc::new(Recorder {
            fail: Some(NotifyError::permanent("410")),
            ..Recorder::default()
        });
        let composite = CompositeNotifier::new().route_all(slow).route_all(gone);
        let (id, n) = notification(TenantId::from_u128(1), NotificationBody::RightApproved);
        match composite.send(&id, &n).await {
            Err(NotifyError::Temporary { retry_after, .. }) => {
                assert_eq!(retry_after, Some(std::time::Duration::from_secs(30)));
            }
            other => panic!("expected a temporary failure, got {other:?}"),
        }
    }
}
