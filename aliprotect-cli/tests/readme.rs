//! The README's command-line session, run as it stands: if a command in it stops working,
//! or its output stops showing what the README promises, this fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

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
    // The session ends with `aliprotect serve`, which runs until stopped: it becomes the
    // process itself, on any free port, and the test signs in as the README says.
    let script = session().replace("\naliprotect serve", "\nexec aliprotect serve");
    assert!(
        script.contains("exec aliprotect serve"),
        "the session ends with serve"
    );
    let mut child = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(cwd.path())
        .env("PATH", path)
        // The session's `mktemp -d` lands in the test's directory, removed afterwards.
        .env("TMPDIR", cwd.path())
        .env("NO_COLOR", "1")
        .env("ALIPROTECT_LISTEN", "127.0.0.1:0")
        .env_remove("ALIPROTECT_DB")
        .env_remove("ALIPROTECT_CLIENT")
        .env_remove("ALIPROTECT_NOW")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout_pipe = child.stdout.take().unwrap();
    let stdout_reader = std::thread::spawn(move || {
        let mut stdout = Vec::new();
        stdout_pipe.read_to_end(&mut stdout).unwrap();
        stdout
    });
    let mut stderr_lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut stderr = String::new();
    let address = loop {
        let Some(line) = stderr_lines.next() else {
            let status = child.wait().unwrap();
            let stdout = String::from_utf8_lossy(&stdout_reader.join().unwrap()).into_owned();
            panic!("the session ended ({status}) before serving:\n{stdout}\n{stderr}");
        };
        let line = line.unwrap();
        stderr.push_str(&line);
        stderr.push('\n');
        if let Some(rest) = line.strip_prefix("Serving on http://") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    let signed_in = sign_in(&address, "ana@firm.example", "correct horse battery");
    let _ = child.kill();
    let _ = child.wait();
    let stdout = stdout_reader.join().unwrap();
    let stdout = String::from_utf8_lossy(&stdout);
    assert!(
        signed_in.starts_with("HTTP/1.1 303") && signed_in.contains("aliprotect_session="),
        "the first sign-in failed:\n{signed_in}"
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

/// Signs in at `address` as a browser's form does: the server's answer, head and body.
fn sign_in(address: &str, email: &str, password: &str) -> String {
    let body = format!(
        "email={}&password={}",
        email.replace('@', "%40"),
        password.replace(' ', "+")
    );
    let mut stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "POST /login HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}
