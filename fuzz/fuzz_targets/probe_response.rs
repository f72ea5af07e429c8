//! The check-back probe against a hostile marketplace: whatever bytes come back as the
//! HTTP response (broken status lines, absurd headers, bodies of any size or encoding), the
//! probe answers within its timeout with a finding, and never reads more of a page than its
//! limit. A local server answers every request with the fuzz input.
#![no_main]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use aliprotect::listing::Listing;
use aliprotect::marketplace::Marketplace;
use aliprotect::probe::{ListingProbe, ProbeFinding};
use aliprotect::probe_http::{HttpProbe, HttpProbeConfig};
use libfuzzer_sys::fuzz_target;

static RESPONSE: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct Harness {
    runtime: tokio::runtime::Runtime,
    probe: HttpProbe,
    listing: Listing,
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let address = listener.local_addr().expect("an address");
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let response = RESPONSE.lock().expect("lock").clone();
                let _ = stream.write_all(&response);
            }
        });
        let mut config = HttpProbeConfig {
            timeout: Duration::from_secs(2),
            per_host_interval: Duration::ZERO,
            via: Some(format!("http://{address}").parse().expect("a URL")),
            ..HttpProbeConfig::default()
        };
        config
            .removed_markers
            .insert(Marketplace::AlibabaCom, vec!["no longer available".into()]);
        Harness {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            probe: HttpProbe::new(config).expect("a probe"),
            listing: Listing::parse(
                "https://www.alibaba.com/product-detail/Earbuds_1600123456789.html",
            )
            .expect("a listing"),
        }
    })
}

fuzz_target!(|input: &[u8]| {
    let harness = harness();
    *RESPONSE.lock().expect("lock") = input.to_vec();
    let started = Instant::now();
    let finding = harness
        .runtime
        .block_on(harness.probe.probe(&harness.listing));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the probe outlived its timeout"
    );
    if let ProbeFinding::Unknown { reason } = &finding {
        assert!(reason.len() < 4096, "a bounded reason");
    }
});
