//! A filer's record: the tenant's own stream, written only by the engine. Racing daily
//! reviews warn once a day, the warning reaches the outbox with the commit that records it,
//! and no tenant writes another's record.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

use chrono::Duration;

use super::sharing::{engine, surroundings};
use crate::accuracy::Standing;
use crate::clock::Clock;
use crate::engine::{Command, EngineError, Request};
use crate::filer::{AccuracyWarning, FilerCommand};
use crate::ids::TenantId;
use crate::notify::NotificationBody;
use crate::party::Actor;
use crate::store::{Store, StreamId};

fn warn(tenant: TenantId, filer: TenantId) -> Request {
    let warning = AccuracyWarning {
        standing: Standing::AtRisk,
        takedown_per_mille: Some(612),
        successful_counter_notice_per_mille: Some(41),
        reasons: Vec::new(),
    };
    Request::new(
        tenant,
        Actor::System,
        Command::Filer {
            command: FilerCommand::Warn {
                tenant: filer,
                warning,
            },
        },
    )
}

/// Six engines' reviews racing on one day record one warning and queue one message about
/// the filer; the next day records a second. A request naming another tenant's record is
/// refused and writes nothing.
pub async fn filer_warned_once_a_day<S: Store>(store: S) {
    let (store, clock, notifier) = surroundings(store);
    let engine = engine(&store, &clock, &notifier);
    let tenant = TenantId::new();
    let stream = StreamId::Filer(tenant);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let engine = engine.clone();
        tasks.spawn(async move { engine.execute(warn(tenant, tenant)).await });
    }
    let (mut recorded, mut refused) = (0, 0);
    while let Some(joined) = tasks.join_next().await {
        match joined.expect("task") {
            Ok(receipt) => {
                assert_eq!((receipt.stream, receipt.version), (stream, 1));
                recorded += 1;
            }
            Err(EngineError::FilerRefused(_)) => refused += 1,
            Err(other) => panic!("a racing review must be recorded or refused: {other}"),
        }
    }
    assert_eq!((recorded, refused), (1, 5), "one warning a day");

    let other = TenantId::new();
    assert!(matches!(
        engine.execute(warn(other, tenant)).await,
        Err(EngineError::InvalidCommand(_))
    ));
    assert_eq!(
        engine.read().history(other, stream).await.expect("history"),
        vec![]
    );

    engine.jobs().dispatch().await.expect("dispatch");
    let warnings: Vec<_> = notifier
        .delivered()
        .into_iter()
        .filter(|(_, n)| n.subject == stream)
        .collect();
    assert_eq!(warnings.len(), 1, "one message with the recording commit");
    assert!(matches!(
        warnings[0].1.body,
        NotificationBody::FilerAccuracyWarning {
            standing: Standing::AtRisk,
            takedown_per_mille: Some(612),
            ..
        }
    ));

    clock.advance(Duration::days(1));
    let receipt = engine
        .execute(warn(tenant, tenant))
        .await
        .expect("the next day's warning");
    assert_eq!(receipt.version, 2);
    let record = store
        .load(tenant, stream)
        .await
        .expect("load")
        .and_then(|loaded| loaded.snapshot.into_filer())
        .expect("the filer's record");
    assert_eq!((record.tenant, record.warnings), (tenant, 2));
    assert_eq!(record.last_warned_at, clock.now());
}
