//! `aliprotect inbox ...` as a paralegal runs it: the platform's emails read from a maildir
//! and from an IMAP server, applied once, the rest listed for a person and set aside.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use aliprotect_inbox::test_server::TestImapServer;
use common::{Desk, json_rows, url};

fn unable(message_id: &str, listing: &str) -> String {
    format!(
        "Message-ID: <{message_id}>\r\nFrom: IPP <ipp@service.alibaba.com>\r\nSubject: Complaint result\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nYour complaint against {listing} is Unable to Process.\r\n\
         Reason: The link provided is invalid.\r\n"
    )
}

fn newsletter(message_id: &str) -> String {
    format!(
        "Message-ID: <{message_id}>\r\nSubject: Monthly summary\r\n\r\nThank you for using IPP <b>.\r\n"
    )
}

/// A desk with two complaints submitted: on `url(1)` and `url(2)`.
fn desk_with_complaints() -> Desk {
    let desk = Desk::new();
    let right = desk.approved_right();
    let (one, two) = (url(1), url(2));
    desk.ok(&Desk::file_args(&right, &[&one, &two]));
    desk
}

fn status_of(desk: &Desk, listing: &str) -> String {
    let id = desk.complaint_on(listing);
    let shown = json_rows(&desk.ok(&["complaint", "show", &id, "--format", "json"]));
    shown.iter().find(|row| row["field"] == "status").unwrap()["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_maildir_read_twice_applies_once_and_leaves_the_rest_for_a_person() {
    let desk = desk_with_complaints();
    let maildir = desk.path("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    std::fs::write(maildir.join("new/1"), unable("u1@ipp", &url(1))).unwrap();
    std::fs::write(maildir.join("new/2"), newsletter("n1@ipp")).unwrap();
    let maildir = maildir.to_str().unwrap();

    let report = json_rows(&desk.ok(&["inbox", "read", "--maildir", maildir, "--format", "json"]));
    let count = |report: &[serde_json::Value], outcome: &str| {
        report.iter().find(|row| row["outcome"] == outcome).unwrap()["emails"].clone()
    };
    assert_eq!(count(&report, "applied"), 1, "{report:?}");
    assert_eq!(count(&report, "left for a person"), 1, "{report:?}");
    assert_eq!(status_of(&desk, &url(1)), "unable to process");
    assert_eq!(status_of(&desk, &url(2)), "submitted");

    let again = json_rows(&desk.ok(&["inbox", "read", "--maildir", maildir, "--format", "json"]));
    assert_eq!(count(&again, "read before"), 2, "{again:?}");
    assert_eq!(count(&again, "applied"), 0);

    let waiting = json_rows(&desk.ok(&["inbox", "list", "--format", "json"]));
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["subject"], "Monthly summary");
    let id = waiting[0]["id"].as_str().unwrap().to_owned();
    desk.ok(&["inbox", "dismiss", &id, "--reason", "A newsletter"]);
    assert!(json_rows(&desk.ok(&["inbox", "list", "--format", "json"])).is_empty());
    let err = desk.fails(1, &["inbox", "dismiss", &id, "--reason", "again"]);
    assert!(err.contains("only an email left for a person"), "{err}");

    let err = desk.fails(
        2,
        &[
            "inbox",
            "read",
            "--maildir",
            desk.path("nowhere").to_str().unwrap(),
        ],
    );
    assert!(err.contains("nowhere"), "{err}");
    let err = desk.fails(
        2,
        &["inbox", "read", "--imap", "imaps://ip@mail.example/INBOX"],
    );
    assert!(err.contains("ALIPROTECT_IMAP_PASSWORD"), "{err}");
    let err = desk.fails(2, &["inbox", "list", "--status", "maybe"]);
    assert!(err.contains("for-a-person"), "{err}");
}

#[test]
fn an_imap_mailbox_is_read_like_a_maildir() {
    let Some(server) = TestImapServer::start_unless_missing().unwrap() else {
        eprintln!("skipped: no Dovecot on this machine (apt-get install dovecot-imapd)");
        return;
    };
    let desk = desk_with_complaints();
    server
        .deliver("1", unable("u2@ipp", &url(2)).as_bytes())
        .unwrap();
    server
        .deliver("2", newsletter("n2@ipp").as_bytes())
        .unwrap();
    let read = |password: &str| {
        desk.command(&["inbox", "read", "--imap", &server.url(), "--format", "json"])
            .env("ALIPROTECT_IMAP_PASSWORD", password)
            .output()
            .unwrap()
    };
    let wrong = read("wrong");
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("signing in"));
    let output = read(server.password());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(status_of(&desk, &url(2)), "unable to process");
    assert_eq!(status_of(&desk, &url(1)), "submitted");
    let all = json_rows(&desk.ok(&["inbox", "list", "--status", "all", "--format", "json"]));
    assert_eq!(all.len(), 2);
    assert!(
        all.iter()
            .all(|email| email["source"].as_str().unwrap().starts_with("imap://"))
    );
}
