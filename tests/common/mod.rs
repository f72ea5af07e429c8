//! Shared set-up of the end-to-end tests: an engine on the memory store with a manual clock
//! and a notifier that records what it is given.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};

use aliprotect::clock::ManualClock;
use aliprotect::engine::{Command, Engine, EngineError, Request};
use aliprotect::ids::{ComplaintId, FilingId, RightId, TenantId};
use aliprotect::notify::{MessageId, Notification, Notifier, NotifyError};
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::Receipt;
use aliprotect::store_memory::MemoryStore;
use aliprotect::testkit::fixtures;
use async_trait::async_trait;

/// Records every delivery; can be told to fail the next N deliveries.
#[derive(Default, Clone)]
pub(crate) struct RecordingNotifier {
    pub(crate) delivered: Arc<Mutex<Vec<(MessageId, Notification)>>>,
    pub(crate) fail_next: Arc<Mutex<u32>>,
}

impl RecordingNotifier {
    pub(crate) fn bodies(&self) -> Vec<aliprotect::notify::NotificationBody> {
        self.delivered
            .lock()
            .unwrap()
            .iter()
            .map(|(_, n)| n.body.clone())
            .collect()
    }
}

#[async_trait]
impl Notifier for RecordingNotifier {
    async fn send(&self, id: &MessageId, notification: &Notification) -> Result<(), NotifyError> {
        {
            let mut fail = self.fail_next.lock().unwrap();
            if *fail > 0 {
                *fail -= 1;
                return Err(NotifyError::temporary("receiver down"));
            }
        }
        self.delivered
            .lock()
            .unwrap()
            .push((id.clone(), notification.clone()));
        Ok(())
    }
}

pub(crate) type TestEngine = Engine<Arc<MemoryStore>, RecordingNotifier, ManualClock>;

pub(crate) struct Harness {
    pub(crate) engine: TestEngine,
    pub(crate) store: Arc<MemoryStore>,
    pub(crate) clock: ManualClock,
    pub(crate) notifier: RecordingNotifier,
    pub(crate) tenant: TenantId,
}

impl Harness {
    pub(crate) fn new() -> Self {
        Self::with_policy(MarketplacePolicy::alibaba_ipp())
    }

    pub(crate) fn with_policy(policy: MarketplacePolicy) -> Self {
        let store = Arc::new(MemoryStore::new());
        let clock = ManualClock::at(fixtures::now());
        let notifier = RecordingNotifier::default();
        let engine = Engine::new(store.clone(), notifier.clone(), clock.clone(), policy);
        Self {
            engine,
            store,
            clock,
            notifier,
            tenant: fixtures::tenant(),
        }
    }

    pub(crate) async fn run(&self, actor: Actor, command: Command) -> Result<Receipt, EngineError> {
        self.engine
            .execute(Request::new(self.tenant, actor, command))
            .await
    }

    pub(crate) async fn holder(&self, command: Command) -> Receipt {
        let name = command.name();
        self.run(fixtures::holder_user(), command)
            .await
            .unwrap_or_else(|e| panic!("holder's {name} failed: {e}"))
    }

    pub(crate) async fn platform(&self, command: Command) -> Receipt {
        let name = command.name();
        self.run(Actor::Platform, command)
            .await
            .unwrap_or_else(|e| panic!("platform's {name} failed: {e}"))
    }

    /// The complaint's current state; panics if it does not exist.
    pub(crate) async fn complaint(&self, id: ComplaintId) -> aliprotect::complaint::Complaint {
        self.engine
            .read()
            .complaint(self.tenant, id)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("complaint {id} not found"))
    }

    /// The seller counter-notices complaint `id`.
    pub(crate) async fn counter_notice(&self, id: ComplaintId) {
        use aliprotect::complaint::ComplaintCommand;
        let notice = ComplaintCommand::ReceiveCounterNotice {
            statement: fixtures::text("These goods are genuine"),
            evidence: vec![],
        };
        self.run(Actor::Seller, Command::complaint(id, notice))
            .await
            .unwrap_or_else(|e| panic!("counter-notice refused: {e}"));
    }

    /// Registers the fixture trademark and walks it to approval.
    pub(crate) async fn approved_right(&self) -> RightId {
        let id = RightId::new();
        for (actor, command) in
            fixtures::approval_of(id, self.tenant, fixtures::trademark_package())
        {
            self.run(actor, Command::right(id, command))
                .await
                .unwrap_or_else(|e| panic!("approval step failed: {e}"));
        }
        id
    }

    /// Files (and submits) a complaint on `right` against Alibaba.com product `product`.
    pub(crate) async fn filed(&self, right: RightId, product: u64) -> ComplaintId {
        use aliprotect::complaint::ComplaintCommand;
        let id = ComplaintId::new();
        let mut filing = fixtures::complaint_filing(0, product);
        filing.id = id;
        filing.right = right;
        filing.filing = FilingId::new();
        self.holder(Command::complaint(
            id,
            ComplaintCommand::File(Box::new(filing)),
        ))
        .await;
        self.holder(Command::complaint(id, ComplaintCommand::Submit))
            .await;
        id
    }
}
