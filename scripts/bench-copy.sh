#!/usr/bin/env bash
# A desk outgrows its SQLite file: ROWS complaints (default 100,000, filed by `complaint
# import`, some then accepted and removed) are copied to PostgreSQL with `aliprotect db copy`,
# which is killed with SIGKILL once about half the streams are in, then run again: it
# finishes and checks the copy (counts, and every snapshot, counter and tally against a
# replay). Three CLI processes then work on the PostgreSQL database at once. Finally a
# backup of the SQLite file is taken while another process writes to it, and copied into a
# new file with the same check. Prints each step's time.
# Usage: scripts/bench-copy.sh   (ROWS=20000 for a quicker run)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "no PostgreSQL server binaries found (apt-get install postgresql)"; exit 1; }
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
work=$(mktemp -d /tmp/aliprotect-bench-copy.XXXXXX); chmod 755 "$work"
[ "$(id -u)" = 0 ] && chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg "$bin/initdb" -D "$work/data" -U postgres -A trust >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
  -o "-p $port -k $work -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
url="postgresql://postgres@127.0.0.1:$port/postgres"

cargo build --quiet --release -p aliprotect-cli
cli=$PWD/target/release/aliprotect
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

awk -v rows="$ROWS" 'BEGIN {
  print "url,title,seller"
  for (n = 0; n < rows; n++)
    printf "https://seller%d.en.alibaba.com/product/%d.html,Earbuds %d,Seller %d\n", n % 500, 1600000000 + n, n, n % 500
}' > "$work/found.csv"
source scripts/cli-fixture.sh
export ALIPROTECT_DB="$work/desk.db"
t=$(now)
right=$(approved_right "$cli")
"$cli" complaint import "$work/found.csv" --right "$right" --reason trademark-counterfeit \
  --explanation "Counterfeit earbuds bearing our registered mark" -q > "$work/ids"
# Some complaints move on, so that counters, tallies, timers and the outbox vary.
head -n 200 "$work/ids" | xargs "$cli" complaint record accepted -q > /dev/null
head -n 100 "$work/ids" | xargs "$cli" complaint record removed -q > /dev/null
echo "step=file rows=$ROWS secs=$(since "$t") sqlite_mib=$(( $(stat -c %s "$ALIPROTECT_DB") / 1048576 ))"
streams=$(( ROWS + 2 ))

# The copy, killed halfway.
t=$(now)
"$cli" db copy --to "$url" --no-verify > /dev/null 2> "$work/copy1.err" &
copy=$!
copied=0
while kill -0 "$copy" 2>/dev/null; do
  copied=$(psql -qtA "$url" -c "SELECT count(*) FROM streams" 2>/dev/null || echo 0)
  if [ "${copied:-0}" -ge $(( streams / 2 )) ]; then
    kill -9 "$copy"
    break
  fi
  sleep 0.2
done
wait "$copy" 2>/dev/null && status=0 || status=$?
copied=$(psql -qtA "$url" -c "SELECT count(*) FROM streams")
echo "step=copy-killed status=$status streams_copied=$copied of=$streams secs=$(since "$t")"
[ "$status" -ne 0 ] || { echo "the copy ended before it was killed: use more ROWS"; exit 1; }

# Run again: it goes on, then checks the copy.
t=$(now)
# (Notes for people go to stderr in the table format: the figures are read from them.)
"$cli" db copy --to "$url" > "$work/summary.txt" 2> "$work/copy2.err" || { cat "$work/copy2.err"; exit 1; }
echo "step=copy-resumed secs=$(since "$t")"
grep -o 'Copied.*' "$work/copy2.err"
grep -o 'Checked in [0-9.]* s' "$work/copy2.err"
cat "$work/summary.txt"

# Three processes at once on PostgreSQL: each records outcomes of its own complaints and
# ticks.
t=$(now)
pids=()
for n in 0 1 2; do
  (
    sed -n "$(( 1000 + n * 100 )),$(( 1099 + n * 100 ))p" "$work/ids" \
      | xargs "$cli" --db "$url" complaint record accepted -q > /dev/null
    "$cli" --db "$url" tick -q > /dev/null
  ) &
  pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done
# 100 of the 200 accepted in the file were then removed; the three took up 300 more.
in_progress=$("$cli" --db "$url" complaint list --status in-progress --limit 1000000 -q | wc -l)
echo "step=serve processes=3 commands=300 secs=$(since "$t") in_progress=$in_progress expected=400"
[ "$in_progress" -eq 400 ] || { echo "the processes' commands are not all in the copy"; exit 1; }

# A backup while another process writes to the file; then checked against a replay.
sed -n '2000,2999p' "$work/ids" > "$work/later"
(xargs -n 10 "$cli" complaint record accepted -q < "$work/later" > /dev/null) &
writer=$!
sleep 0.5
t=$(now)
"$cli" db backup --to "$work/backup.db" --format csv | tail -n 1
echo "step=backup secs=$(since "$t") writer_still_running=$(kill -0 "$writer" 2>/dev/null && echo yes || echo no)"
wait "$writer"
t=$(now)
"$cli" db copy --from "$work/backup.db" --to "$work/replayed.db" > /dev/null 2> "$work/check.err" \
  || { cat "$work/check.err"; exit 1; }
echo "step=backup-checked secs=$(since "$t") $(grep -o 'Checked in [0-9.]* s' "$work/check.err")"
