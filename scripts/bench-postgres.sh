#!/usr/bin/env bash
# The engine on the PostgreSQL store next to raw PostgreSQL (pgbench running one command's
# write shape: ../shared/bench/postgres-limit) and to cqrs-es with postgres-es
# (../shared/bench/cqrs-es-postgres-peer), all on one throwaway durable cluster (fsync on,
# synchronous_commit on) in the same run, each of our figures printed with its ratio.
# Then one engine process against three on one tenant. LARGE=1 also files 1,000,000
# complaints in a campaign and times dashboard counts, campaign metrics and loads. POOLER=1
# also measures the engines behind PgBouncer in transaction mode.
# SECS (default 15) is pgbench's time per case.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "no PostgreSQL server binaries found (apt-get install postgresql)"; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
dir=$(mktemp -d /tmp/aliprotect-bench-pg.XXXXXX); chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$bin/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
export PGURL="postgresql://postgres@127.0.0.1:$port/postgres"
peer_url="postgresql://postgres@127.0.0.1:$port/peer"
psql -q "$PGURL" -c "CREATE DATABASE peer" >/dev/null

cargo build --quiet --release -p aliprotect-store-postgres --example bench_postgres
bench=$root/target/release/examples/bench_postgres
peer_target=${PEER_TARGET:-/tmp/cqrs-es-postgres-peer}
(cd ../shared/bench/cqrs-es-postgres-peer && cargo build --quiet --release --target-dir "$peer_target")
peer=$peer_target/release/cqrs-es-postgres-peer

reference=$(../shared/bench/postgres-limit/run.sh)
echo "$reference"
peer1=$(PGURL=$peer_url "$peer" 20000 1 events | tail -n 1); echo "$peer1"
peer64=$(PGURL=$peer_url "$peer" 100000 64 events | tail -n 1); echo "$peer64"

cps() { echo "$1" | sed 's/.*\(cps\|tps\)=\([0-9]*\).*/\2/'; }
ratio() { # our line, reference line, name of the reference, target
  awk -v o="$(cps "$1")" -v r="$(cps "$2")" -v line="$1" -v name="$3" -v want="$4" \
    'BEGIN { printf "%s  ratio=%.2f to %s (target %s)\n", line, o / r, name, want }'
}
raw1=$(echo "$reference" | grep "clients=1 ")
raw64=$(echo "$reference" | grep "clients=64 ")
single=$("$bench" single 30000)
ratio "$single" "$raw1" "pgbench 1 client" ">= 0.6"
ratio "$single" "$peer1" "postgres-es 1 task" ">= 2"
concurrent=$("$bench" concurrent 120000)
ratio "$concurrent" "$raw64" "pgbench 64 clients" ">= 0.8"
ratio "$concurrent" "$peer64" "postgres-es 64 tasks" ">= 2.5"
# A tick firing 100,000 due check-backs, then the delivery of what it queued.
"$bench" tick 100000

# One process, then three at once, on one tenant and right (shared counters and tallies).
setup=$("$bench" setup)
one=$(env $setup "$bench" shared 60000)
echo "$one"
for i in 1 2 3; do env $setup "$bench" shared 60000 > "$dir/shared-$i.out" & done
wait
cat "$dir"/shared-*.out
three=$(cat "$dir"/shared-*.out | awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "=");
  if (kv[1] == "commands") c += kv[2]; if (kv[1] == "secs" && kv[2] > s) s = kv[2] } }
  END { printf "case=three-processes commands=%d secs=%.3f cps=%.0f", c, s, c / s }')
ratio "$three" "$one" "one process" ">= 1"

# What a pooler in transaction mode costs: statements sent unnamed (parsed and planned on
# every run), straight to the server and then through PgBouncer, against the cached
# statements measured above.
if [ "${POOLER:-0}" = 1 ]; then
  pgbouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
  bouncer_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  printf '"postgres" ""\n' > "$dir/users.txt"
  cat > "$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$port
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bouncer_port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 64
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
  [ "$(id -u)" = 0 ] && chown postgres "$dir"/users.txt "$dir"/pgbouncer.ini
  as_pg "$pgbouncer" -d "$dir/pgbouncer.ini"
  trap 'kill $(cat "$dir/pgbouncer.pid") 2>/dev/null; as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
  sleep 1
  for route in "unnamed|postgresql://postgres@127.0.0.1:$port/{db}?pooler=transaction" \
               "pgbouncer|postgresql://postgres@127.0.0.1:$bouncer_port/{db}?pooler=transaction"; do
    name=${route%%|*}
    one=$(BENCH_ENGINE_URL=${route#*|} "$bench" single 30000)
    ratio "$one  route=$name" "$single" "cached statements, 1 task" "what is given up"
    many=$(BENCH_ENGINE_URL=${route#*|} "$bench" concurrent 120000)
    ratio "$many  route=$name" "$concurrent" "cached statements, 64 tasks" "what is given up"
  done
fi

if [ "${LARGE:-0}" = 1 ]; then
  "$bench" large 1000000
fi
