//! `db copy` and `db backup`: a desk's history taken into another file whole and checked,
//! a copy killed midway finished by running it again, a target holding other data refused,
//! a backup that never overwrites, an unreachable server reported as such.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::Desk;
use serde_json::Value;

/// A desk with an approved right and `n` complaints imported on it (one removed).
fn desk_with_complaints(n: usize) -> (Desk, String) {
    let desk = Desk::new();
    let right = desk.approved_right();
    let mut csv = String::from("url,title,seller\n");
    for i in 0..n {
        csv.push_str(&format!(
            "https://www.alibaba.com/product-detail/Earbuds_{}.html,Earbuds {i},Seller {}\n",
            1_600_100_000 + i,
            i % 7
        ));
    }
    desk.write("found.csv", &csv);
    desk.ok(&Desk::import_args(&right, &["found.csv"]));
    let first = desk.ok(&["complaint", "list", "-q"]);
    let first = first.lines().next().unwrap().to_owned();
    desk.ok(&["complaint", "record", "accepted", &first]);
    desk.ok(&["complaint", "record", "removed", &first]);
    (desk, right)
}

/// A complaint still waiting for the platform.
fn submitted(desk: &Desk) -> String {
    let list: Value =
        serde_json::from_str(&desk.ok(&["complaint", "list", "--format", "json"])).unwrap();
    let found = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["status"] == "submitted");
    found.unwrap()["id"].as_str().unwrap().to_owned()
}

/// What `args` prints on the database at `db`.
fn on(desk: &Desk, db: &str, args: &[&str]) -> String {
    let mut all = vec!["--db", db];
    all.extend_from_slice(args);
    desk.ok(&all)
}

#[test]
fn a_copy_holds_the_whole_history_and_is_checked() {
    let (desk, _) = desk_with_complaints(12);
    let out = desk.ok(&["db", "copy", "--to", "copy.db", "--format", "json"]);
    let summary: Value = serde_json::from_str(&out).unwrap();
    let tenants = summary.as_array().unwrap();
    assert!(!tenants.is_empty(), "{out}");
    for tenant in tenants {
        assert_eq!(tenant["equal"], "yes", "{out}");
        assert_eq!(tenant["source_events"], tenant["copy_events"]);
    }
    let original = desk.path("enforcement.db");
    let original = original.to_str().unwrap();
    for view in [
        &["dashboard", "--format", "csv"][..],
        &["complaint", "list", "--format", "csv"],
        &["due", "--format", "csv"],
    ] {
        assert_eq!(
            on(&desk, "copy.db", view),
            on(&desk, original, view),
            "{view:?}"
        );
    }
    let first = desk.ok(&["complaint", "list", "-q"]);
    let first = first.lines().next().unwrap();
    assert_eq!(
        on(
            &desk,
            "copy.db",
            &["complaint", "history", first, "--format", "csv"]
        ),
        on(
            &desk,
            original,
            &["complaint", "history", first, "--format", "csv"]
        ),
    );
    // Run again: everything is there, nothing is written, the check passes.
    let again = desk.run(&["db", "copy", "--to", "copy.db"]);
    assert!(again.status.success());
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("Copied 0 streams"), "{said}");
    // The copy serves commands like the original.
    let second = submitted(&desk);
    on(
        &desk,
        "copy.db",
        &["complaint", "record", "accepted", &second],
    );
}

#[test]
fn a_target_holding_other_data_is_refused_and_left_alone() {
    let (desk, _) = desk_with_complaints(3);
    desk.ok(&["db", "copy", "--to", "copy.db"]);
    let first = submitted(&desk);
    // The copy moves on; the original too, differently.
    on(
        &desk,
        "copy.db",
        &["complaint", "record", "accepted", &first],
    );
    desk.ok(&[
        "complaint",
        "retract",
        &first,
        "--reason",
        "Bought a licence",
    ]);
    let history = on(
        &desk,
        "copy.db",
        &["complaint", "history", &first, "--format", "csv"],
    );
    let said = desk.fails(2, &["db", "copy", "--to", "copy.db"]);
    assert!(said.contains("already holds other data"), "{said}");
    assert_eq!(
        on(
            &desk,
            "copy.db",
            &["complaint", "history", &first, "--format", "csv"]
        ),
        history,
        "nothing was overwritten"
    );
    let said = desk.fails(2, &["db", "copy", "--to", "enforcement.db"]);
    assert!(said.contains("database copied from"), "{said}");
    let said = desk.fails(2, &["db", "copy", "--from", "missing.db", "--to", "x.db"]);
    assert!(said.contains("no database at"), "{said}");
}

#[test]
fn a_copy_killed_midway_is_finished_by_running_it_again() {
    let (desk, _) = desk_with_complaints(150);
    let target = desk.path("copy.db");
    let mut child = desk
        .process(&["db", "copy", "--to", "copy.db", "--page", "1"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some streams are in the copy, and before it ends.
    let started = Instant::now();
    let mut copied = 0;
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(connection) = rusqlite::Connection::open_with_flags(
            &target,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        ) && let Ok(n) = connection.query_row("SELECT count(*) FROM streams", [], |row| {
            row.get::<_, i64>(0)
        }) {
            copied = n;
            if n >= 20 {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(copied >= 20, "the copy got going ({copied} streams)");
    assert!(
        !status.success(),
        "killed before the end ({copied} streams copied)"
    );
    let out = desk.ok(&["db", "copy", "--to", "copy.db", "--format", "json"]);
    let summary: Value = serde_json::from_str(&out).unwrap();
    for tenant in summary.as_array().unwrap() {
        assert_eq!(tenant["equal"], "yes", "{out}");
    }
    let original = desk.path("enforcement.db");
    let view = ["dashboard", "--format", "csv"];
    assert_eq!(
        on(&desk, "copy.db", &view),
        on(&desk, original.to_str().unwrap(), &view)
    );
}

#[test]
fn a_backup_opens_and_never_overwrites() {
    let (desk, _) = desk_with_complaints(4);
    let out = desk.ok(&["db", "backup", "--to", "backup.db", "--format", "json"]);
    let rows: Value = serde_json::from_str(&out).unwrap();
    assert!(rows[0]["bytes"].as_u64().unwrap() > 0, "{out}");
    let original = desk.path("enforcement.db");
    let view = ["complaint", "list", "--format", "csv"];
    assert_eq!(
        on(&desk, "backup.db", &view),
        on(&desk, original.to_str().unwrap(), &view)
    );
    let before = std::fs::read(desk.path("backup.db")).unwrap();
    desk.ok(&[
        "complaint",
        "record",
        "accepted",
        desk.ok(&["complaint", "list", "-q"])
            .lines()
            .nth(2)
            .unwrap(),
    ]);
    let said = desk.fails(2, &["db", "backup", "--to", "backup.db"]);
    assert!(said.contains("already exists"), "{said}");
    assert_eq!(std::fs::read(desk.path("backup.db")).unwrap(), before);
    let said = desk.fails(
        2,
        &[
            "--db",
            "postgresql://nobody@127.0.0.1:1/none",
            "db",
            "backup",
            "--to",
            "b.db",
        ],
    );
    assert!(said.contains("SQLite file"), "{said}");
}

#[test]
fn an_unreachable_server_is_a_database_error() {
    let (desk, _) = desk_with_complaints(1);
    let said = desk.fails(
        3,
        &[
            "db",
            "copy",
            "--to",
            "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
        ],
    );
    assert!(!said.is_empty());
    assert!(!desk.path("none").exists());
}
