//! A marketplace stand-in on a local port: listings whose path contains one of `gone` answer
//! 404, the rest a live product page; or any pages a test gives. Every request path is kept,
//! to see what was fetched.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// The stand-in's base URL and the paths it was asked for.
pub(crate) struct Shop {
    pub(crate) address: String,
    pub(crate) requested: Arc<Mutex<Vec<String>>>,
}

impl Shop {
    pub(crate) fn open(gone: &[&str]) -> Self {
        let gone: Vec<String> = gone.iter().map(|g| (*g).to_owned()).collect();
        Self::answering(move |path| {
            if gone.iter().any(|g| path.contains(g.as_str())) {
                (
                    "404 Not Found",
                    "<html>This product is no longer available.</html>".to_owned(),
                )
            } else {
                ("200 OK", "<html>Wireless earbuds, 5 USD</html>".to_owned())
            }
        })
    }

    /// A stand-in answering each request path (with its query) with `page`'s status line
    /// and HTML body.
    pub(crate) fn answering(
        page: impl Fn(&str) -> (&'static str, String) + Send + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = format!("http://{}", listener.local_addr().unwrap());
        let requested = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requested);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut request_line = String::new();
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                // Read the headers to their end before answering.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or("/");
                log.lock().unwrap().push(path.to_owned());
                let (status, body) = page(path);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Self { address, requested }
    }

    /// The paths requested so far.
    pub(crate) fn requested(&self) -> Vec<String> {
        self.requested.lock().unwrap().clone()
    }
}
