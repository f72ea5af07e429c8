//! Campaign metrics equal what the test computes by hand from outcomes it controls, and the
//! filer hears when its own accuracy is at risk.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aliprotect::complaint::{ComplaintCommand, RemovalCause};
use aliprotect::engine::{AccuracyReview, Command};
use aliprotect::ids::{CampaignId, ComplaintId};
use aliprotect::notify::NotificationBody;
use aliprotect::party::Actor;
use aliprotect::store::StreamId;
use chrono::Duration;
use common::Harness;

/// The daily review of the filer's accuracy, which may warn the filer.
async fn daily_review(h: &Harness) -> AccuracyReview {
    h.engine
        .jobs()
        .review_filer_accuracy(h.tenant)
        .await
        .unwrap()
}

#[tokio::test]
async fn metrics_of_a_campaign_match_its_outcomes() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let campaign = CampaignId::new();
    let mut ids = Vec::new();
    for n in 0..10u64 {
        let id = h
            .filed_with(right, 800 + n, |filing| filing.campaign = Some(campaign))
            .await;
        h.accept(id).await;
        ids.push(id);
    }
    // Outside the campaign: must not count.
    h.filed(right, 999).await;

    let remove = ComplaintCommand::RecordRemoval {
        cause: RemovalCause::PlatformReported,
    };
    // #0..#3 removed after 1, 2, 3 and 4 days (one day between each).
    for id in &ids[0..4] {
        h.clock.advance(Duration::days(1));
        h.platform(Command::complaint(*id, remove.clone())).await;
    }
    // #0 relisted.
    h.run(
        Actor::System,
        Command::complaint(
            ids[0],
            ComplaintCommand::MarkRelisted {
                successor: ComplaintId::new(),
            },
        ),
    )
    .await
    .unwrap();
    // #4, #5 unable to process.
    for id in &ids[4..6] {
        h.unable_to_process(*id, "unclear").await;
    }
    // #6 counter-noticed and restored; #7 counter-noticed and still open.
    for id in &ids[6..8] {
        h.counter_notice(*id).await;
    }
    h.accept_counter_notice(ids[6]).await;
    // #8, #9 still in progress.

    let breakdown = h
        .engine
        .read()
        .metrics(h.tenant, Some(campaign))
        .await
        .unwrap();
    let m = &breakdown.overall;
    assert_eq!(m.filed, 10);
    assert_eq!((m.removed, m.relisted), (4, 1));
    assert_eq!(m.unable_to_process, 2);
    assert_eq!((m.counter_noticed, m.restored), (2, 1));
    assert_eq!(m.in_progress, 3);
    assert_eq!(m.removal_rate, Some(4.0 / 7.0));
    assert_eq!(m.relisting_rate, Some(0.25));
    let day = 24;
    assert_eq!(m.median_hours_to_removal, Some(2 * day));
    assert_eq!(m.p90_hours_to_removal, Some(4 * day));
    assert_eq!(breakdown.by_right.len(), 1);
    assert_eq!(breakdown.by_week.values().map(|w| w.filed).sum::<u64>(), 10);

    let all = h.engine.read().metrics(h.tenant, None).await.unwrap();
    assert_eq!(
        all.overall.filed, 11,
        "the tenant-wide figures include the other complaint"
    );

    let csv = breakdown.to_csv();
    assert!(csv.starts_with("group,key,filed,"));
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("overall,\"\",10,3,4,2,2,1,1,0.5714,48,96,0.2500"),
        "{csv}"
    );
    let json: serde_json::Value = serde_json::from_str(&breakdown.to_json().unwrap()).unwrap();
    assert_eq!(json["overall"]["removed"], 4);
}

