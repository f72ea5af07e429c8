//! Driving the `aliprotect` binary on a database of its own in a temp directory.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

pub(crate) mod shop;

/// A working directory with a database, and the clock every command sees.
pub(crate) struct Desk {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) now: String,
}

impl Desk {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            now: "2026-03-02T09:00:00Z".to_owned(),
        }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    /// The binary with `args`, in this desk's directory, on its database and clock.
    pub(crate) fn process(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(assert_cmd::cargo::cargo_bin("aliprotect"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("ALIPROTECT_DB", self.path("enforcement.db"))
            .env("ALIPROTECT_NOW", &self.now)
            .env("NO_COLOR", "1")
            .env_remove("ALIPROTECT_CLIENT")
            .env_remove("ALIPROTECT_PROGRESS");
        command
    }

    pub(crate) fn command(&self, args: &[&str]) -> Command {
        Command::from_std(self.process(args))
    }

    /// Runs and returns the output, whatever the exit code.
    pub(crate) fn run(&self, args: &[&str]) -> Output {
        let output = self.command(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
            "{args:?} panicked: {stderr}"
        );
        output
    }

    /// Runs a command that must succeed; returns its stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let output = self.run(args);
        assert!(
            output.status.success(),
            "{args:?} failed ({:?}): {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// Runs a command that must fail with `code`; returns its stderr.
    pub(crate) fn fails(&self, code: i32, args: &[&str]) -> String {
        let output = self.run(args);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{args:?}: stdout {} stderr {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stderr).unwrap()
    }

    /// The single id a `-q` command printed.
    pub(crate) fn id(&self, args: &[&str]) -> String {
        let mut with_quiet = args.to_vec();
        with_quiet.push("-q");
        let out = self.ok(&with_quiet);
        let ids: Vec<&str> = out.lines().collect();
        assert_eq!(ids.len(), 1, "{args:?} printed {out}");
        ids[0].to_owned()
    }

    /// `complaint <verb>` (`file` or `import`) on `right` for `reason`, explained by
    /// `explanation`: the part every filing command starts with; URLs or a file follow.
    pub(crate) fn complaint_args<'a>(
        verb: &'a str,
        right: &'a str,
        reason: &'a str,
        explanation: &'a str,
    ) -> Vec<&'a str> {
        vec![
            "complaint",
            verb,
            "--right",
            right,
            "--reason",
            reason,
            "--explanation",
            explanation,
        ]
    }

    /// `complaint file` on `right` for counterfeits, with `extra` options and the URLs last.
    pub(crate) fn file_args<'a>(right: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = Self::complaint_args("file", right, "trademark-counterfeit", "Counterfeit");
        args.extend_from_slice(extra);
        args
    }

    /// `complaint import` on `right` for counterfeits, with `extra` options and the file.
    pub(crate) fn import_args<'a>(right: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args =
            Self::complaint_args("import", right, "trademark-counterfeit", "Counterfeit");
        args.extend_from_slice(extra);
        args
    }

    /// `tick` probing every due listing through the marketplace stand-in at `via`, without
    /// pausing between requests, with `extra` options.
    pub(crate) fn probe_args<'a>(via: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec![
            "tick",
            "--probe",
            "--probe-via",
            via,
            "--probe-interval",
            "0",
        ];
        args.extend_from_slice(extra);
        args
    }

    /// The evidence files and a right file for the ACME SOUND trademark; without the
    /// articles of incorporation when `complete` is false.
    pub(crate) fn right_file(&self, complete: bool) -> PathBuf {
        std::fs::write(self.path("certificate.pdf"), b"%PDF certificate scan").unwrap();
        std::fs::write(self.path("articles.pdf"), b"%PDF articles").unwrap();
        let mut toml = String::from(
            r#"kind = "trademark"

[holder]
name = "Acme Audio Ltd"
kind = "company"

[registration]
mark_name = "ACME SOUND"
mark_type = "combined"
registration_number = "CN-41234567"
jurisdiction = "CN"
classes = [9]
registered_on = 2021-06-01
expires_on = 2031-05-31

[[evidence]]
kind = "trademark-certificate"
file = "certificate.pdf"
captured_at = 2026-02-01
"#,
        );
        if complete {
            toml.push_str(
                r#"
[[evidence]]
kind = "articles-of-incorporation"
file = "articles.pdf"
captured_at = 2026-02-01
"#,
            );
        }
        self.write("acme-sound.toml", &toml)
    }

    /// A complete right registered (in draft) on a new database: its id.
    pub(crate) fn registered_right(&self) -> String {
        self.ok(&["init"]);
        self.right_file(true);
        self.id(&["right", "register", "acme-sound.toml"])
    }

    /// An approved right's id.
    pub(crate) fn approved_right(&self) -> String {
        let right = self.registered_right();
        self.ok(&["right", "submit", &right]);
        self.ok(&["right", "review", &right, "--approve"]);
        right
    }

    /// Submits `right` and has the platform reject it for `reason`, asking for a colour scan
    /// of the certificate. The same package again would only use up an attempt: checks that
    /// it is refused until amended, and returns that refusal.
    pub(crate) fn submit_and_reject(&self, right: &str, reason: &str) -> String {
        self.ok(&["right", "submit", right]);
        self.ok(&[
            "right",
            "review",
            right,
            "--reject",
            reason,
            "--fix",
            "trademark-certificate: upload a colour scan",
        ]);
        let unchanged = self.fails(1, &["right", "submit", right]);
        assert!(unchanged.contains("nothing changed"), "{unchanged}");
        unchanged
    }

    /// Amends `right` with a new certificate scan holding `scan`.
    pub(crate) fn amend_certificate(&self, right: &str, scan: &str) {
        self.write("certificate.pdf", scan);
        self.ok(&["right", "amend", right, "acme-sound.toml"]);
    }

    /// Checks that `right` shows as approved on its `attempts`-th submission; returns what
    /// `right show` printed.
    pub(crate) fn assert_approved_after(&self, right: &str, attempts: u32) -> String {
        let shown = self.ok(&["right", "show", right]);
        let counted = shown.lines().find(|l| l.starts_with("| attempts")).unwrap();
        assert!(
            shown.contains("| approved") && counted.ends_with(&format!(" {attempts} |")),
            "{shown}"
        );
        shown
    }

    /// The platform takes `complaint` up and the seller answers with a counter-notice
    /// saying `statement`, with `extra` options (evidence).
    pub(crate) fn contest(&self, complaint: &str, statement: &str, extra: &[&str]) {
        self.ok(&["complaint", "record", "accepted", complaint]);
        let mut args = vec![
            "complaint",
            "record",
            "counter-notice",
            complaint,
            "--statement",
            statement,
        ];
        args.extend_from_slice(extra);
        self.ok(&args);
    }

    /// The id of the complaint on `listing` (a URL as filed).
    pub(crate) fn complaint_on(&self, listing: &str) -> String {
        json_rows(&self.ok(&["complaint", "list", "--format", "json"]))
            .into_iter()
            .find(|row| row["listing"] == listing)
            .unwrap_or_else(|| panic!("no complaint on {listing}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The dashboard's `total` measure, as the JSON output gives it.
    pub(crate) fn dashboard_total(&self) -> Value {
        json_rows(&self.ok(&["dashboard", "--format", "json"]))
            .into_iter()
            .find(|row| row["measure"] == "total")
            .unwrap_or_else(|| panic!("no total on the dashboard"))["value"]
            .clone()
    }
}

/// The Alibaba.com listing of earbuds with product id `product`.
pub(crate) fn url(product: u64) -> String {
    format!("https://www.alibaba.com/product-detail/Earbuds_{product}.html")
}

/// The rows of a JSON array printed with `--format json`.
pub(crate) fn json_rows(printed: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(printed)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {printed}"))
        .as_array()
        .unwrap_or_else(|| panic!("not a JSON array: {printed}"))
        .clone()
}

pub(crate) fn sha256_hex(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}
