//! The same corpus from every kind of inbox: an IMAP server the test starts itself
//! (Dovecot, throwaway), an mbox file and a directory of `.eml` files, on SQLite: every
//! email lands as it does from a maildir, and a second read applies nothing.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod support;

use aliprotect_evidence::DirectoryEvidence;
use aliprotect_inbox::test_server::TestImapServer;
use aliprotect_inbox::{EmailStatus, ImapInbox, Inbox, InboxError, Inboxes, MailFiles};
use aliprotect_store_sqlite::SqliteStore;
use support::{Client, Lands, corpus, engine};

/// Reads `inbox` twice into a fresh SQLite store: each email where the corpus says, once.
async fn lands_as_the_corpus_says(
    make: impl FnOnce(&[(String, Vec<u8>, Lands)]) -> Box<dyn Inbox>,
) {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(SqliteStore::open(dir.path().join("store.db")).unwrap());
    let client = Client::on(&engine).await;
    let holder = aliprotect_core::testkit::fixtures::holder_user_of(client.tenant);
    let emails = corpus(&client);
    let inbox = make(&emails);
    let evidence = DirectoryEvidence::open(dir.path().join("evidence")).unwrap();
    let inboxes = Inboxes::new(&engine);
    let first = inboxes
        .read(client.tenant, holder, inbox.as_ref(), &evidence, |_| {})
        .await
        .unwrap();
    assert_eq!(first.read, emails.len());
    let recorded = inboxes.emails(client.tenant, None).await.unwrap();
    assert_eq!(recorded.len(), emails.len());
    // Known by Message-ID (an mbox or an IMAP server may not keep every byte as written);
    // of the two without one, the corpus's e25 has a subject, the garbage e26 none.
    let expected = |email: &aliprotect_inbox::Email| {
        let id = &email.received.message_id;
        let name = match id.split_once('.') {
            Some((name, _)) if id.contains('@') => name.to_owned(),
            _ if email.received.subject.is_some() => "e25".to_owned(),
            _ => "e26".to_owned(),
        };
        let lands = emails
            .iter()
            .find(|(known, _, _)| *known == name)
            .map(|(_, _, lands)| lands.clone())
            .unwrap_or_else(|| panic!("{id} is not in the corpus"));
        (name, lands)
    };
    for email in &recorded {
        let (name, lands) = expected(email);
        let landed = match &email.status {
            EmailStatus::Applied { to } => Lands::Applied(*to),
            EmailStatus::AlreadyRecorded { to } => Lands::AlreadyRecorded(*to),
            EmailStatus::ForAPerson { .. } => Lands::WithAPerson,
            other => panic!("{name}: {other:?}"),
        };
        assert_eq!(landed, lands, "{name}: {:?}", email.status);
    }
    let again = inboxes
        .read(client.tenant, holder, inbox.as_ref(), &evidence, |_| {})
        .await
        .unwrap();
    assert_eq!(again.seen_before, emails.len(), "{again:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_an_imap_server() {
    let Some(server) = TestImapServer::start_unless_missing().unwrap() else {
        eprintln!("skipped: no Dovecot on this machine (apt-get install dovecot-imapd)");
        return;
    };
    lands_as_the_corpus_says(|emails| {
        for (name, bytes, _) in emails {
            server.deliver(name, bytes).unwrap();
        }
        Box::new(ImapInbox::from_url(&server.url(), server.password()).unwrap())
    })
    .await;
}

#[tokio::test]
async fn a_wrong_imap_password_is_refused_with_the_servers_words() {
    let Some(server) = TestImapServer::start_unless_missing().unwrap() else {
        eprintln!("skipped: no Dovecot on this machine (apt-get install dovecot-imapd)");
        return;
    };
    let inbox = ImapInbox::from_url(&server.url(), "wrong").unwrap();
    let error = inbox.emails().await.unwrap_err();
    assert!(
        matches!(error, InboxError::Server(ref m) if m.contains("signing in as firm")),
        "{error}"
    );
    assert!(ImapInbox::from_url("imap://firm:pw@127.0.0.1/INBOX", "x").is_err());
    assert!(ImapInbox::from_url("pop3://firm@127.0.0.1/INBOX", "x").is_err());
    assert!(ImapInbox::from_url("imap://127.0.0.1/INBOX", "x").is_err());
}

#[tokio::test]
async fn from_an_mbox_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("platform.mbox");
    lands_as_the_corpus_says(|emails| {
        let mut mbox = Vec::new();
        for (_, bytes, _) in emails {
            mbox.extend_from_slice(
                b"From ipp-noreply@service.alibaba.com Wed Dec  2 09:00:00 2026\n",
            );
            // mboxrd: a body line starting with "From " is escaped.
            for line in bytes.split_inclusive(|b| *b == b'\n') {
                if line.starts_with(b"From ") {
                    mbox.push(b'>');
                }
                mbox.extend_from_slice(line);
            }
            mbox.extend_from_slice(b"\n");
        }
        std::fs::write(&path, mbox).unwrap();
        let files = MailFiles::open(&path).unwrap();
        assert!(matches!(files, MailFiles::Mbox(_)));
        Box::new(files)
    })
    .await;
}

#[tokio::test]
async fn from_a_directory_of_eml_files() {
    let dir = tempfile::tempdir().unwrap();
    lands_as_the_corpus_says(|emails| {
        // In two directories, read in the corpus's order (by path): which of two copies of
        // one notice is applied, and which found recorded, follows the order.
        for (n, (name, bytes, _)) in emails.iter().enumerate() {
            let sub = dir
                .path()
                .join(if n < emails.len() / 2 { "a" } else { "b" });
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(sub.join(format!("{name}.eml")), bytes).unwrap();
        }
        std::fs::write(dir.path().join("notes.txt"), "not an email").unwrap();
        let files = MailFiles::open(dir.path()).unwrap();
        assert!(matches!(files, MailFiles::EmlDirectory(_)));
        Box::new(files)
    })
    .await;
}

#[tokio::test]
async fn an_email_too_large_to_read_is_reported_and_the_others_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(SqliteStore::open(dir.path().join("store.db")).unwrap());
    let client = Client::on(&engine).await;
    let holder = aliprotect_core::testkit::fixtures::holder_user_of(client.tenant);
    let emails = corpus(&client);
    let mail = dir.path().join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    let (name, bytes, _) = &emails[5];
    std::fs::write(mail.join(format!("{name}.eml")), bytes).unwrap();
    // Sparse: 26 MiB on paper, nothing on disk.
    let huge = std::fs::File::create(mail.join("huge.eml")).unwrap();
    huge.set_len(aliprotect_inbox::MAX_EMAIL_BYTES + 1).unwrap();
    let evidence = DirectoryEvidence::open(dir.path().join("evidence")).unwrap();
    let report = Inboxes::new(&engine)
        .read(
            client.tenant,
            holder,
            &MailFiles::open(&mail).unwrap(),
            &evidence,
            |_| {},
        )
        .await
        .unwrap();
    assert_eq!(report.applied, 1, "{report:?}");
    assert_eq!(report.too_large.len(), 1);
    assert!(report.too_large[0].0.ends_with("huge.eml"));
    assert_eq!(report.too_large[0].1, aliprotect_inbox::MAX_EMAIL_BYTES + 1);
}
