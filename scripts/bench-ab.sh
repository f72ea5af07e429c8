#!/usr/bin/env bash
# Same-run A/B of the store and engine benchmarks: the build at REV (default: the commit
# before HEAD) against the working tree's, alternating ROUNDS times (default 3), then the
# median of after / before per case. For changes whose cost must be told from the noise of
# a shared machine. REV is built in a worktree with its own target directory.
# Usage: scripts/bench-ab.sh [REV]
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-HEAD~1}
rounds=${ROUNDS:-3}
work=${AB_DIR:-/tmp/aliprotect-ab}
before_tree="$work/tree-$(git rev-parse --short "$rev")"
[ -d "$before_tree" ] || git worktree add -f "$before_tree" "$rev" >/dev/null
(cd "$before_tree" && CARGO_TARGET_DIR="$work/target" cargo build --quiet --release \
  --example bench_sqlite --example bench_engine_memory)
cargo build --quiet --release --example bench_sqlite --example bench_engine_memory
before="$work/target/release/examples" after=./target/release/examples
log="$work/ab.log"; : > "$log"
cd "$work"
for round in $(seq "$rounds"); do
  for build in before after; do
    dir=$before; [ "$build" = after ] && dir=$OLDPWD/$after
    for args in "single 20000" "concurrent 120000 normal" "concurrent 60000 full" \
                "bulk 100000" "intake 100000"; do
      echo "$build|$args|$("$dir/bench_sqlite" $args | tail -n 1)" | tee -a "$log"
    done
    "$dir/bench_engine_memory" 40000 | sed "s/^/$build|memory|/" | tee -a "$log"
  done
done
awk -F'|' '{
  case_ = $2; if (case_ == "memory") { match($3, /tasks=[0-9]+/); case_ = "memory " substr($3, RSTART, RLENGTH) }
  match($3, /(eps|rows_per_sec|cps)=[0-9]+/); split(substr($3, RSTART, RLENGTH), kv, "=")
  values[case_ "|" $1] = values[case_ "|" $1] " " kv[2]; cases[case_] = 1 }
function median(list,   n, a, i, j, t) { n = split(list, a, " ");
  for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
  return a[int((n + 1) / 2)] }
END { for (c in cases) printf "%-28s before %8d  after %8d  ratio %.2f\n", c,
  median(values[c "|before"]), median(values[c "|after"]), median(values[c "|after"]) / median(values[c "|before"]) }' "$log"
