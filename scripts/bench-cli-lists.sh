#!/usr/bin/env bash
# `aliprotect due` and `aliprotect complaint list` on a database of ROWS complaints (default
# 100,000, filed by `complaint import`, each with its response deadline pending): their peak
# memory (max RSS) and time, as a user runs them (`--limit 20`, the default limit, and every
# row; a list's first page, and one filtered by status; the sellers' records and the
# dashboard). With REV, the same for the
# CLI built at REV, on a database that build filed itself (a newer schema would be refused).
# Usage: scripts/bench-cli-lists.sh [REV]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
rev=${1:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --release -p aliprotect-cli
builds=("after=$PWD/target/release/aliprotect")
if [ -n "$rev" ]; then
  tree="${AB_DIR:-/tmp/aliprotect-ab}/tree-$(git rev-parse --short "$rev")"
  [ -d "$tree" ] || git worktree add -f "$tree" "$rev" >/dev/null
  (cd "$tree" && CARGO_TARGET_DIR="${AB_DIR:-/tmp/aliprotect-ab}/target" \
    cargo build --quiet --release -p aliprotect-cli)
  builds=("before=${AB_DIR:-/tmp/aliprotect-ab}/target/release/aliprotect" "${builds[@]}")
fi

awk -v rows="$ROWS" 'BEGIN {
  print "url,title,seller"
  for (n = 0; n < rows; n++)
    printf "https://seller%d.en.alibaba.com/product/%d.html,Earbuds %d,Seller %d\n", n % 500, 1600000000 + n, n, n % 500
}' > "$work/found.csv"
source scripts/cli-fixture.sh

for build in "${builds[@]}"; do
  name=${build%%=*} cli=${build#*=}
  export ALIPROTECT_DB="$work/$name.db"
  right=$(approved_right "$cli")
  "$cli" complaint import "$work/found.csv" --right "$right" --reason trademark-counterfeit \
    --explanation "Counterfeit earbuds bearing our registered mark" -q > /dev/null
  for limit in 20 1000 "$ROWS"; do
    /usr/bin/time -f "%M %e" -o "$work/time" "$cli" due --limit "$limit" --format csv > "$work/out.csv"
    read -r kib secs < "$work/time"
    echo "build=$name rows=$ROWS command=due limit=$limit lines=$(wc -l < "$work/out.csv") max_rss_mib=$((kib / 1024)) secs=$secs"
  done
  for filter in "" "--status submitted"; do
    # shellcheck disable=SC2086 # the filter is two words or none
    /usr/bin/time -f "%M %e" -o "$work/time" "$cli" complaint list --limit 20 $filter \
      --format csv > "$work/out.csv"
    read -r kib secs < "$work/time"
    echo "build=$name rows=$ROWS command=complaint-list${filter:+ $filter} limit=20 lines=$(wc -l < "$work/out.csv") max_rss_mib=$((kib / 1024)) secs=$secs"
  done
  # The sellers' records and the dashboard (metrics and the filer's accuracy).
  for command in "seller list" "dashboard"; do
    # shellcheck disable=SC2086 # the command is two words or one
    /usr/bin/time -f "%M %e" -o "$work/time" "$cli" $command --format csv > "$work/out.csv"
    read -r kib secs < "$work/time"
    echo "build=$name rows=$ROWS command=${command// /-} lines=$(wc -l < "$work/out.csv") max_rss_mib=$((kib / 1024)) secs=$secs"
  done
done
