//! The main example: the whole enforcement story of a brand on Alibaba.com, step by step,
//! through the engine on an embedded SQLite file, ending with a dashboard.
//!
//! Run it with `cargo run --example enforcement_story`.
//!
//! 1. A trademark is registered; the package check finds the missing articles of
//!    incorporation before the first submission.
//! 2. The platform rejects it twice (reasons kept verbatim); each time a new scan is attached
//!    (the same package again would be refused), and the third try is approved. Listings
//!    found meanwhile are staged and filed automatically on approval.
//! 3. Eight pasted URLs become one filing; the platform takes them up.
//! 4. Outcomes: a removal, an "Unable to Process" that is refiled, a counter-notice that is
//!    answered and lost by the seller, one accepted by the holder, silent sellers.
//! 5. Silent sellers' removals become expected, not recorded; a check-back finds a removal
//!    nobody announced and records it with what it saw; the seller relists and a linked
//!    complaint starts the next round.
//! 6. The dashboard: complaints by status as the platform shows them, then the campaign's
//!    metrics (every complaint here belongs to one campaign, saved once the right is approved).
#![allow(clippy::print_stdout)]

use std::error::Error;

use aliprotect::campaign::{Campaign, CampaignCommand};
use aliprotect::clock::{Clock, ManualClock};
use aliprotect::complaint::{
    ComplaintCommand, ComplaintFiling, ComplaintReason, ComplaintStatus, Filing, FollowUp,
    FollowUpKind, RemovalCause,
};
use aliprotect::engine::{Command, Engine, EngineError, Request};
use aliprotect::evidence::{Evidence, EvidenceKind};
use aliprotect::ids::{
    CampaignId, ComplaintId, FilingId, RightId, RightsHolderId, TenantId, UserId,
};
use aliprotect::listing::Listing;
use aliprotect::notify::DiscardNotifier;
use aliprotect::party::{Actor, HolderKind, RightsHolder};
use aliprotect::policy::MarketplacePolicy;
use aliprotect::right::{
    Filer, Fix, FixTarget, Jurisdiction, MarkType, Registration, RightCommand, SubmissionPackage,
    TrademarkRegistration,
};
use aliprotect::store::{CountBy, GroupKey};
use aliprotect::store_sqlite::SqliteStore;
use aliprotect::text::Text;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

type Story = Engine<SqliteStore, DiscardNotifier, ManualClock>;

struct Ctx {
    engine: Story,
    clock: ManualClock,
    tenant: TenantId,
    me: Actor,
    campaign: CampaignId,
}

impl Ctx {
    async fn run(&self, actor: Actor, command: Command) -> Result<(), EngineError> {
        self.engine
            .execute(Request::new(self.tenant, actor, command))
            .await
            .map(|_| ())
    }

    async fn file(
        &self,
        right: RightId,
        filing: FilingId,
        listing: Listing,
        follows: Option<FollowUp>,
    ) -> Result<ComplaintId, Box<dyn Error>> {
        let id = ComplaintId::new();
        let mut complaint = ComplaintFiling::new(
            id,
            self.tenant,
            right,
            listing,
            ComplaintReason::TrademarkCounterfeit,
            Text::new("Counterfeit earbuds bearing the ACME SOUND mark")?,
        );
        complaint.filing = filing;
        complaint.evidence = vec![evidence(EvidenceKind::Screenshot, "screenshot")];
        complaint.follows = follows;
        complaint.campaign = Some(self.campaign);
        let file = ComplaintCommand::File(Box::new(complaint));
        self.run(self.me, Command::complaint(id, file)).await?;
        Ok(id)
    }

    async fn status(&self, id: ComplaintId) -> Result<ComplaintStatus, Box<dyn Error>> {
        let complaint = self.engine.read().complaint(self.tenant, id).await?;
        Ok(complaint.ok_or("complaint vanished")?.status())
    }
}

fn evidence(kind: EvidenceKind, content: &str) -> Evidence {
    let captured = Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).single();
    Evidence::of_bytes(
        kind,
        content.as_bytes(),
        "application/pdf",
        captured.unwrap_or_default(),
    )
}

