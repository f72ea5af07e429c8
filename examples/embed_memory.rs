//! The engine in your program with the in-memory store, in 30 lines: a right is registered and
//! approved, a listing is complained about. Run: `cargo run --example embed_memory`.
#![allow(clippy::print_stdout)]
use aliprotect::complaint::{ComplaintCommand, ComplaintFiling, ComplaintReason};
use aliprotect::engine::{Command, Engine, Request};
use aliprotect::ids::{ComplaintId, RightId, TenantId, UserId};
use aliprotect::{clock::SystemClock, listing::Listing, notify::DiscardNotifier, party::Actor};
use aliprotect::{policy::MarketplacePolicy, store_memory::MemoryStore, testkit::fixtures};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = MarketplacePolicy::alibaba_ipp();
    let engine = Engine::new(MemoryStore::new(), DiscardNotifier, SystemClock, policy);
    let (tenant, right, id) = (TenantId::new(), RightId::new(), ComplaintId::new());
    let run = |actor, command| engine.execute(Request::new(tenant, actor, command));
    // Register a trademark (a complete package from the testkit), submit it, and record the
    // platform's review and approval.
    let mut package = fixtures::trademark_package();
    package.holder.tenant = tenant;
    for (actor, command) in fixtures::approval_of(right, tenant, package) {
        run(actor, Command::right(right, command)).await?;
    }
    // File a complaint against a listing and submit it.
    let me = Actor::HolderUser {
        tenant,
        user: UserId::new(),
    };
    let url = "https://www.alibaba.com/product-detail/Earbuds_1600123456789.html";
    let why = aliprotect::text::Text::new("Counterfeit earbuds bearing our registered mark")?;
    let reason = ComplaintReason::TrademarkCounterfeit;
    let filing = ComplaintFiling::new(id, tenant, right, Listing::parse(url)?, reason, why);
    for command in [
        ComplaintCommand::File(Box::new(filing)),
        ComplaintCommand::Submit,
    ] {
        run(me, Command::complaint(id, command)).await?;
    }
    let complaint = engine
        .read()
        .complaint(tenant, id)
        .await?
        .ok_or("not found")?;
    println!("complaint against {url}: {}", complaint.status());
    Ok(())
}
