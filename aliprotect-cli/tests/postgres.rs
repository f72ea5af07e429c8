//! The command line on a PostgreSQL database shared with other programs (a throwaway
//! cluster, or `ALIPROTECT_TEST_DATABASE_URL`): the same commands, clients kept apart, and a
//! bad URL or unreachable server reported as such.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use aliprotect::store_postgres::test_server::TestServer;
use common::Desk;

/// A throwaway server and a database on it; `None` (said in one line) where this machine has
/// no PostgreSQL server binaries outside CI: the test then skips.
fn database() -> Option<(TestServer, String)> {
    let server = TestServer::start_unless_missing()
        .unwrap_or_else(|e| panic!("no PostgreSQL to test on: {e}"));
    let Some(server) = server else {
        eprintln!("skipped: no PostgreSQL server binaries on this machine");
        return None;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = runtime.block_on(server.create_database()).unwrap();
    Some((server, url))
}

#[test]
fn the_process_runs_on_postgres_with_clients_kept_apart() {
    let Some((_server, url)) = database() else {
        return;
    };
    let desk = Desk::new();
    let on_postgres = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["--db".to_owned(), url.clone()];
        all.extend(args.iter().map(|a| (*a).to_owned()));
        all
    };
    let run = |args: &[&str]| {
        let args = on_postgres(args);
        desk.ok(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    run(&["init"]);
    desk.right_file(true);
    let right = run(&["right", "register", "acme-sound.toml", "-q"])
        .trim()
        .to_owned();
    run(&["right", "submit", &right]);
    run(&["right", "review", &right, "--approve"]);
    let url = "https://www.alibaba.com/product-detail/Earbuds_1600123456789.html";
    let filed = run(&Desk::file_args(&right, &["-q", url]));
    let complaint = filed.trim();
    run(&["complaint", "record", "removed", complaint]);
    let dashboard = run(&["dashboard", "--format", "csv"]);
    assert!(
        dashboard.contains("complaints,listing removed,1,Listing Removed"),
        "{dashboard}"
    );
    let globex = on_postgres(&["--client", "Globex", "right", "show", &right]);
    let stderr = desk.fails(1, &globex.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(
        stderr.contains("not found"),
        "another client sees nothing: {stderr}"
    );
    let history = run(&["complaint", "history", complaint, "--format", "csv"]);
    assert_eq!(
        history.lines().count(),
        4,
        "filed, submitted, removed: {history}"
    );
}

#[test]
fn a_bad_url_is_a_usage_error_and_an_unreachable_server_a_database_error() {
    let desk = Desk::new();
    let stderr = desk.fails(
        2,
        &["--db", "postgresql://host:notaport/db", "right", "list"],
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
    // Port 9 (discard) on loopback: nothing listens there.
    let stderr = desk.fails(
        3,
        &[
            "--db",
            "postgresql://aliprotect@127.0.0.1:9/none",
            "right",
            "list",
        ],
    );
    assert!(stderr.starts_with("error: "), "{stderr}");
}

/// A desk outgrows its file: `db copy` takes it to PostgreSQL, where the same commands show
/// the same thing and go on, and back into a new file.
#[test]
fn a_file_is_copied_to_postgres_and_back() {
    let Some((_server, url)) = database() else {
        return;
    };
    let desk = Desk::new();
    let right = desk.approved_right();
    // Enough streams that the server sorts rather than walks an index (a copy once read a
    // stream's events in the order the sort left them).
    let mut csv = String::from("url,title,seller\n");
    for i in 0..3000 {
        csv.push_str(&format!(
            "https://www.alibaba.com/product-detail/Earbuds_{}.html,Earbuds,Seller {}\n",
            1_600_100_000 + i,
            i % 9
        ));
    }
    desk.write("found.csv", &csv);
    desk.ok(&Desk::import_args(&right, &["found.csv", "-q"]));
    let listing = "https://www.alibaba.com/product-detail/Earbuds_1600123456789.html";
    let complaint = desk.id(&Desk::file_args(&right, &[listing]));
    desk.ok(&["complaint", "record", "accepted", &complaint]);
    let out = desk.ok(&["db", "copy", "--to", &url, "--format", "json"]);
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(
        summary
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["equal"] == "yes")
    );
    let view = ["dashboard", "--format", "csv"];
    assert_eq!(
        desk.ok(&["--db", &url, view[0], view[1], view[2]]),
        desk.ok(&view)
    );
    desk.ok(&["--db", &url, "complaint", "record", "removed", &complaint]);
    desk.ok(&["db", "copy", "--from", &url, "--to", "back.db"]);
    let history = ["complaint", "history", &complaint, "--format", "csv"];
    let mut on_back = vec!["--db", "back.db"];
    on_back.extend_from_slice(&history);
    let mut on_url = vec!["--db", url.as_str()];
    on_url.extend_from_slice(&history);
    assert_eq!(desk.ok(&on_back), desk.ok(&on_url));
    // The file, which did not see the removal, now differs from the database: refused.
    let said = desk.fails(2, &["db", "copy", "--to", &url]);
    assert!(said.contains("already holds other data"), "{said}");
}
