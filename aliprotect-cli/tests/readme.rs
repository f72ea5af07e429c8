//! The README's command-line session, run as it stands: if a command in it stops working,
//! or its output stops showing what the README promises, this fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

/// The first `sh` block under the "From the command line" heading.
fn session() -> String {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md");
    let readme = std::fs::read_to_string(readme_path).unwrap();
    let section = readme
        .split("## From the command line")
        .nth(1)
        .expect("the README has the section");
    let block = section.split("```sh\n").nth(1).expect("a sh block");
    block.split("\n```").next().unwrap().to_owned()
}

#[test]
fn the_readme_session_runs_as_written() {
    let binary = Path::new(env!("CARGO_BIN_EXE_aliprotect"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cwd = tempfile::tempdir().unwrap();
    let output = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &session()])
        .current_dir(cwd.path())
        .env("PATH", path)
        // The session's `mktemp -d` lands in the test's directory, removed afterwards.
        .env("TMPDIR", cwd.path())
        .env("NO_COLOR", "1")
        .env_remove("ALIPROTECT_DB")
        .env_remove("ALIPROTECT_CLIENT")
        .env_remove("ALIPROTECT_NOW")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the session failed:\n{stdout}\n{stderr}"
    );
    assert!(!stderr.contains("error"), "{stderr}");
    for promised in [
        "4,bad url",
        "| listing removed",
        "Listing Removed",
        "Unable to Process",
        "In Progress",
        "check-back: is the listing still up?",
        "Earbuds-Pro_1600100009.html",
        "| filed",
        "| applied               |      1 |",
    ] {
        assert!(
            stdout.contains(promised),
            "`{promised}` not shown:\n{stdout}"
        );
    }
}
