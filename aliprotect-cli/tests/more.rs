//! The commands the story does not reach: campaigns and their dashboard, sellers, shell
//! completions, and `notify` delivering until Ctrl-C and stopping cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

use common::{Desk, url};

#[test]
fn a_campaign_is_measured_on_its_own_and_sellers_are_ranked() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let campaign = desk.id(&[
        "campaign",
        "create",
        "Spring sweep",
        "--right",
        &right,
        "--auto-file-relistings",
    ]);
    let listed = desk.ok(&["campaign", "list", "--format", "csv"]);
    assert!(
        listed.contains(&format!("{campaign},Spring sweep,{right},true,false")),
        "{listed}"
    );

    let mut csv = String::from("url,seller\n");
    for n in 0..6u64 {
        let seller = if n < 4 {
            "Shenzhen Repeat"
        } else {
            "Guangzhou Once"
        };
        csv.push_str(&format!("{},{seller}\n", url(1_600_300_000 + n)));
    }
    desk.write("sweep.csv", &csv);
    desk.ok(&Desk::import_args(
        &right,
        &["sweep.csv", "--campaign", &campaign],
    ));
    // One complaint outside the campaign.
    desk.ok(&Desk::file_args(&right, &[&url(1_600_399_999)]));

    let in_campaign = desk.ok(&["complaint", "list", "--campaign", &campaign, "-q"]);
    assert_eq!(in_campaign.lines().count(), 6);
    for id in in_campaign.lines().take(4) {
        desk.ok(&["complaint", "record", "removed", id]);
    }
    let dashboard = desk.ok(&["dashboard", "--campaign", &campaign, "--format", "csv"]);
    assert!(
        dashboard.contains("complaints,total,6,"),
        "only the campaign's: {dashboard}"
    );
    assert!(
        dashboard.contains("complaints,listing removed,4,Listing Removed"),
        "{dashboard}"
    );
    assert!(
        dashboard.contains("metrics,removal rate (verified),1.0000,"),
        "a script gets the rate as a number: {dashboard}"
    );
    assert!(
        dashboard.contains("metrics,\"removals expected, not yet seen\",0,"),
        "{dashboard}"
    );
    let table = desk.ok(&["dashboard", "--campaign", &campaign]);
    assert!(table.contains("100.0%"), "people get a percentage: {table}");
    let everything = desk.ok(&["dashboard", "--format", "csv"]);
    assert!(everything.contains("complaints,total,7,"), "{everything}");
    let by_right = desk.ok(&["dashboard", "--right", &right, "--format", "csv"]);
    assert!(by_right.contains("complaints,total,7,"), "{by_right}");

    let sellers = desk.ok(&["seller", "list", "--format", "csv"]);
    let rows: Vec<&str> = sellers.lines().collect();
    assert_eq!(
        rows[1], "Shenzhen Repeat,alibaba.com,4,4,0,0,yes,",
        "{sellers}"
    );
    let repeat_only = desk.ok(&["seller", "list", "--repeat-only", "-q"]);
    assert_eq!(repeat_only.trim(), "Shenzhen Repeat");

    // The two accounts share a phone number: one network.
    desk.write(
        "contacts.csv",
        "seller,phone,email\nShenzhen Repeat,+86 138 0013 8000,sales@repeat.example\nGuangzhou Once,013800138000,\n",
    );
    let networked = desk.ok(&[
        "seller",
        "list",
        "--contacts",
        "contacts.csv",
        "--format",
        "csv",
    ]);
    for seller in ["Shenzhen Repeat", "Guangzhou Once"] {
        let row = networked.lines().find(|l| l.starts_with(seller)).unwrap();
        assert!(row.ends_with(",#1 (2 accounts)"), "{networked}");
    }
    desk.write("bad-contacts.csv", "seller,marketplace\nX,mars\n");
    let stderr = desk.fails(2, &["seller", "list", "--contacts", "bad-contacts.csv"]);
    assert!(stderr.contains("line 2"), "{stderr}");
}

#[test]
fn completions_are_printed_for_each_shell() {
    let desk = Desk::new();
    for shell in ["bash", "zsh", "fish"] {
        let script = desk.ok(&["completions", shell]);
        assert!(script.contains("aliprotect"), "{shell}");
        assert!(script.contains("dashboard"), "{shell} completes commands");
    }
    desk.fails(2, &["completions", "cmd.exe"]);
}

/// A webhook receiver: sends each request body to the channel, answers 200.
fn receiver() -> (String, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}/hooks", listener.local_addr().unwrap());
    let (sender, bodies) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                line.clear();
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_ok() {
                let _ = sender.send(String::from_utf8_lossy(&body).into_owned());
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (address, bodies)
}

