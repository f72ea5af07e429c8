//! Shared set-up of the end-to-end tests: an engine on the memory store with a manual clock
//! and a notifier that records what it is given.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Display;
use std::sync::Arc;

use aliprotect::clock::ManualClock;
use aliprotect::complaint::{ComplaintCommand, ComplaintFiling, RemovalCause};
use aliprotect::engine::{Command, Engine, EngineError, Request};
use aliprotect::ids::{ComplaintId, FilingId, RightId, TenantId};
use aliprotect::party::Actor;
use aliprotect::policy::MarketplacePolicy;
use aliprotect::right::RightCommand;
use aliprotect::store::{Receipt, StoredEvent, StreamId};
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
        let complaint = self.engine.read().complaint(self.tenant, id).await;
        found("complaint", id, complaint)
    }

    /// The right's current state; panics if it does not exist.
    pub(crate) async fn right(&self, id: RightId) -> aliprotect::right::IpRight {
        found("right", id, self.engine.read().right(self.tenant, id).await)
    }

    /// Every event of `stream` in this tenant, oldest first.
    pub(crate) async fn history(&self, stream: StreamId) -> Vec<StoredEvent> {
        self.engine
            .read()
            .history(self.tenant, stream)
            .await
            .unwrap()
    }

    /// The seller counter-notices complaint `id`.
    pub(crate) async fn counter_notice(&self, id: ComplaintId) {
        let notice = ComplaintCommand::ReceiveCounterNotice {
            statement: fixtures::text("These goods are genuine"),
            evidence: vec![],
        };
        self.run(Actor::Seller, Command::complaint(id, notice))
            .await
            .unwrap_or_else(|e| panic!("counter-notice refused: {e}"));
    }

    /// The holder's command registering the fixture trademark as right `id`.
    pub(crate) fn register(&self, id: RightId) -> Command {
        let register = RightCommand::Register {
            id,
            tenant: self.tenant,
            package: Box::new(fixtures::trademark_package()),
        };
        Command::right(id, register)
    }

    /// Registers the fixture trademark and walks it to approval.
    pub(crate) async fn approved_right(&self) -> RightId {
        let id = RightId::new();
        approve_right(&self.engine, self.tenant, id)
            .await
            .unwrap_or_else(|e| panic!("approval step failed: {e}"));
        id
    }

    /// Files a draft complaint on `right` against Alibaba.com product `product`, after
    /// `adjust` has set what the test needs (a campaign, a listing, a follow-up); not submitted.
    pub(crate) async fn draft(
        &self,
        right: RightId,
        product: u64,
        adjust: impl FnOnce(&mut ComplaintFiling),
    ) -> ComplaintId {
        let id = ComplaintId::new();
        let mut filing = fixtures::complaint_filing_on(self.tenant, right, id, product);
        filing.filing = FilingId::new();
        adjust(&mut filing);
        self.holder(Command::complaint(
            id,
            ComplaintCommand::File(Box::new(filing)),
        ))
        .await;
        id
    }

    /// Files (and submits) a complaint on `right` against Alibaba.com product `product`.
    pub(crate) async fn filed(&self, right: RightId, product: u64) -> ComplaintId {
        self.filed_with(right, product, |_| {}).await
    }

    /// Files and submits a complaint like [`Harness::filed`], shaped by `adjust` first.
    pub(crate) async fn filed_with(
        &self,
        right: RightId,
        product: u64,
        adjust: impl FnOnce(&mut ComplaintFiling),
    ) -> ComplaintId {
        let id = self.draft(right, product, adjust).await;
        self.holder(Command::complaint(id, ComplaintCommand::Submit))
            .await;
        id
    }

    /// The platform accepts complaint `id` for processing.
    pub(crate) async fn accept(&self, id: ComplaintId) {
        self.platform(Command::complaint(id, ComplaintCommand::Accept))
            .await;
    }

    /// The platform reports that it took down the listing of complaint `id`.
    pub(crate) async fn removed(&self, id: ComplaintId) {
        let removal = ComplaintCommand::RecordRemoval {
            cause: RemovalCause::PlatformReported,
        };
        self.platform(Command::complaint(id, removal)).await;
    }

    /// The platform reports that it cannot process complaint `id`, for `reason`.
    pub(crate) async fn unable_to_process(&self, id: ComplaintId, reason: &str) {
        let report = ComplaintCommand::ReportUnableToProcess {
            reason: fixtures::text(reason),
        };
        self.platform(Command::complaint(id, report)).await;
    }

    /// The holder accepts the seller's counter-notice on complaint `id`: the listing stays up.
    pub(crate) async fn accept_counter_notice(&self, id: ComplaintId) {
        self.holder(Command::complaint(
            id,
            ComplaintCommand::AcceptCounterNotice,
        ))
        .await;
    }
}

/// What a read by id found: the engine answered, and the `kind` with that `id` exists.
fn found<T>(kind: &str, id: impl Display, read: Result<Option<T>, EngineError>) -> T {
    read.unwrap_or_else(|e| panic!("reading {kind} {id} failed: {e}"))
        .unwrap_or_else(|| panic!("{kind} {id} not found"))
}
