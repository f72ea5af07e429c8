//! A receiver written with the Standard Webhooks reference library (Python's
//! `standardwebhooks`) verifies every delivery `aliprotect notify` makes: the headers, the
//! signed content and the `whsec_` secret are the specification's.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Desk, url};

/// The receiver: answers 204 to a delivery it verifies, 400 to any other, and writes one
/// JSON line per delivery to the file it is given.
const RECEIVER: &str = r#"
import http.server, json, sys
from standardwebhooks.webhooks import Webhook
hook = Webhook(sys.argv[1])
out = sys.argv[2]
class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = hook.verify(body, headers)
            line, code = {"verified": True, "kind": payload["kind"], "id": headers["webhook-id"]}, 204
        except Exception as error:
            line, code = {"verified": False, "error": repr(error)}, 400
        with open(out, "a") as f:
            f.write(json.dumps(line) + "\n")
        self.send_response(code)
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// Whether `python3` can import `standardwebhooks`.
fn library_present() -> bool {
    Command::new("python3")
        .args(["-c", "import standardwebhooks"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Kills a child left running by a failed assertion.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_standard_webhooks_receiver_verifies_every_delivery() {
    if !library_present() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs python3 with standardwebhooks (pip install standardwebhooks)"
        );
        eprintln!("skipped: no python3 with standardwebhooks (pip install standardwebhooks)");
        return;
    }
    let desk = Desk::new();
    let whsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let right = desk.approved_right();
    let complaint = desk.id(&Desk::file_args(&right, &[&url(1_600_500_000)]));
    desk.contest(&complaint, "Genuine goods.", &[]);

    let script = desk.write("receiver.py", RECEIVER);
    let log = desk.path("deliveries.jsonl");
    let mut receiver = KillOnDrop(
        Command::new("python3")
            .arg(&script)
            .arg(whsec)
            .arg(&log)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut port = String::new();
    BufReader::new(receiver.0.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    desk.write(
        "notify.toml",
        &format!(
            "[[webhook]]\nurl = \"http://127.0.0.1:{}/hooks\"\nsecret_env = \"HOOK_SECRET\"\n",
            port.trim()
        ),
    );
    let mut notify = KillOnDrop(
        desk.process(&["notify", "--config", "notify.toml", "--idle", "1"])
            .env("HOOK_SECRET", whsec)
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let deliveries = loop {
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        if lines.iter().any(|d| d["kind"] == "counter_notice_received") {
            break lines;
        }
        assert!(Instant::now() < deadline, "not all delivered: {lines:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = Command::new("kill")
        .args(["-INT", &notify.0.id().to_string()])
        .status();
    let _ = notify.0.wait();
    assert!(deliveries.len() >= 2, "{deliveries:?}");
    for delivery in &deliveries {
        assert_eq!(delivery["verified"], true, "{delivery}");
    }
    assert!(
        deliveries.iter().any(|d| d["kind"] == "right_approved"),
        "{deliveries:?}"
    );
}