/// Stops a child process left running by a failed assertion.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

#[cfg(unix)]
#[test]
fn notify_delivers_until_ctrl_c_then_stops_cleanly() {
    let desk = Desk::new();
    let right = desk.approved_right();
    let listing = url(1_600_400_000);
    let complaint = desk.id(&Desk::file_args(&right, &[&listing]));
    desk.contest(&complaint, "Genuine goods.", &[]);
    let (address, bodies) = receiver();
    desk.write(
        "notify.toml",
        &format!("[[webhook]]\nurl = \"{address}\"\nsecret_env = \"HOOK_SECRET\"\n"),
    );
    let mut command = desk.process(&["notify", "--config", "notify.toml", "--idle", "1"]);
    let mut child = command
        .env("HOOK_SECRET", "s3cret")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _stop_on_failure = KillOnDrop(child.id());
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let mut kinds = Vec::new();
    while !kinds
        .iter()
        .any(|k: &String| k.contains("counter_notice_received"))
    {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let body = bodies
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("not all delivered; got {kinds:?}"));
        kinds.push(body);
    }
    assert!(
        kinds.iter().any(|k| k.contains("right_approved")),
        "{kinds:?}"
    );

    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut waited = 0;
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        waited += 1;
        assert!(waited < 300, "notify did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(exit.success(), "{exit:?}: {stderr}");
    assert!(stderr.contains("Stopped."), "{stderr}");

    desk.write("empty.toml", "");
    let stderr = desk.fails(2, &["notify", "--config", "empty.toml"]);
    assert!(stderr.contains("no backend configured"), "{stderr}");
}

#[test]
fn serve_works_when_asked_and_its_metrics_count_what_the_check_backs_found() {
    let mut desk = Desk::new();
    let right = desk.approved_right();
    let gone = url(1_600_500_001);
    let live = url(1_600_500_002);
    desk.ok(&Desk::file_args(&right, &[&gone, &live]));
    let ids = desk.ok(&["complaint", "list", "-q"]);
    desk.write("ids.txt", &ids);
    desk.ok(&["complaint", "record", "accepted", "--ids-from", "ids.txt"]);
    // The sellers never answer: both removals are expected, and their check-backs fall due.
    desk.now = "2026-03-06T09:00:00Z".to_owned();
    desk.ok(&["tick"]);
    desk.now = "2026-03-18T09:00:00Z".to_owned();
    let shop = common::shop::Shop::open(&["Earbuds_1600500001."]);

    let stderr = desk.fails(
        2,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--probe",
            "--probe-via",
            &shop.address,
        ],
    );
    assert!(stderr.contains("give --work too"), "{stderr}");

    let mut child = desk
        .process(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--work",
            "--work-every",
            "1",
            "--probe",
            "--probe-via",
            &shop.address,
            "--probe-interval",
            "0",
        ])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let _stop_on_failure = KillOnDrop(child.id());
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let address = loop {
        let line = lines.next().expect("serve ended before serving").unwrap();
        if let Some(rest) = line.strip_prefix("Serving on http://") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        let metrics = http_get(&address, "/metrics");
        if metrics.contains("aliprotect_work_rounds_total{outcome=\"done\"}") {
            break metrics;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no round of work counted:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    for counted in [
        "aliprotect_check_backs_total{finding=\"removed\"} 1\n",
        "aliprotect_check_backs_total{finding=\"live\"} 1\n",
        "aliprotect_check_backs_total{finding=\"unknown\"} 0\n",
    ] {
        assert!(metrics.contains(counted), "`{counted}` not in:\n{metrics}");
    }
    // A stop ends the server and the work between rounds, cleanly.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let exit = child.wait().unwrap();
    assert!(exit.success(), "{exit:?}: {rest:?}");
    assert!(rest.iter().any(|line| line == "Stopped."), "{rest:?}");

    let listed = common::json_rows(&desk.ok(&["complaint", "list", "--format", "json"]));
    let status_of = |listing: &str| {
        listed
            .iter()
            .find(|row| row["listing"] == listing)
            .unwrap_or_else(|| panic!("no complaint on {listing}"))["status"]
            .clone()
    };
    assert_eq!(status_of(&gone), "listing removed", "{listed:?}");
    assert_eq!(status_of(&live), "removal expected", "{listed:?}");
}

/// The body of `GET path` at `address`, or the error met.
fn http_get(address: &str, path: &str) -> String {
    let Ok(mut stream) = std::net::TcpStream::connect(address) else {
        return "cannot connect".to_owned();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    );
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}
