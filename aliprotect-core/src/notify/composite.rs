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
