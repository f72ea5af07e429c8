#!/usr/bin/env bash
# The public API of every library crate, as committed in public-api.txt: rustdoc's JSON
# (an unstable output of the stable toolchain's rustdoc, enabled with RUSTC_BOOTSTRAP=1, as
# the fuzz targets are) read by scripts/public_api.py into one sorted line per item.
#
#   scripts/public-api.sh          rewrite public-api.txt (commit it with the change)
#   scripts/public-api.sh --check  fail, showing the difference, if the API differs from it
set -euo pipefail
cd "$(dirname "$0")/.."
target=target/public-api
crates=(aliprotect aliprotect-core aliprotect-store-memory aliprotect-store-sqlite
        aliprotect-store-postgres aliprotect-notify-webhook aliprotect-notify-email
        aliprotect-probe-http aliprotect-evidence aliprotect-sweep aliprotect-search-http
        aliprotect-inbox aliprotect-web)
packages=()
for crate in "${crates[@]}"; do packages+=(-p "$crate"); done
RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="-Z unstable-options --output-format json" \
  cargo doc --quiet --no-deps --lib --all-features "${packages[@]}" --target-dir "$target"
files=()
for crate in "${crates[@]}"; do files+=("$target/doc/${crate//-/_}.json"); done
listed=$(python3 scripts/public_api.py "${files[@]}")
if [ "${1:-}" = "--check" ]; then
  if ! diff -u public-api.txt <(printf '%s\n' "$listed"); then
    echo "The public API differs from public-api.txt: if the change is meant, run" >&2
    echo "scripts/public-api.sh and commit public-api.txt with it." >&2
    exit 1
  fi
else
  printf '%s\n' "$listed" > public-api.txt
  echo "public-api.txt: $(wc -l < public-api.txt) items"
fi
