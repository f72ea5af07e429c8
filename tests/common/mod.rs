//! Shared set-up of the end-to-end tests: an engine on the memory store with a manual clock
//! and a notifier that records what it is given.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use aliprotect::clock::ManualClock;
use aliprotect::engine::{Command, Engine, EngineError, Request};
use aliprotect::ids::{ComplaintId, FilingId, RightId, TenantId};
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::store::Receipt;
use aliprotect::store_memory::MemoryStore;
use aliprotect::testkit::fixtures;

pub(crate) use aliprotect::testkit::engines::RecordingNotifier;
use aliprotect::testkit::engines::approve_right;

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
        approve_right(&self.engine, self.tenant, id)
            .await
            .unwrap_or_else(|e| panic!("approval step failed: {e}"));
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
