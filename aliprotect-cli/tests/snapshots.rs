//! Snapshot tests of what people read: every `--help` documented in `cmd/help.md`, and the
//! tables of a short session in `cmd/tables.trycmd` (ids are fixed by idempotency keys, the
//! time by `ALIPROTECT_NOW`). After an intended change: `TRYCMD=overwrite cargo test -p
//! aliprotect-cli --test snapshots`, then read the diff.

#[test]
fn help_and_tables_read_as_documented() {
    trycmd::TestCases::new()
        .default_bin_name("aliprotect")
        .env("ALIPROTECT_NOW", "2026-03-02T09:00:00Z")
        .env("ALIPROTECT_DB", "snapshots.db")
        .env("ALIPROTECT_CLIENT", "default")
        .env("NO_COLOR", "1")
        .env("USER", "paralegal")
        .case("tests/cmd/*.md")
        .case("tests/cmd/*.trycmd");
}
