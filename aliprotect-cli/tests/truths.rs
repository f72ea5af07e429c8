//! The command line says the truth: each test is one thing a user saw go wrong (issue 19),
//! done again the way they did it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::{Output, Stdio};

use common::{Desk, json_rows, url};
use serde_json::Value;

fn count(desk: &Desk) -> usize {
    desk.ok(&["complaint", "list", "-q", "--limit", "100000"])
        .lines()
        .count()
}

/// The `rows` of `outcome` in an import summary printed as CSV.
fn summary_rows(summary: &str, outcome: &str) -> usize {
    summary
        .lines()
        .find_map(|line| line.strip_prefix(&format!("{outcome},")))
        .unwrap_or_else(|| panic!("no `{outcome}` in {summary}"))
        .parse()
        .unwrap()
}

/// Changes the database's rules to the dmca-style policy, with a reason.
fn move_to_dmca_style(desk: &Desk) {
    desk.ok(&[
        "policy",
        "change",
        "--to",
        "dmca-style",
        "--reason",
        "The client's listings moved to a US marketplace",
    ]);
}

fn import_args<'a>(right: &'a str, file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = Desk::import_args(right, &["--format", "csv", file]);
    args.extend_from_slice(extra);
    args
}

/// Starts `processes` copies of the binary with `args` together, waits for them all and
/// checks that each succeeded: their outputs.
fn all_at_once(desk: &Desk, processes: usize, args: &[&str]) -> Vec<Output> {
    let runs: Vec<_> = (0..processes)
        .map(|_| {
            desk.process(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    runs.into_iter()
        .map(|run| {
            let output = run.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "{args:?}: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            output
        })
        .collect()
}

#[test]
fn four_imports_of_one_file_at_once_file_each_listing_once() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let mut csv = String::from("url,title,seller\n");
    for product in 0..2_000u64 {
        csv.push_str(&format!(
            "{},Earbuds,Shenzhen {}\n",
            url(1_600_500_000 + product),
            product % 7
        ));
    }
    desk.write("found.csv", &csv);
    let (mut filed, mut duplicates) = (0, 0);
    for output in all_at_once(&desk, 4, &import_args(&right, "found.csv", &[])) {
        let stdout = String::from_utf8(output.stdout).unwrap();
        filed += summary_rows(&stdout, "filed");
        duplicates += summary_rows(&stdout, "duplicates");
    }
    assert_eq!(count(&desk), 2_000, "one complaint per listing");
    assert_eq!((filed, duplicates), (2_000, 6_000));
}

#[test]
fn four_inits_at_once_all_succeed_and_record_the_policy_once() {
    let desk = Desk::new();
    all_at_once(&desk, 4, &["init"]);
    let shown = json_rows(&desk.ok(&["policy", "show", "--format", "json"]));
    let field =
        |name: &str| shown.iter().find(|row| row["field"] == name).unwrap()["value"].clone();
    assert_eq!(field("name"), "alibaba-ipp");
    assert_eq!(field("revision"), 1, "recorded once");
}

#[test]
fn an_idempotency_key_belongs_to_one_request() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let a = url(1_600_600_001);
    let b = url(1_600_600_002);
    let first = desk.id(&Desk::file_args(
        &right,
        &["--idempotency-key", "batch1", &a],
    ));
    let stderr = desk.fails(
        2,
        &Desk::file_args(&right, &["--idempotency-key", "batch1", &b]),
    );
    assert!(
        stderr.contains("`batch1` was already used for a different command"),
        "{stderr}"
    );
    assert_eq!(
        count(&desk),
        1,
        "the second URL is not silently dropped as done"
    );

    desk.ok(&[
        "complaint",
        "record",
        "accepted",
        &first,
        "--idempotency-key",
        "k2",
    ]);
    let stderr = desk.fails(
        2,
        &[
            "complaint",
            "record",
            "removed",
            &first,
            "--idempotency-key",
            "k2",
        ],
    );
    assert!(stderr.contains("`k2`"), "{stderr}");
    let shown = desk.ok(&["complaint", "show", &first]);
    assert!(shown.contains("| in progress"), "nothing recorded: {shown}");

    // On many ids, the key misused for one of them decides the exit code: 2, not 1.
    let other = desk.id(&Desk::file_args(&right, &[&url(1_600_600_004)]));
    desk.ok(&["complaint", "record", "accepted", &other]);
    let stderr = desk.fails(
        2,
        &[
            "complaint",
            "record",
            "unable",
            &first,
            &other,
            "--reason",
            "Invalid link.",
            "--idempotency-key",
            "k2",
        ],
    );
    assert!(
        stderr.contains("1 of 2 complaints not recorded"),
        "{stderr}"
    );

    // A rerun of the same request with its key is answered, not refused: follow-ups too.
    desk.ok(&[
        "complaint",
        "record",
        "removed",
        &first,
        "--idempotency-key",
        "k3",
    ]);
    let relisting = url(1_600_600_003);
    let relisted = [
        "complaint",
        "relisted",
        &first,
        &relisting,
        "--idempotency-key",
        "r1",
    ];
    let once = desk.ok(&relisted);
    assert_eq!(desk.ok(&relisted), once, "the same answer again");
    assert_eq!(count(&desk), 3, "one relisting filed");
}

#[test]
fn the_rules_stay_with_the_data_and_other_files_are_left_alone() {
    let desk = Desk::new();
    let right = desk.approved_right();
    desk.ok(&Desk::file_args(&right, &[&url(1_600_700_001)]));
    let stderr = desk.fails(1, &["init", "--policy", "dmca-style"]);
    assert!(
        stderr.contains("policy change"),
        "says how to change it: {stderr}"
    );
    assert!(desk.ok(&["policy", "show"]).contains("alibaba-ipp"));

    move_to_dmca_style(&desk);
    let shown = desk.ok(&["policy", "show"]);
    assert!(
        shown.contains("dmca-style") && shown.contains("moved to a US marketplace"),
        "the change is recorded with its reason: {shown}"
    );
    desk.ok(&["tick"]);

    // Another program's SQLite file: refused, not a byte changed.
    let foreign = desk.path("notes.db");
    let connection = rusqlite::Connection::open(&foreign).unwrap();
    connection
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(connection);
    let before = std::fs::read(&foreign).unwrap();
    for args in [&["init"][..], &["complaint", "list"][..]] {
        let mut args = args.to_vec();
        args.extend(["--db", "notes.db"]);
        let stderr = desk.fails(2, &args);
        assert!(stderr.contains("another program"), "{stderr}");
        assert!(
            std::fs::read(&foreign).unwrap() == before,
            "{args:?} changed the file"
        );
    }
}

#[test]
fn seller_text_reaches_neither_a_terminal_nor_a_spreadsheet_as_commands() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let complaint = desk.id(&Desk::file_args(&right, &[&url(1_600_800_001)]));
    let statement = "=HYPERLINK(\"http://evil.example\")\u{1b}]0;pwned\u{7}\u{1b}[2J";
    desk.contest(&complaint, statement, &[]);
    let table = desk.ok(&["complaint", "history", &complaint]);
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    assert!(table.contains("\\u{1b}]0;pwned"), "shown, escaped: {table}");
    let csv = desk.ok(&["complaint", "history", &complaint, "--format", "csv"]);
    assert!(!csv.contains('\u{1b}'), "{csv:?}");
    assert!(csv.contains("\"'=HYPERLINK("), "a formula is quoted: {csv}");
    let json = desk.ok(&["complaint", "history", &complaint, "--format", "json"]);
    let rows: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(rows[3]["statement"], statement, "JSON keeps it verbatim");
}

