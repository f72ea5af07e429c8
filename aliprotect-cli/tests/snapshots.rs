//! Snapshot tests of what people read: every `--help` documented in `cmd/help.md`, and the
//! tables of a short session in `cmd/tables.trycmd` (ids are fixed by idempotency keys, the
//! time by `ALIPROTECT_NOW`). After an intended change: `TRYCMD=overwrite cargo test -p
//! aliprotect-cli --test snapshots`, then read the diff.

#[test]
fn help_and_tables_read_as_documented() {
    // A fresh database each run, outside the source tree; shown as `[DB]` in the cases.
    let dir = tempfile::tempdir().expect("a temp dir");
    let db = dir.path().join("snapshots.db").display().to_string();
    trycmd::TestCases::new()
        .default_bin_name("aliprotect")
        .insert_var("[DB]", db.clone())
        .expect("a valid variable")
        .env("ALIPROTECT_NOW", "2026-03-02T09:00:00Z")
        .env("ALIPROTECT_DB", db)
        .env("ALIPROTECT_CLIENT", "default")
        .env("NO_COLOR", "1")
        .env("USER", "paralegal")
        .case("tests/cmd/*.md")
        .case("tests/cmd/*.trycmd");
}