/// The right's package: the certificate as `scan` (each new scan a new document), with or
/// without the articles of incorporation.
fn package(
    holder: RightsHolder,
    with_articles: bool,
    scan: &str,
) -> Result<SubmissionPackage, Box<dyn Error>> {
    let mut documents = vec![evidence(EvidenceKind::TrademarkCertificate, scan)];
    if with_articles {
        documents.push(evidence(EvidenceKind::ArticlesOfIncorporation, "articles"));
    }
    Ok(SubmissionPackage {
        registration: Registration::Trademark(TrademarkRegistration {
            mark_name: "ACME SOUND".into(),
            mark_type: MarkType::Combined,
            registration_number: "CN-41234567".into(),
            jurisdiction: Jurisdiction::new("CN")?,
            registrant: holder.name.clone(),
            classes: vec![9],
            registered_on: NaiveDate::from_ymd_opt(2021, 6, 1).ok_or("date")?,
            expires_on: NaiveDate::from_ymd_opt(2031, 5, 31).ok_or("date")?,
        }),
        holder,
        filer: Filer::Holder,
        evidence: documents,
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let start = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("start")?;
    let clock = ManualClock::at(start);
    let policy = MarketplacePolicy::alibaba_ipp();
    // A fresh file per run; the history stays there to look at afterwards.
    let path = std::env::temp_dir().join(format!("aliprotect-story-{}.sqlite", std::process::id()));
    let store = SqliteStore::open(&path)?;
    println!("(database: {})", path.display());
    let engine = Engine::new(store, DiscardNotifier, clock.clone(), policy);
    let tenant = TenantId::new();
    let ctx = Ctx {
        engine,
        clock,
        tenant,
        me: Actor::HolderUser {
            tenant,
            user: UserId::new(),
        },
        campaign: CampaignId::new(),
    };
    let holder = RightsHolder {
        id: RightsHolderId::new(),
        tenant,
        name: "Acme Audio Ltd".into(),
        kind: HolderKind::Company,
    };

    println!("== 1. Register the ACME SOUND trademark");
    let right = RightId::new();
    let r = |command| Command::right(right, command);
    let register = RightCommand::Register {
        id: right,
        tenant,
        package: Box::new(package(holder.clone(), false, "certificate scan")?),
    };
    ctx.run(ctx.me, r(register)).await?;
    if let Err(refused) = ctx.run(ctx.me, r(RightCommand::Submit)).await {
        println!("   submission refused before it reached the platform:\n   {refused}");
    }
    let amend = RightCommand::Amend {
        package: Box::new(package(holder.clone(), true, "certificate scan")?),
    };
    ctx.run(ctx.me, r(amend)).await?;
    println!("   articles of incorporation attached");

    println!("== 2. Review: rejected twice, approved on the third try");
    let mut staged = Vec::new();
    for (attempt, reason) in [
        "The certificate scan is not legible. Please provide a clear color copy.",
        "Registrant on certificate inconsistent with account holder information.",
    ]
    .into_iter()
    .enumerate()
    {
        ctx.run(ctx.me, r(RightCommand::Submit)).await?;
        ctx.run(Actor::Platform, r(RightCommand::BeginReview))
            .await?;
        if attempt == 1 {
            for product in [1_600_900_001u64, 1_600_900_002] {
                let url = format!("https://www.alibaba.com/product-detail/Pods_{product}.html");
                let id = ctx
                    .file(right, FilingId::new(), Listing::parse(&url)?, None)
                    .await?;
                staged.push(id);
            }
            println!("   2 listings staged while the right is under review");
        }
        let reject = RightCommand::Reject {
            reason: Text::new(reason)?,
            fixes: vec![Fix {
                target: FixTarget::Evidence(EvidenceKind::TrademarkCertificate),
                instruction: Text::new("Upload a colour scan of the certificate")?,
            }],
        };
        ctx.run(Actor::Platform, r(reject)).await?;
        println!("   attempt {}: rejected: \"{reason}\"", attempt + 1);
        ctx.clock.advance(Duration::days(1));
        // The same package again would be refused: it only uses up an attempt.
        let scan = format!("certificate scan, colour, version {}", attempt + 2);
        let amend = RightCommand::Amend {
            package: Box::new(package(holder.clone(), true, &scan)?),
        };
        ctx.run(ctx.me, r(amend)).await?;
        println!("   amended: a new colour scan of the certificate");
    }
    ctx.run(ctx.me, r(RightCommand::Submit)).await?;
    ctx.run(Actor::Platform, r(RightCommand::BeginReview))
        .await?;
    ctx.run(Actor::Platform, r(RightCommand::Approve)).await?;
    let approved = ctx
        .engine
        .read()
        .right(tenant, right)
        .await?
        .ok_or("right")?;
    println!(
        "   attempt {}: {:?}; staged listings now {:?}",
        approved.attempts,
        approved.status,
        ctx.status(staged[0]).await?
    );
    let name = Text::new("ACME SOUND earbud counterfeits, spring 2026")?;
    let campaign = Campaign::new(ctx.campaign, tenant, name, vec![right], ctx.clock.now())
        .auto_file_relistings(true);
    let create = CampaignCommand::Create(Box::new(campaign));
    ctx.engine
        .execute(Request::new(
            tenant,
            ctx.me,
            Command::campaign(ctx.campaign, create),
        ))
        .await?;
    println!("   campaign saved: every complaint of this story belongs to it");

    println!("== 3. File eight pasted URLs as one filing");
    let pasted = [
        "https://www.alibaba.com/product-detail/TWS-Earbuds_1600100001.html?spm=a2700.galleryofferlist",
        "https://m.alibaba.com/product-detail/Wireless-Pods_1600100002.html",
        "https://www.alibaba.com/product-detail/Bluetooth-5-3_1600100003.html#reviews",
        "https://www.alibaba.com/product-detail/Earphone_1600100004.html",
        "https://www.alibaba.com/product-detail/ANC-Buds_1600100005.html",
        "https://www.alibaba.com/product-detail/Sport-Buds_1600100006.html",
        "https://www.alibaba.com/product-detail/Mini-Pods_1600100007.html",
        "https://www.alibaba.com/product-detail/Pro-Buds_1600100008.html",
        "ftp://www.alibaba.com/not-a-listing",
    ];
    let mut listings = Vec::new();
    for url in pasted {
        match Listing::parse(url) {
            Ok(listing) => listings.push(listing),
            Err(error) => println!("   skipped `{url}`: {error}"),
        }
    }
    let filing = Filing::new(
        FilingId::new(),
        tenant,
        right,
        listings,
        ctx.engine.read().policy(),
    )?;
    let mut ids = Vec::new();
    for listing in &filing.listings {
        let id = ctx.file(right, filing.id, listing.clone(), None).await?;
        ctx.run(ctx.me, Command::complaint(id, ComplaintCommand::Submit))
            .await?;
        ctx.run(
            Actor::Platform,
            Command::complaint(id, ComplaintCommand::Accept),
        )
        .await?;
        ids.push(id);
    }
    println!(
        "   filed {} complaints, platform shows \"{}\"",
        ids.len(),
        ComplaintStatus::InProgress
            .platform_status()
            .map(|s| ctx.engine.read().policy().status_names.name(s).to_owned())
            .unwrap_or_default()
    );

    println!("== 4. Outcomes");
    let c = |i: usize, command| Command::complaint(ids[i], command);
    let removed = ComplaintCommand::RecordRemoval {
        cause: RemovalCause::PlatformReported,
    };
    ctx.run(Actor::Platform, c(0, removed.clone())).await?;
    ctx.run(
        Actor::Platform,
        c(
            1,
            ComplaintCommand::ReportUnableToProcess {
                reason: Text::new("The product link provided is invalid.")?,
            },
        ),
    )
    .await?;
    let refile = FollowUp {
        previous: ids[1],
        kind: FollowUpKind::Refiling,
    };
    let refiled = ctx
        .file(
            right,
            FilingId::new(),
            filing.listings[1].clone(),
            Some(refile),
        )
        .await?;
    ctx.run(
        ctx.me,
        Command::complaint(refiled, ComplaintCommand::Submit),
    )
    .await?;
    ctx.run(
        Actor::Seller,
        c(
            2,
            ComplaintCommand::ReceiveCounterNotice {
                statement: Text::new("We purchased these from an authorised distributor.")?,
                evidence: vec![evidence(EvidenceKind::Screenshot, "invoice")],
            },
        ),
    )
    .await?;
    ctx.run(
        ctx.me,
        c(
            2,
            ComplaintCommand::Respond {
                statement: Text::new("The distributor holds no licence for this territory.")?,
                evidence: vec![evidence(EvidenceKind::TestBuy, "test buy")],
            },
        ),
    )
    .await?;
    ctx.run(Actor::Platform, c(2, removed)).await?;
    ctx.run(
        Actor::Seller,
        c(
            3,
            ComplaintCommand::ReceiveCounterNotice {
                statement: Text::new("This is our own design, not your mark.")?,
                evidence: vec![],
            },
        ),
    )
    .await?;
    ctx.run(ctx.me, c(3, ComplaintCommand::AcceptCounterNotice))
        .await?;
    for (i, id) in ids.iter().enumerate().take(4) {
        println!("   complaint #{i}: {:?}", ctx.status(*id).await?);
    }

    println!("== 5. A week passes: deadlines and check-backs fire");
    ctx.clock.advance(Duration::days(7));
    let report = ctx.engine.jobs().tick().await?;
    println!(
        "   {} timers fired (silent sellers: removals expected, to be checked)",
        report.fired
    );
    ctx.clock.advance(Duration::days(10));
    let report = ctx.engine.jobs().tick().await?;
    println!(
        "   {} check-backs due for complaints the platform never answered",
        report.fired
    );
    let gone = ComplaintCommand::RecordRemoval {
        cause: RemovalCause::FoundByCheckBack {
            evidence: Some(evidence(EvidenceKind::Screenshot, "404 page")),
        },
    };
    ctx.run(ctx.me, Command::complaint(staged[0], gone)).await?;
    println!("   check-back: staged listing #0 is gone without notice -> recorded");

    let relisted =
        Listing::parse("https://www.alibaba.com/product-detail/TWS-Earbuds-NEW_1600200001.html")?;
    let follow = FollowUp {
        previous: ids[0],
        kind: FollowUpKind::Relisting,
    };
    let next = ctx
        .file(right, FilingId::new(), relisted, Some(follow))
        .await?;
    ctx.run(ctx.me, Command::complaint(next, ComplaintCommand::Submit))
        .await?;
    println!(
        "   the seller of #0 relisted: new linked complaint; #0 is now {:?}",
        ctx.status(ids[0]).await?
    );

    println!("== 6. Dashboard");
    let counts = ctx
        .engine
        .read()
        .complaint_counts(tenant, CountBy::Status)
        .await?;
    println!("   {:<18} {:>5}  platform shows", "status", "count");
    for count in counts.iter().filter(|c| c.group == GroupKey::All) {
        let shown = count
            .status
            .platform_status()
            .map(|s| ctx.engine.read().policy().status_names.name(s).to_owned())
            .unwrap_or_else(|| "-".to_owned());
        println!(
            "   {:<18} {:>5}  {}",
            count.status.to_string(),
            count.count,
            shown
        );
    }
    let total: u64 = counts.iter().map(|c| c.count).sum();
    println!("   {:<18} {:>5}", "total", total);

    let metrics = ctx
        .engine
        .read()
        .metrics(tenant, Some(ctx.campaign))
        .await?
        .overall;
    let percent = |rate: Option<f64>| rate.map_or("-".to_owned(), |r| format!("{:.0}%", 100.0 * r));
    let hours = |h: Option<u32>| h.map_or("-".to_owned(), |h| format!("{h} h"));
    println!("   campaign metrics (removal rate: of the complaints the platform decided)");
    for (measure, value) in [
        ("filed", metrics.filed.to_string()),
        ("in progress", metrics.in_progress.to_string()),
        ("removed", metrics.removed.to_string()),
        ("unable to process", metrics.unable_to_process.to_string()),
        ("counter-noticed", metrics.counter_noticed.to_string()),
        ("restored", metrics.restored.to_string()),
        ("relisted", metrics.relisted.to_string()),
        ("removal rate", percent(metrics.removal_rate)),
        ("median to removal", hours(metrics.median_hours_to_removal)),
        ("relisting rate", percent(metrics.relisting_rate)),
    ] {
        println!("   {measure:<18} {value:>5}");
    }
    Ok(())
}