#[test]
fn help_hides_secrets_and_shows_examples() {
    let desk = Desk::new();
    let secret = "postgresql://aliprotect:s3cret-passw0rd@db.internal/aliprotect";
    for args in [&["--help"][..], &["complaint", "list", "--help"][..]] {
        let output = desk
            .command(args)
            .env("ALIPROTECT_DB", secret)
            .output()
            .unwrap();
        let help = String::from_utf8(output.stdout).unwrap();
        assert!(help.contains("ALIPROTECT_DB"), "{help}");
        assert!(
            !help.contains("s3cret"),
            "{args:?} shows the password: {help}"
        );
    }
    for group in ["right", "complaint"] {
        let help = desk.ok(&[group, "--help"]);
        assert!(help.contains("Examples:"), "{group}: {help}");
    }
    let help = desk.ok(&["complaint", "record", "--help"]);
    assert!(help.contains("Examples:"), "{help}");
    let help = desk.ok(&["notify", "--help"]);
    assert!(
        help.contains("[[webhook]]") && help.contains("[[email]]"),
        "{help}"
    );
}

#[test]
fn an_unknown_client_is_an_error_not_an_empty_view() {
    let desk = Desk::new();
    desk.approved_right();
    for args in [
        &["complaint", "list"][..],
        &["dashboard"][..],
        &["due"][..],
        &["right", "list"][..],
    ] {
        let mut args = args.to_vec();
        args.extend(["--client", "acme-audoi"]);
        let stderr = desk.fails(1, &args);
        assert!(
            stderr.contains("no client `acme-audoi`"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_probe_without_a_network_exits_3_with_the_reason_and_no_log_lines() {
    let mut desk = Desk::new();
    let right = desk.approved_right();
    let complaint = desk.id(&Desk::file_args(&right, &[&url(1_600_900_001)]));
    desk.ok(&["complaint", "record", "accepted", &complaint]);
    desk.now = "2026-03-20T09:00:00Z".to_owned();
    let stderr = desk.fails(3, &Desk::probe_args("http://127.0.0.1:1", &[]));
    assert!(stderr.contains("could be looked at"), "{stderr}");
    assert!(stderr.contains("127.0.0.1:1"), "the reason: {stderr}");
    for line in stderr.lines() {
        assert!(
            line.starts_with("error:") || line.starts_with(' ') || line.is_empty(),
            "not a log line: {line}"
        );
    }
    let shown = desk.ok(&["complaint", "show", &complaint]);
    assert!(!shown.contains("| listing removed"), "{shown}");
}

#[test]
fn a_probe_interval_that_is_no_length_of_time_is_a_usage_error() {
    let desk = Desk::new();
    for interval in ["nan", "inf", "3601", "soon"] {
        let mut args = Desk::probe_args("http://127.0.0.1:1", &[]);
        let at = args.iter().position(|a| *a == "0").unwrap();
        args[at] = interval;
        let stderr = desk.fails(2, &args);
        assert!(stderr.contains("--probe-interval"), "{interval}: {stderr}");
    }
}

#[test]
fn imports_read_the_lists_people_have_and_never_merge_rows() {
    let desk = Desk::new();
    let right = desk.approved_right();
    // A plain list of URLs, a blank line in it.
    desk.write(
        "urls.txt",
        &format!("{}\n\n{}\n", url(1_601_000_001), url(1_601_000_002)),
    );
    let summary = desk.ok(&import_args(&right, "urls.txt", &[]));
    assert_eq!(summary_rows(&summary, "filed"), 2, "{summary}");

    // No URL column: an error naming the columns, nothing filed.
    desk.write("titles.csv", "title,seller\nEarbuds,Shenzhen A\n");
    let stderr = desk.fails(2, &import_args(&right, "titles.csv", &[]));
    assert!(stderr.contains("no URL column"), "{stderr}");
    let mut quiet = import_args(&right, "titles.csv", &[]);
    quiet.push("-q");
    let stderr = desk.fails(2, &quiet);
    assert!(
        stderr.contains("no URL column"),
        "quiet, a script is told the same: {stderr}"
    );

    // A column of another name, tab-separated.
    desk.write(
        "links.tsv",
        &format!(
            "Seller\tLink to offer\nShenzhen A\t{}\n",
            url(1_601_000_003)
        ),
    );
    let summary = desk.ok(&import_args(
        &right,
        "links.tsv",
        &["--url-column", "Link to offer"],
    ));
    assert_eq!(summary_rows(&summary, "filed"), 1, "{summary}");

    // A quote left open: reported, never one complaint against two rows run together.
    desk.write(
        "quote.csv",
        &format!(
            "url,title\n{},\"unterminated\n{},ok\n",
            url(1_601_000_004),
            url(1_601_000_005)
        ),
    );
    let stderr = desk.fails(2, &import_args(&right, "quote.csv", &[]));
    assert!(stderr.contains("unterminated quote"), "{stderr}");
    let listed = desk.ok(&["complaint", "list", "--format", "csv"]);
    assert!(!listed.contains("unterminated"), "{listed}");
    assert_eq!(count(&desk), 3);

    // Evidence kinds are named as people write them in files.
    desk.right_file(false);
    let check = desk.run(&["right", "check", "acme-sound.toml"]);
    let printed = String::from_utf8_lossy(&check.stdout);
    assert!(printed.contains("articles-of-incorporation"), "{printed}");
}

#[test]
fn lists_page_and_json_keeps_numbers_and_times() {
    let desk = Desk::new();
    let right = desk.approved_right();
    for product in 0..5 {
        desk.ok(&Desk::file_args(&right, &[&url(1_601_100_000 + product)]));
    }
    let page = |extra: &[&str]| -> Vec<Value> {
        let mut args = vec!["complaint", "list", "--format", "json", "--limit", "2"];
        args.extend_from_slice(extra);
        json_rows(&desk.ok(&args))
    };
    let first = page(&[]);
    assert_eq!(first.len(), 2);
    let last = first[1]["id"].as_str().unwrap().to_owned();
    let second = page(&["--after", &last]);
    assert_eq!(second.len(), 2);
    assert!(
        second.iter().all(|row| !first.contains(row)),
        "pages do not overlap"
    );
    let filed_at = first[0]["filed_at"].as_str().unwrap();
    assert_eq!(filed_at, "2026-03-02T09:00:00Z", "RFC 3339");

    assert_eq!(
        desk.dashboard_total(),
        Value::from(5),
        "a number, not a string"
    );
}

#[test]
fn an_import_reads_rows_of_the_policys_marketplace_unless_told_otherwise() {
    let desk = Desk::new();
    let right = desk.approved_right();
    move_to_dmca_style(&desk);
    desk.write("found.txt", "https://www.amazon.com/dp/B0C7654321\n");

    let summary = desk.ok(&import_args(&right, "found.txt", &[]));
    assert_eq!(summary_rows(&summary, "filed"), 1, "{summary}");

    let stderr = desk.fails(
        2,
        &import_args(&right, "found.txt", &["--marketplace", "alibaba.com"]),
    );
    assert!(
        stderr.contains("amazon, ebay"),
        "names what the policy covers: {stderr}"
    );
    assert_eq!(count(&desk), 1, "nothing more filed");
}
