//! What a person sees when something is wrong: a message to act on, the documented exit
//! code (1 refused or not found, 2 usage or input, 3 database), no panic, no debug dump,
//! and nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::Desk;

/// No Rust debug output (`Foo { .. }`, `Err(..)`) in a message for people.
fn readable(stderr: &str) {
    assert!(stderr.starts_with("error: "), "{stderr}");
    for dump in ["{ ", "Err(", "Some(", "Os {"] {
        assert!(!stderr.contains(dump), "debug dump in: {stderr}");
    }
}

fn history_len(desk: &Desk, complaint: &str) -> usize {
    let csv = desk.ok(&["complaint", "history", complaint, "--format", "csv"]);
    csv.lines().count() - 1
}

#[test]
fn a_refused_command_says_why_exits_1_and_writes_nothing() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let url = "https://www.alibaba.com/product-detail/Earbuds_1600123456789.html";
    let complaint = desk.id(&Desk::file_args(&right, &["--draft", url]));
    let before = history_len(&desk, &complaint);
    let stderr = desk.fails(
        1,
        &[
            "complaint",
            "respond",
            &complaint,
            "--statement",
            "No licence",
        ],
    );
    readable(&stderr);
    assert!(stderr.contains("refused"), "{stderr}");
    assert_eq!(history_len(&desk, &complaint), before, "nothing written");

    // A reason that does not fit the right: refused before anything is filed.
    let mut filing = Desk::complaint_args("file", &right, "patent-infringing-product", "x");
    filing.push("https://www.alibaba.com/product-detail/Other_1600123456780.html");
    let stderr = desk.fails(1, &filing);
    readable(&stderr);
    assert!(stderr.contains("does not fit a trademark"), "{stderr}");
    let listed = desk.ok(&["complaint", "list", "-q"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
}

#[test]
fn bad_urls_are_all_reported_and_nothing_is_filed() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let mut filing = Desk::complaint_args("file", &right, "trademark-counterfeit", "x");
    filing.extend([
        "https://www.alibaba.com/product-detail/Good_1600123456789.html",
        "ftp://www.alibaba.com/x",
        "https://www.example.com/product/1.html",
    ]);
    let stderr = desk.fails(2, &filing);
    readable(&stderr);
    assert!(stderr.contains("2 URL(s) are not listings"), "{stderr}");
    assert!(desk.ok(&["complaint", "list", "-q"]).is_empty());
}

#[test]
fn an_unknown_id_is_not_found_with_exit_1() {
    let desk = Desk::new();
    desk.ok(&["init"]);
    let unknown = "0193a1f4-0000-7000-8000-000000000000";
    for args in [
        &["right", "submit", unknown][..],
        &["right", "show", unknown],
        &["complaint", "show", unknown],
        &["complaint", "history", unknown],
        &["complaint", "record", "accepted", unknown],
        &["dashboard", "--campaign", unknown],
    ] {
        let stderr = desk.fails(1, args);
        readable(&stderr);
        assert!(stderr.contains("not found"), "{args:?}: {stderr}");
    }
    let stderr = desk.fails(2, &["right", "show", "not-an-id"]);
    assert!(stderr.contains("not a valid right id"), "{stderr}");
}

#[test]
fn another_clients_data_is_not_found() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let stderr = desk.fails(1, &["--client", "Globex", "right", "show", &right]);
    assert!(stderr.contains("not found"), "{stderr}");
    // A client nothing is recorded for is a mistyped name, not an empty view.
    let stderr = desk.fails(1, &["--client", "Globex", "right", "list", "-q"]);
    assert!(stderr.contains("no client `Globex`"), "{stderr}");
    assert_eq!(desk.ok(&["right", "list", "-q"]).trim(), right);
}

