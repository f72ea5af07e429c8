//! The seed's story through the binary, as a paralegal would type it: a trademark rejected
//! twice and approved, listings staged meanwhile, an import of 1,000 URLs with bad rows, a
//! counter-notice answered, all three outcome strings, a check-back finding an unannounced
//! removal on a local HTTP server, a relisting, the dashboard and a history export.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::shop::Shop;
use common::{Desk, sha256_hex, url};

const EXPLANATION: &str = "Counterfeit earbuds bearing the ACME SOUND mark";

#[test]
fn the_whole_story_from_the_command_line() {
    let mut desk = Desk::new();
    desk.ok(&["init"]);

    // 1. The package check finds the missing articles before the platform does.
    desk.right_file(false);
    let check = desk.run(&["right", "check", "acme-sound.toml"]);
    assert_eq!(check.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&check.stdout).contains("no ownership proof"));
    let right = desk.id(&["right", "register", "acme-sound.toml"]);
    let refused = desk.fails(1, &["right", "submit", &right]);
    assert!(refused.contains("no ownership proof"), "{refused}");
    assert!(
        refused.contains("right amend"),
        "says what to do: {refused}"
    );
    assert!(desk.ok(&["right", "show", &right]).contains("| draft"));

    // 2. Rejected twice (reasons kept verbatim), approved on the third try; listings found
    //    meanwhile are staged and submitted on approval.
    desk.right_file(true);
    desk.ok(&["right", "amend", &right, "acme-sound.toml"]);
    let reasons = [
        "The certificate scan is not legible. Please provide a clear color copy.",
        "Registrant on certificate inconsistent with account holder information.",
    ];
    for (attempt, reason) in reasons.iter().enumerate() {
        desk.submit_and_reject(&right, reason);
        desk.amend_certificate(&right, &format!("%PDF colour scan {attempt}"));
    }
    desk.ok(&["right", "submit", &right]);
    let staged_url = url(1_600_900_001);
    let mut filing = Desk::complaint_args("file", &right, "trademark-counterfeit", EXPLANATION);
    filing.push(&staged_url);
    let staged = desk.id(&filing);
    assert!(
        desk.ok(&["complaint", "show", &staged])
            .contains("| staged")
    );
    desk.ok(&["right", "review", &right, "--approve"]);
    let shown = desk.assert_approved_after(&right, 3);
    for reason in reasons {
        assert!(shown.contains(reason), "reason kept verbatim: {shown}");
    }
    assert!(
        desk.ok(&["complaint", "show", &staged])
            .contains("| submitted")
    );

    // 3. An import of 1,000 rows: 10 not listings, 5 repeats; the rest filed and submitted.
    let mut csv = String::from("url,title,seller\n");
    for n in 0..1000u64 {
        match n % 200 {
            7 | 107 => csv.push_str(&format!("ftp://www.alibaba.com/{n},Earbuds,Shenzhen A\n")),
            9 => csv.push_str(&format!(
                "{},Earbuds again,Shenzhen A\n",
                url(1_600_100_000 + n - 1)
            )),
            _ => csv.push_str(&format!(
                "{},Earbuds {n},Shenzhen {}\n",
                url(1_600_100_000 + n),
                n % 3
            )),
        }
    }
    desk.write("found.csv", &csv);
    let mut import = Desk::complaint_args("import", &right, "trademark-counterfeit", EXPLANATION);
    import.extend(["found.csv", "--rejected", "rejected.csv", "--format", "csv"]);
    let summary = desk.ok(&import);
    assert!(summary.contains("filed,985"), "{summary}");
    assert!(summary.contains("duplicates,5"), "{summary}");
    assert!(
        summary.contains("rejected (unreadable or not a listing),10"),
        "{summary}"
    );
    let rejected = std::fs::read_to_string(desk.path("rejected.csv")).unwrap();
    assert_eq!(
        rejected.lines().count(),
        16,
        "header and 15 rows: {rejected}"
    );
    assert!(
        rejected.contains("\n9,bad url"),
        "line numbers count the header: {rejected}"
    );
    assert!(rejected.contains("\n11,duplicate of line 10"), "{rejected}");

    // 4. Outcomes on three of them: a counter-notice answered then removed; "Unable to
    //    Process"; one taken up and left "In Progress".
    let by_url = |product: u64| desk.complaint_on(&url(product));
    let (disputed, unable, pending, gone) = (
        by_url(1_600_100_000),
        by_url(1_600_100_001),
        by_url(1_600_100_002),
        by_url(1_600_100_003),
    );
    desk.write("invoice.pdf", "%PDF invoice from a distributor");
    desk.contest(
        &disputed,
        "We purchased these from an authorised distributor.",
        &["--evidence", "screenshot=invoice.pdf"],
    );
    desk.write("test-buy.pdf", "%PDF test buy receipt");
    desk.ok(&[
        "complaint",
        "respond",
        &disputed,
        "--statement",
        "The distributor holds no licence for this territory.",
        "--evidence",
        "test-buy=test-buy.pdf",
    ]);
    desk.ok(&["complaint", "record", "removed", &disputed]);
    desk.ok(&[
        "complaint",
        "record",
        "unable",
        &unable,
        "--reason",
        "The product link provided is invalid.",
    ]);
    desk.contest(&pending, "Our own design.", &[]);
    let due = desk.ok(&["due", "--format", "csv"]);
    assert!(
        due.contains("deadline to answer a counter-notice") && due.contains(&pending),
        "{due}"
    );

    // 5. A month later the check-backs fall due; the marketplace shows one listing gone
    //    besides the disputed one, which a watch finds still down.
    let shop = Shop::open(&["Earbuds_1600100003", "Earbuds_1600100000"]);
    desk.now = "2026-04-01T09:00:00Z".to_owned();
    let ticked = desk.ok(&Desk::probe_args(&shop.address, &["--format", "csv"]));
    assert!(ticked.contains("found removed by check-back,1"), "{ticked}");
    let found = desk.ok(&["complaint", "show", &gone]);
    assert!(found.contains("| listing removed"), "{found}");
    assert!(
        desk.ok(&["complaint", "show", &pending])
            .contains("listing restored")
    );

    // 6. The seller of the removed listing relists it: a linked complaint, the old relisted.
    let relisting = url(1_600_200_003);
    desk.ok(&["complaint", "relisted", &gone, &relisting]);
    assert!(
        desk.ok(&["complaint", "show", &gone])
            .contains("| relisted")
    );

    // 7. The dashboard shows the platform's three strings.
    let dashboard = desk.ok(&["dashboard"]);
    for shown in ["In Progress", "Unable to Process", "Listing Removed"] {
        assert!(dashboard.contains(shown), "{shown} missing: {dashboard}");
    }
    let total = desk.dashboard_total();
    assert_eq!(total, 987, "1 staged + 985 imported + 1 relisting: {total}");

    // 8. The history for litigation: statements verbatim and evidence by hash.
    let history = desk.ok(&["complaint", "history", &disputed, "--format", "csv"]);
    let mut reader = csv::Reader::from_reader(history.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let changes: Vec<&str> = rows.iter().map(|r| &r[3]).collect();
    assert_eq!(
        changes,
        [
            "filed",
            "submitted",
            "accepted",
            "counter-notice received",
            "responded",
            "listing removed",
            "watch 1 for the listing's return due"
        ]
    );
    assert_eq!(&rows[3][2], "seller");
    assert_eq!(
        &rows[3][5],
        "We purchased these from an authorised distributor."
    );
    let invoice = format!(
        "screenshot sha256:{}",
        sha256_hex(&desk.path("invoice.pdf"))
    );
    assert_eq!(&rows[3][6], invoice.as_str());
    let test_buy = format!("test-buy sha256:{}", sha256_hex(&desk.path("test-buy.pdf")));
    assert_eq!(&rows[4][6], test_buy.as_str());
}
