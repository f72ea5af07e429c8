#!/usr/bin/env bash
# Engine on the memory store vs the cqrs-es 0.5 peer (../shared/bench/cqrs-es-peer), measured
# alternately in the same run because the machine is shared and noisy. Prints each run and the
# median ratio of our commands/s to the peer's.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-5}
peer_manifest=../shared/bench/cqrs-es-peer/Cargo.toml
CARGO_TARGET_DIR=/tmp/cqrs-es-peer-target cargo build --quiet --release --manifest-path "$peer_manifest"
cargo build --quiet --release --example bench_engine_memory
peer=() one=() two=()
for _ in $(seq "$rounds"); do
  line=$(/tmp/cqrs-es-peer-target/release/cqrs-es-peer 200000 | tail -n 1)
  echo "$line"; peer+=("${line##*cps=}")
  while read -r line; do
    echo "$line"
    case "$line" in
      *tasks=1*) one+=("${line##*cps=}") ;;
      *tasks=2*) two+=("${line##*cps=}") ;;
    esac
  done < <(./target/release/examples/bench_engine_memory 40000)
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
p=$(median "${peer[@]}"); o=$(median "${one[@]}"); t=$(median "${two[@]}")
awk -v p="$p" -v o="$o" -v t="$t" 'BEGIN {
  printf "median cps: peer %d, aliprotect 1 task %d (%.2fx, target 1.5x), 2 tasks %d (%.2fx)\n", p, o, o/p, t, t/p }'