#[test]
fn malformed_and_missing_files_are_input_errors() {
    let desk = Desk::new();
    desk.ok(&["init"]);
    desk.write("broken.toml", "kind = \"trademark\"\n[holder\nname = 1\n");
    let stderr = desk.fails(2, &["right", "register", "broken.toml"]);
    readable(&stderr);
    assert!(stderr.contains("broken.toml"), "names the file: {stderr}");
    assert!(stderr.contains("line 2"), "says where: {stderr}");

    desk.right_file(true);
    let text = std::fs::read_to_string(desk.path("acme-sound.toml")).unwrap();
    desk.write(
        "typo.toml",
        &text.replace("mark_type = \"combined\"", "mark_type = \"sparkly\""),
    );
    let stderr = desk.fails(2, &["right", "register", "typo.toml"]);
    assert!(
        stderr.contains("mark_type `sparkly`: expected one of word, figurative, combined"),
        "{stderr}"
    );
    desk.write(
        "unknown-field.toml",
        &text.replace("classes = [9]", "classes = [9]\nclases = [9]"),
    );
    let stderr = desk.fails(2, &["right", "register", "unknown-field.toml"]);
    assert!(stderr.contains("clases"), "{stderr}");

    let stderr = desk.fails(2, &["right", "register", "missing.toml"]);
    readable(&stderr);
    assert!(stderr.contains("missing.toml"), "{stderr}");
    std::fs::remove_file(desk.path("articles.pdf")).unwrap();
    let stderr = desk.fails(2, &["right", "register", "acme-sound.toml"]);
    assert!(
        stderr.contains("articles.pdf"),
        "the missing evidence file: {stderr}"
    );
    let mut import = Desk::complaint_args(
        "import",
        "0193a1f4-0000-7000-8000-000000000000",
        "trademark-counterfeit",
        "x",
    );
    import.push("nowhere.csv");
    let stderr = desk.fails(2, &import);
    assert!(stderr.contains("nowhere.csv"), "{stderr}");
    assert!(
        desk.ok(&["right", "list", "-q"]).is_empty(),
        "nothing registered"
    );
}

#[test]
fn the_database_must_exist_be_a_database_and_not_be_newer() {
    let desk = Desk::new();
    let stderr = desk.fails(2, &["right", "list"]);
    readable(&stderr);
    assert!(
        stderr.contains("aliprotect --db"),
        "says how to create it: {stderr}"
    );
    assert!(
        !desk.path("enforcement.db").exists(),
        "not created by a reading command"
    );

    std::fs::write(
        desk.path("enforcement.db"),
        "these are not the bytes of a database".repeat(100),
    )
    .unwrap();
    let stderr = desk.fails(2, &["right", "list"]);
    readable(&stderr);
    assert!(stderr.contains("not an SQLite database"), "{stderr}");

    std::fs::remove_file(desk.path("enforcement.db")).unwrap();
    desk.ok(&["init"]);
    let connection = rusqlite::Connection::open(desk.path("enforcement.db")).unwrap();
    connection.pragma_update(None, "user_version", 999).unwrap();
    drop(connection);
    let stderr = desk.fails(3, &["right", "list"]);
    readable(&stderr);
    assert!(stderr.contains("newer aliprotect"), "{stderr}");
}

#[test]
fn usage_errors_exit_2() {
    let desk = Desk::new();
    desk.ok(&["init"]);
    let id = "0193a1f4-0000-7000-8000-000000000000";
    desk.fails(2, &["right", "review", id]);
    desk.fails(2, &["right", "review", id, "--approve", "--reject", "no"]);
    desk.fails(2, &["complaint", "file", "--right", id]);
    desk.fails(2, &["dashboard", "--format", "xml"]);
    let stderr = desk.fails(2, &["complaint", "list", "--status", "sparkly"]);
    assert!(
        stderr.contains("in-progress"),
        "lists the statuses: {stderr}"
    );
    let stderr = desk.fails(
        2,
        &["right", "withdraw", id, "--reason", &"x".repeat(20_000)],
    );
    assert!(
        stderr.contains("more than the limit"),
        "oversize text: {stderr}"
    );
}

#[test]
fn a_rerun_with_the_same_idempotency_key_writes_nothing_more() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let file = |key: &str| {
        desk.ok(&Desk::file_args(
            &right,
            &[
                "--idempotency-key",
                key,
                "-q",
                "https://www.alibaba.com/product-detail/A_1600000000001.html",
                "https://www.alibaba.com/product-detail/B_1600000000002.html",
            ],
        ))
    };
    let first = file("intake-2026-03-02");
    let again = file("intake-2026-03-02");
    assert_eq!(first, again, "the same complaints, reported again");
    assert_eq!(first.lines().count(), 2);
    let all = desk.ok(&["complaint", "list", "-q"]);
    assert_eq!(all.lines().count(), 2, "nothing filed twice: {all}");
    for id in first.lines() {
        assert_eq!(history_len(&desk, id), 2, "filed and submitted once");
    }

    let record = |key: &str| {
        let id = first.lines().next().unwrap();
        desk.run(&[
            "complaint",
            "record",
            "accepted",
            id,
            "--idempotency-key",
            key,
        ])
    };
    assert!(record("accept-1").status.success());
    assert!(
        record("accept-1").status.success(),
        "a rerun is not refused"
    );
    assert_eq!(history_len(&desk, first.lines().next().unwrap()), 3);
    assert_eq!(
        record("accept-2").status.code(),
        Some(1),
        "a new key is a new command"
    );
}
