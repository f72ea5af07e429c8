//! A law firm's week on one database, as one session of the binary: a right rejected, amended,
//! approved and later renewed; pasted URLs and an import with duplicates in the forms people
//! paste (mobile, language subdomains, trailing slashes); outcomes in bulk from the platform's
//! own list and on many ids at once; silent sellers whose removals are only expected until a
//! probe against a local marketplace sees them gone, while a live listing is never recorded
//! removed; and the evidence bundle of a verified removal checked with `sha256sum -c`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use common::shop::Shop;
// `www`: the desktop form of a listing URL, beside the `mobile` one below.
use common::{Desk, json_rows, sha256_hex, url as www};
use serde_json::Value;

/// The mobile form people paste from their phones: the id before the title.
fn mobile(product: u64) -> String {
    format!("https://m.alibaba.com/product/{product}/wireless-earbuds.html")
}

/// Each complaint's status by its listing URL.
fn statuses(desk: &Desk) -> BTreeMap<String, String> {
    json_rows(&desk.ok(&["complaint", "list", "--format", "json"]))
        .into_iter()
        .map(|row| {
            (
                row["listing"].as_str().unwrap().to_owned(),
                row["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The changes of a complaint's history, in order.
fn changes(desk: &Desk, complaint: &str) -> Vec<String> {
    json_rows(&desk.ok(&["complaint", "history", complaint, "--format", "json"]))
        .into_iter()
        .map(|row| row["change"].as_str().unwrap().to_owned())
        .collect()
}

/// `key -> value` of a two-column table printed as JSON.
fn measures(printed: &str, key: &str, value: &str) -> BTreeMap<String, Value> {
    json_rows(printed)
        .into_iter()
        .map(|row| (row[key].as_str().unwrap().to_owned(), row[value].clone()))
        .collect()
}

/// How many rows of an `import-statuses` report have each result.
fn results(printed: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for row in json_rows(printed) {
        *counts
            .entry(row["result"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    counts
}

fn sha256sum_check(dir: &Path) -> String {
    let checked = std::process::Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(dir)
        .output()
        .expect("sha256sum (coreutils) runs");
    assert!(
        checked.status.success(),
        "sha256sum -c refused the bundle: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
    String::from_utf8(checked.stdout).unwrap()
}

#[test]
fn a_firms_week_on_one_database() {
    let mut desk = Desk::new();

    // Monday. The right is rejected; the same package again is refused until amended.
    let right = desk.registered_right();
    let unchanged = desk.submit_and_reject(&right, "The certificate scan is not legible.");
    assert!(
        unchanged.contains("upload a colour scan"),
        "says what the rejection asked to fix: {unchanged}"
    );
    desk.amend_certificate(&right, "%PDF certificate, colour scan");
    desk.ok(&["right", "submit", &right]);
    desk.ok(&["right", "review", &right, "--approve"]);
    desk.assert_approved_after(&right, 2);

    // A pasted URL is filed; the same listing pasted from a phone is refused, naming it.
    let first = desk.id(&Desk::file_args(&right, &[&www(1_600_300_001)]));
    let again = desk.fails(1, &Desk::file_args(&right, &[&mobile(1_600_300_001)]));
    assert!(
        again.contains("already has an open complaint") && again.contains(&first),
        "{again}"
    );

    // The week's finds: a `Product URL` column, semicolons, the same listings in other forms,
    // and pages that are not listings.
    let mut found = String::from("Product URL;Title;Seller\n");
    for product in 1_600_300_010..1_600_300_030 {
        found.push_str(&format!("{};Earbuds {product};Shenzhen A\n", www(product)));
    }
    found.push_str(&format!("{};Earbuds;Shenzhen A\n", mobile(1_600_300_010)));
    found.push_str(&format!("{};Earbuds;Shenzhen A\n", mobile(1_600_300_011)));
    found.push_str(
        "https://french.alibaba.com/product-detail/Ecouteurs_1600300012.html/;Ecouteurs;Shenzhen A\n",
    );
    found.push_str(
        "https://m.alibaba.com/product-detail/Earbuds_1600300001.html?spm=a2700;Earbuds;Shenzhen A\n",
    );
    found.push_str("https://shenzhena.en.alibaba.com/;Store;Shenzhen A\n");
    found.push_str("https://www.alibaba.com/trade/search?SearchText=earbuds;Search;\n");
    desk.write("found.csv", &found);
    let import = Desk::import_args(
        &right,
        &[
            "--rejected",
            "rejected.csv",
            "found.csv",
            "--format",
            "json",
        ],
    );
    let summary = measures(&desk.ok(&import), "outcome", "rows");
    assert_eq!(summary["filed"], 20, "{summary:?}");
    assert_eq!(summary["duplicates"], 4, "{summary:?}");
    assert_eq!(
        summary["rejected (unreadable or not a listing)"], 2,
        "{summary:?}"
    );
    let rejected = std::fs::read_to_string(desk.path("rejected.csv")).unwrap();
    assert!(
        rejected.contains(&format!("already complained about: complaint {first}")),
        "{rejected}"
    );
    assert!(rejected.contains("store front"), "{rejected}");
    assert!(rejected.contains("search results"), "{rejected}");
    assert_eq!(statuses(&desk).len(), 21, "one complaint per listing");

    // Every complaint taken up by the platform: one outcome on many ids, from a file.
    let ids = desk.ok(&["complaint", "list", "-q"]);
    desk.write("ids.txt", &ids);
    desk.ok(&["complaint", "record", "accepted", "--ids-from", "ids.txt"]);
    assert!(statuses(&desk).values().all(|s| s == "in progress"));

    // Tuesday. The platform's own list, its statuses verbatim, listings named in any form.
    desk.now = "2026-03-03T09:00:00Z".to_owned();
    let mut platform = String::from("Complaint No.,Product URL,Status,Remarks\n");
    for product in 1_600_300_010..1_600_300_015 {
        platform.push_str(&format!(",{},Listing Removed,\n", mobile(product)));
    }
    platform.push_str(&format!(
        ",{},Unable to Process,The product link provided is invalid.\n",
        www(1_600_300_015)
    ));
    platform.push_str(&format!(",{},In Progress,\n", www(1_600_300_016)));
    platform.push_str(&format!(",{},In Progress,\n", www(1_600_399_999)));
    platform.push_str(&format!(",{},Closed,\n", www(1_600_300_017)));
    desk.write("platform.csv", &platform);
    let applied = [
        "complaint",
        "import-statuses",
        "platform.csv",
        "--format",
        "json",
    ];
    let first_run = results(&desk.ok(&applied));
    assert_eq!(first_run.get("changed"), Some(&6), "{first_run:?}");
    assert_eq!(first_run.get("already so"), Some(&1), "{first_run:?}");
    assert_eq!(first_run.get("unknown"), Some(&1), "{first_run:?}");
    assert_eq!(first_run.get("unreadable"), Some(&1), "{first_run:?}");
    let second_run = results(&desk.ok(&applied));
    assert_eq!(
        second_run.get("changed"),
        None,
        "applied again: {second_run:?}"
    );
    assert_eq!(second_run.get("already so"), Some(&7), "{second_run:?}");
    let now = statuses(&desk);
    assert_eq!(now[&www(1_600_300_010)], "listing removed");
    assert_eq!(now[&www(1_600_300_015)], "unable to process");

    // Friday. The sellers who never answered: their removals are expected, not recorded.
    desk.now = "2026-03-06T09:00:00Z".to_owned();
    desk.ok(&["tick"]);
    let expected: Vec<String> = statuses(&desk)
        .into_iter()
        .filter(|(_, status)| status == "removal expected")
        .map(|(listing, _)| listing)
        .collect();
    assert_eq!(expected.len(), 15, "first and 16..29: {expected:?}");
    let dashboard = measures(
        &desk.ok(&["dashboard", "--format", "json"]),
        "measure",
        "value",
    );
    assert_eq!(dashboard["removals seen (verified)"], 5, "{dashboard:?}");
    assert_eq!(
        dashboard["removals expected, not yet seen"], 15,
        "{dashboard:?}"
    );

    // The probe looks through a gateway: the first listing is gone, the rest are up; the
    // listings the platform removed stay down when their watch looks.
    let shop = Shop::open(&[
        "Earbuds_1600300001.",
        "Earbuds_1600300010.",
        "Earbuds_1600300011.",
        "Earbuds_1600300012.",
        "Earbuds_1600300013.",
        "Earbuds_1600300014.",
    ]);
    desk.now = "2026-03-18T09:00:00Z".to_owned();
    let ticked = measures(
        &desk.ok(&Desk::probe_args(&shop.address, &["--format", "json"])),
        "outcome",
        "count",
    );
    assert_eq!(ticked["found removed by check-back"], 1, "{ticked:?}");
    assert_eq!(ticked["found still listed"], 14, "{ticked:?}");
    assert_eq!(ticked["removed listings found back up"], 0, "{ticked:?}");
    let requested = shop.requested();
    assert!(
        requested.contains(&"/www.alibaba.com/product-detail/Earbuds_1600300001.html".to_owned()),
        "the gateway is asked for the listing's own host and path: {requested:?}"
    );
    let now = statuses(&desk);
    assert_eq!(now[&www(1_600_300_001)], "listing removed");
    let live = desk.complaint_on(&www(1_600_300_020));
    assert_ne!(now[&www(1_600_300_020)], "listing removed");
    assert!(
        !changes(&desk, &live).iter().any(|c| c.contains("removed")),
        "a live listing is never recorded removed: {:?}",
        changes(&desk, &live)
    );
    let dashboard = measures(
        &desk.ok(&["dashboard", "--format", "json"]),
        "measure",
        "value",
    );
    assert_eq!(dashboard["removals seen (verified)"], 6, "{dashboard:?}");

    // The verified removal's bundle: its history, the page the probe saw, a manifest.
    let history = changes(&desk, &first);
    assert!(
        history.iter().any(|c| c == "listing removed"),
        "{history:?}"
    );
    desk.ok(&["complaint", "history", &first, "--bundle", "bundle"]);
    let bundle = desk.path("bundle");
    let checked = sha256sum_check(&bundle);
    assert!(checked.contains("history.csv: OK"), "{checked}");
    let pages: Vec<_> = std::fs::read_dir(bundle.join("evidence"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(pages.len(), 1, "{pages:?}");
    let page = std::fs::read_to_string(&pages[0]).unwrap();
    assert!(
        page.contains("no longer available"),
        "the page as seen: {page}"
    );
    let named = std::fs::read_to_string(bundle.join("history.csv")).unwrap();
    assert!(named.contains(&sha256_hex(&pages[0])), "{named}");

    // The same bundle as a zip holds the same files under one folder.
    desk.ok(&["complaint", "history", &first, "--bundle", "bundle.zip"]);
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(desk.path("bundle.zip")).unwrap()).unwrap();
    let mut manifest = String::new();
    zip.by_name(&format!("complaint-{first}/SHA256SUMS"))
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    assert_eq!(
        manifest,
        std::fs::read_to_string(bundle.join("SHA256SUMS")).unwrap()
    );

    // A renewal: the new expiry and certificate; `due` follows the new date.
    desk.write("renewal.pdf", "%PDF renewal certificate to 2041");
    desk.ok(&[
        "right",
        "renew",
        &right,
        "--expires-on",
        "2041-05-31",
        "--document",
        "renewal-document=renewal.pdf",
    ]);
    let shown = desk.ok(&["right", "show", &right]);
    assert!(shown.contains("2041-05-31"), "{shown}");
    assert!(
        shown.contains(&format!(
            "renewal-document sha256:{}",
            sha256_hex(&desk.path("renewal.pdf"))
        )),
        "{shown}"
    );
    let due = desk.ok(&["due", "--format", "csv"]);
    assert!(
        due.contains("2041-05-31") && !due.contains("2031-05-31"),
        "{due}"
    );
}
