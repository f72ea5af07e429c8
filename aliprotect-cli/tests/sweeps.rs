//! `aliprotect sweep ...`, `candidate ...` and `seller authorise`, as a paralegal runs them:
//! a sweep over an export and over a marketplace's pages (one of which changed shape), the
//! queue confirmed and dismissed in bulk, and what each refusal and exit code says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::shop::Shop;
use common::{Desk, json_rows, url};

/// A sweep on `right` over the keyword "acme earbuds"; its id.
fn sweep_on(desk: &Desk, right: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "sweep",
        "add",
        "ACME earbuds",
        "--keyword",
        "acme earbuds",
        "--right",
        right,
        "--reason",
        "trademark-counterfeit",
        "--explanation",
        "Counterfeit earbuds bearing the ACME SOUND mark",
    ];
    args.extend_from_slice(extra);
    desk.id(&args)
}

fn candidates(desk: &Desk, status: &str) -> Vec<serde_json::Value> {
    json_rows(&desk.ok(&["candidate", "list", "--status", status, "--format", "json"]))
}

#[test]
fn an_export_swept_reviewed_in_bulk_and_swept_again() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let first = url(1);
    desk.ok(&Desk::file_args(&right, &[&first]));
    let already = desk.complaint_on(&first);
    desk.ok(&[
        "seller",
        "authorise",
        "ACME Official Store",
        "--right",
        &right,
    ]);
    let export = desk.write(
        "results.csv",
        &format!(
            "url,title,seller\n{},Earbuds,Copy Co\n{},Earbuds,acme official store\n{},Earbuds,Copy Co\n\
             {},Pods,Knock Off\n{},Pods <script>alert(1)</script>,Knock Off\nftp://nowhere/x,Broken,x\n",
            url(1),
            url(2),
            url(3),
            url(4),
            url(5)
        ),
    );
    let sweep = sweep_on(&desk, &right, &[]);
    let export = export.to_str().unwrap();

    let run = json_rows(&desk.ok(&[
        "sweep", "run", &sweep, "--export", export, "--format", "json",
    ]));
    assert_eq!(run.len(), 1);
    let counts: Vec<u64> = ["found", "to_review", "allowed", "known", "unusable"]
        .iter()
        .map(|field| run[0][field].as_u64().unwrap())
        .collect();
    assert_eq!(counts, vec![5, 3, 1, 1, 1], "{run:?}");

    let open = candidates(&desk, "open");
    let listings: Vec<&str> = open
        .iter()
        .map(|c| c["listing"].as_str().unwrap())
        .collect();
    assert_eq!(open.len(), 3, "{open:?}");
    assert!(!listings.contains(&url(1).as_str()) && !listings.contains(&url(2).as_str()));
    let title_of_5 = open
        .iter()
        .find(|c| c["listing"] == url(5).as_str())
        .unwrap()["title"]
        .clone();
    assert_eq!(
        title_of_5, "Pods <script>alert(1)</script>",
        "kept verbatim"
    );

    // Two confirmed from a file, one dismissed; filed as submitted complaints.
    let id_of = |n: u64| {
        open.iter()
            .find(|c| c["listing"] == url(n).as_str())
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    desk.write(
        "confirm.txt",
        &format!("# to file\n{}\n\n{}\n", id_of(3), id_of(4)),
    );
    let confirmed = json_rows(&desk.ok(&[
        "candidate",
        "confirm",
        "--ids-from",
        "confirm.txt",
        "--format",
        "json",
    ]));
    assert_eq!(confirmed.len(), 2);
    for row in &confirmed {
        let complaint = row["complaint"].as_str().unwrap();
        let shown = json_rows(&desk.ok(&["complaint", "show", complaint, "--format", "json"]));
        let status = shown.iter().find(|row| row["field"] == "status").unwrap();
        assert_eq!(status["value"], "submitted", "{shown:?}");
    }
    desk.ok(&[
        "candidate",
        "dismiss",
        &id_of(5),
        "--reason",
        "A parody, not our mark",
    ]);
    let dismissed = candidates(&desk, "dismissed");
    assert_eq!(dismissed[0]["detail"], "A parody, not our mark");
    assert!(candidates(&desk, "open").is_empty());

    // Confirming a decided candidate or an unknown one: each listed, the gravest code.
    let err = desk.fails(
        1,
        &[
            "candidate",
            "confirm",
            &id_of(3),
            "00000000-0000-0000-0000-000000000000",
        ],
    );
    assert!(err.contains("2 of 2 candidate(s) not filed"), "{err}");
    assert!(
        err.contains("decided already") && err.contains("not found"),
        "{err}"
    );

    // Swept again: nothing new, nothing filed twice.
    let complaints_before = json_rows(&desk.ok(&["complaint", "list", "--format", "json"])).len();
    let again = json_rows(&desk.ok(&[
        "sweep", "run", &sweep, "--export", export, "--format", "json",
    ]));
    assert_eq!(again[0]["to_review"], 0);
    assert_eq!(again[0]["known"], 5);
    let complaints_after = json_rows(&desk.ok(&["complaint", "list", "--format", "json"])).len();
    assert_eq!(complaints_after, complaints_before);
    assert!(complaints_before >= 3, "{already} and the two confirmed");

    let listed = json_rows(&desk.ok(&["sweep", "list", "--format", "json"]));
    assert_eq!(listed[0]["runs"], 2);
}

