#!/usr/bin/env bash
# Runs every fuzz target in fuzz/ for SECONDS each (default 60), one after the other, and
# fails on the first finding (a crash, a failed assertion, a hang over 10 s, or more than
# 2 GiB of memory). libFuzzer through cargo-fuzz, on the stable toolchain: RUSTC_BOOTSTRAP=1
# and `--sanitizer none` (ASan needs nightly); debug assertions are on, so an arithmetic
# overflow is a finding too.
#
#   scripts/fuzz.sh 60                          # every target, a minute each
#   TARGETS="listing_url text" scripts/fuzz.sh 300
#
# The committed seeds are in fuzz/seeds/TARGET; what a run learns goes to fuzz/corpus/TARGET
# (not committed), a finding to fuzz/artifacts/TARGET, each run's log to fuzz/logs/TARGET.log.
# A finding becomes a regression test in the ordinary test suite (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
fuzz() { cargo fuzz "$1" --fuzz-dir fuzz "${@:2}"; }
targets=${TARGETS:-$(fuzz list)}
fuzz build --sanitizer none
mkdir -p fuzz/logs
status=0
for target in $targets; do
  mkdir -p "fuzz/corpus/$target"
  log="fuzz/logs/$target.log"
  if fuzz run --sanitizer none "$target" "fuzz/corpus/$target" "fuzz/seeds/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      > "$log" 2>&1; then
    result=clean
  else
    result="FINDING (see $log and fuzz/artifacts/$target)"
    status=1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
  echo "target=$target seconds=$seconds executions=$runs exec_per_sec=$rate corpus=$corpus $result"
  [ "$status" = 0 ] || exit "$status"
done