#[tokio::test]
async fn filer_accuracy_warns_before_the_trusted_filer_standards_are_missed() {
    use aliprotect::accuracy::Standing;
    use aliprotect::complaint::ComplaintReason;
    let h = Harness::new();
    let right = h.approved_right().await;
    // Filed four months ago: outside the 90-day window, must not count.
    let old = h.filed(right, 1).await;
    h.accept(old).await;
    h.unable_to_process(old, "old").await;
    h.clock.advance(Duration::days(120));

    // 20 complaints: 18 taken down, 1 unable to process, 1 lost to a counter-notice.
    let mut ids = Vec::new();
    for n in 0..20u64 {
        let id = h.filed(right, 100 + n).await;
        h.accept(id).await;
        ids.push(id);
    }
    for id in &ids[..18] {
        h.removed(*id).await;
    }
    h.unable_to_process(ids[18], "no proof").await;
    h.counter_notice(ids[19]).await;
    h.accept_counter_notice(ids[19]).await;

    let accuracy = h.engine.read().filer_accuracy(h.tenant).await.unwrap();
    assert_eq!(
        accuracy.overall.decided, 20,
        "the old complaint is outside the window"
    );
    assert_eq!(accuracy.overall.takedown_rate, Some(0.9));
    assert_eq!(accuracy.overall.counter_notice_rate, Some(0.05));
    assert_eq!(accuracy.overall.counter_notice_loss_rate, Some(0.05));
    assert_eq!(accuracy.standing, Standing::AtRisk, "at the limits: warn");
    assert_eq!(
        accuracy
            .standing_by_reason
            .get(&ComplaintReason::TrademarkCounterfeit),
        Some(&Standing::AtRisk)
    );

    // The daily review warns, once a day under the same id, and a failed delivery is an error.
    let review = daily_review(&h).await;
    let warning = review.warning.expect("at risk: warned");
    assert_eq!(warning.subject, StreamId::Filer(h.tenant));
    assert_eq!(
        warning.body,
        NotificationBody::FilerAccuracyWarning {
            standing: Standing::AtRisk,
            takedown_per_mille: Some(900),
            successful_counter_notice_per_mille: Some(50),
            reasons: vec![ComplaintReason::TrademarkCounterfeit],
        }
    );
    // The warning goes through the outbox like every notification: a second review the
    // same day queues nothing more, and a failed delivery is retried by the dispatcher.
    daily_review(&h).await;
    h.notifier.fail_next(1);
    let first = h.engine.jobs().dispatch().await.unwrap();
    assert_eq!(first.failed, 1, "the receiver was down");
    h.clock.advance(Duration::hours(2));
    h.engine.jobs().dispatch().await.unwrap();
    let warnings: Vec<_> = h
        .notifier
        .delivered()
        .iter()
        .filter(|(_, n)| n.body.kind() == "filer_accuracy_warning")
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(warnings.len(), 1, "queued once for the day, delivered once");
    assert_eq!(warnings[0].stream, StreamId::Filer(h.tenant));

    // One more refusal and the filer is below the takedown standard.
    let more = h.filed(right, 500).await;
    h.accept(more).await;
    h.unable_to_process(more, "no proof").await;
    let accuracy = h.engine.read().filer_accuracy(h.tenant).await.unwrap();
    assert_eq!(accuracy.standing, Standing::Below);
    h.clock.advance(Duration::days(1));
    let review = daily_review(&h).await;
    assert!(matches!(
        review.warning.map(|w| w.body),
        Some(NotificationBody::FilerAccuracyWarning {
            standing: Standing::Below,
            ..
        })
    ));
}

#[tokio::test]
async fn a_filer_in_good_standing_is_not_warned() {
    let h = Harness::new();
    let right = h.approved_right().await;
    let review = daily_review(&h).await;
    assert_eq!(
        review.accuracy.standing,
        aliprotect::accuracy::Standing::NotApplicable
    );
    assert!(review.warning.is_none(), "nothing decided yet");
    for n in 0..10 {
        let id = h.filed(right, n).await;
        h.accept(id).await;
        h.removed(id).await;
    }
    let review = daily_review(&h).await;
    assert_eq!(
        review.accuracy.standing,
        aliprotect::accuracy::Standing::Good
    );
    assert!(review.warning.is_none());
    assert!(
        !h.notifier
            .bodies()
            .iter()
            .any(|b| b.kind() == "filer_accuracy_warning")
    );
}
