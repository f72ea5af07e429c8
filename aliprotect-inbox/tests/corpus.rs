//! Thirty-three platform-like emails (plain, quoted-printable, base64, HTML only, GBK and
//! GB2312 bodies, broken English, forwarded and replied to by a colleague, two about one
//! complaint, some about nothing known, one from a look-alike sender) read from a maildir: each lands where it should,
//! or with a person; reading them again applies nothing twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use aliprotect_core::complaint::ComplaintStatus;
use aliprotect_core::evidence::{EvidenceKind, EvidenceStore};
use aliprotect_core::right::{FixTarget, RightStatus};
use aliprotect_core::store::EventLog;
use aliprotect_evidence::DirectoryEvidence;
use aliprotect_inbox::{EmailId, EmailStatus, Inboxes, MailFiles};
use aliprotect_store_memory::MemoryStore;
use support::{Client, Lands, corpus, engine, maildir};

#[tokio::test]
async fn every_email_lands_where_it_should_once() {
    let engine = engine(MemoryStore::new());
    let client = Client::on(&engine).await;
    let holder = aliprotect_core::testkit::fixtures::holder_user_of(client.tenant);
    let emails = corpus(&client);
    assert!(emails.len() >= 30);
    let dir = tempfile::tempdir().unwrap();
    maildir(dir.path(), &emails);
    let inbox = MailFiles::open(dir.path()).unwrap();
    assert!(matches!(inbox, MailFiles::Maildir(_)));
    let kept = tempfile::tempdir().unwrap();
    let evidence = Arc::new(DirectoryEvidence::open(kept.path()).unwrap());
    let inboxes = Inboxes::new(&engine);

    let report = inboxes
        .read(client.tenant, holder, &inbox, evidence.as_ref(), |_| {})
        .await
        .unwrap();
    assert_eq!(report.read, emails.len());
    assert_eq!(report.seen_before, 0);

    let recorded: BTreeMap<String, aliprotect_inbox::Email> = inboxes
        .emails(client.tenant, None)
        .await
        .unwrap()
        .into_iter()
        .map(|email| {
            let name = email.received.source.rsplit('/').next().unwrap().to_owned();
            (name, email)
        })
        .collect();
    assert_eq!(recorded.len(), emails.len(), "every email recorded, once");
    for (name, bytes, lands) in &emails {
        let email = &recorded[name];
        let landed = match &email.status {
            EmailStatus::Applied { to } => Lands::Applied(*to),
            EmailStatus::AlreadyRecorded { to } => Lands::AlreadyRecorded(*to),
            EmailStatus::ForAPerson { .. } => Lands::WithAPerson,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(&landed, lands, "{name}: {:?}", email.status);
        // Kept as evidence, byte for byte.
        assert_eq!(
            evidence
                .get(&email.received.evidence)
                .await
                .unwrap()
                .as_deref(),
            Some(bytes.as_slice()),
            "{name}"
        );
    }
    let people: usize = emails
        .iter()
        .filter(|(_, _, l)| *l == Lands::WithAPerson)
        .count();
    assert_eq!(report.for_a_person.len(), people);

    // What the effects say, verbatim.
    let r1 = engine
        .read()
        .right(client.tenant, client.under_review)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r1.status, RightStatus::Rejected);
    let rejection = r1.rejections.last().unwrap();
    assert!(
        rejection
            .reason
            .as_str()
            .starts_with("The trademark certificate is not legible.")
    );
    let targets: Vec<_> = rejection
        .fixes
        .iter()
        .map(|fix| fix.target.clone())
        .collect();
    assert_eq!(
        targets,
        vec![
            FixTarget::Evidence(EvidenceKind::TrademarkCertificate),
            FixTarget::Evidence(EvidenceKind::ArticlesOfIncorporation)
        ]
    );
    let r3 = engine
        .read()
        .right(client.tenant, client.other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r3.status, RightStatus::Rejected);
    assert!(
        r3.rejections
            .last()
            .unwrap()
            .reason
            .as_str()
            .starts_with("商标注册证不清晰"),
        "{:?}",
        r3.rejections
    );

    let complaint = |n: usize| {
        let engine = &engine;
        let id = client.complaints[n - 1];
        async move {
            engine
                .read()
                .complaint(client.tenant, id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    for (n, reason) in [
        (1, "The product link provided is invalid."),
        (
            2,
            "The evidence doesn’t show the infringing mark = insufficient.",
        ),
        (5, "商品链接无效。"),
        (6, "证据不足。"),
        (15, "The seller’s licence was shown — complaint closed."),
    ] {
        let c = complaint(n).await;
        assert_eq!(
            c.status(),
            ComplaintStatus::UnableToProcess,
            "complaint {n}"
        );
        let history = engine
            .read()
            .history(
                client.tenant,
                aliprotect_core::store::StreamId::Complaint(c.id()),
            )
            .await
            .unwrap();
        let shown = format!("{history:?}");
        assert!(shown.contains(reason), "complaint {n}: {reason} in {shown}");
    }
    let c11 = complaint(11).await;
    assert_eq!(c11.status(), ComplaintStatus::CounterNoticed);
    assert_eq!(
        c11.counter_notices[0].statement.as_str(),
        "The product is our own design, not a copy."
    );
    assert_eq!(c11.counter_notices[0].evidence[0].kind, EvidenceKind::Email);
    assert_eq!(
        complaint(16).await.counter_notices[0].statement.as_str(),
        "该商品为正品，有授权书。"
    );
    assert_eq!(
        complaint(10).await.counter_notices.len(),
        1,
        "the forward applied nothing"
    );
    assert_eq!(
        complaint(17).await.status(),
        ComplaintStatus::Draft,
        "refused, with a person"
    );

    // Read again: nothing applied twice.
    let before = versions(engine.store(), &client).await;
    let again = inboxes
        .read(client.tenant, holder, &inbox, evidence.as_ref(), |_| {})
        .await
        .unwrap();
    assert_eq!(again.seen_before, emails.len(), "{again:?}");
    assert_eq!(
        (
            again.applied,
            again.already_recorded,
            again.for_a_person.len()
        ),
        (0, 0, 0)
    );
    assert_eq!(versions(engine.store(), &client).await, before);

    // A person sets one aside.
    let (id, _) = report.for_a_person[0];
    let dismissed = inboxes
        .dismiss(
            client.tenant,
            holder,
            id,
            aliprotect_core::testkit::fixtures::text("A newsletter"),
        )
        .await
        .unwrap();
    assert!(matches!(dismissed.status, EmailStatus::Dismissed { .. }));
    let unknown = EmailId::of(client.tenant, "nobody@nowhere");
    assert!(
        inboxes
            .dismiss(
                client.tenant,
                holder,
                unknown,
                aliprotect_core::testkit::fixtures::text("x")
            )
            .await
            .is_err()
    );
}

/// The versions of the client's complaints and rights under review.
async fn versions(store: &MemoryStore, client: &Client) -> Vec<u64> {
    let streams = client
        .complaints
        .iter()
        .map(|id| aliprotect_core::store::StreamId::Complaint(*id))
        .chain([client.under_review, client.other].map(aliprotect_core::store::StreamId::Right));
    let mut versions = Vec::new();
    for stream in streams {
        versions.push(
            store
                .load(client.tenant, stream)
                .await
                .unwrap()
                .unwrap()
                .version,
        );
    }
    versions
}