#[test]
fn a_marketplace_swept_over_http_stops_at_a_page_whose_shape_changed() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let shop = Shop::answering(|path| {
        let item = |n: u64| {
            format!(
                r#"<li class="item"><a class="t" href="{}">ACME earbuds {n}</a><b class="s">Seller {n}</b></li>"#,
                url(n)
            )
        };
        if path.contains("page=1") {
            let body = format!(
                r#"<ul id="results">{}{}</ul><a class="next">more</a>"#,
                item(11),
                item(12)
            );
            ("200 OK", body)
        } else if path.contains("page=2") {
            (
                "200 OK",
                "<p>Please slide to verify you are human</p>".to_owned(),
            )
        } else {
            ("500 Internal Server Error", String::new())
        }
    });
    desk.write(
        "search.toml",
        &format!(
            "interval_seconds = 0\n[[marketplace]]\nmarketplace = \"alibaba.com\"\n\
             url_template = \"{}/search?q={{keyword}}&page={{page}}\"\nresults = \"ul#results\"\n\
             result = \"ul#results > li.item\"\nlink = \"a.t\"\ntitle = \"a.t\"\nseller = \"b.s\"\nnext = \"a.next\"\n",
            shop.address
        ),
    );
    sweep_on(&desk, &right, &["--pages", "5"]);

    let err = desk.fails(3, &["sweep", "run", "--due", "--search", "search.toml"]);
    assert!(
        err.contains("page 2") && err.contains("expected shape"),
        "{err}"
    );
    assert_eq!(candidates(&desk, "to-review").len(), 2, "page 1 stands");
    let requested = shop.requested();
    assert_eq!(requested.len(), 2, "{requested:?}");
    assert!(requested[0].contains("q=acme+earbuds"), "{requested:?}");

    // Ran: no longer due.
    let out = desk.ok(&["sweep", "run", "--due", "--search", "search.toml"]);
    assert!(out.trim().is_empty() || out.contains("(none)"), "{out}");
    assert_eq!(shop.requested().len(), 2);
}

#[test]
fn sweeps_refuse_what_does_not_fit() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let err = desk.fails(
        1,
        &[
            "sweep",
            "add",
            "x",
            "--keyword",
            "k",
            "--right",
            &right,
            "--reason",
            "patent-copied-design",
            "--explanation",
            "x",
        ],
    );
    assert!(
        err.contains("does not fit a right of kind trademark"),
        "{err}"
    );
    let err = desk.fails(
        1,
        &[
            "sweep",
            "add",
            "x",
            "--keyword",
            "  ",
            "--right",
            &right,
            "--reason",
            "trademark-counterfeit",
            "--explanation",
            "x",
        ],
    );
    assert!(err.contains("keyword"), "{err}");
    let err = desk.fails(
        1,
        &[
            "sweep",
            "add",
            "x",
            "--keyword",
            "k",
            "--right",
            "00000000-0000-0000-0000-000000000001",
            "--reason",
            "trademark-counterfeit",
            "--explanation",
            "x",
        ],
    );
    assert!(err.contains("not found"), "{err}");

    let sweep = sweep_on(&desk, &right, &[]);
    desk.ok(&["sweep", "pause", &sweep]);
    desk.write("empty.csv", "url\n");
    let err = desk.fails(1, &["sweep", "run", &sweep, "--export", "empty.csv"]);
    assert!(err.contains("paused"), "{err}");
    desk.ok(&["sweep", "resume", &sweep]);
    desk.ok(&["sweep", "run", &sweep, "--export", "empty.csv"]);

    desk.write(
        "bad.toml",
        "[[marketplace]]\nmarketplace = \"alibaba.com\"\nurl_template = \"x\"\n",
    );
    let err = desk.fails(2, &["sweep", "run", &sweep, "--search", "bad.toml"]);
    assert!(err.contains("bad.toml"), "{err}");
    let err = desk.fails(2, &["candidate", "list", "--status", "maybe"]);
    assert!(err.contains("one of open, all"), "{err}");
    let err = desk.fails(2, &["candidate", "confirm"]);
    assert!(err.contains("no candidate given"), "{err}");
    let err = desk.fails(1, &["--client", "someone-else", "candidate", "list"]);
    assert!(err.contains("someone-else"), "{err}");
}
