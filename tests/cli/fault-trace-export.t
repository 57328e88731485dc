#!/bin/bash
# The fault matrix for trace-export: bad and busy databases, a closed or
# full stdout, a full disk under -o (nothing half-written left behind).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"
ledger_init
F_NAME=trace-export
newkey ft
for i in $(seq 1 3000); do printf '{"i":%d,"note":"%s"}\n' "$i" "$F_SECRET"; done |
	"$LA" --db "$tmp/t.db" --run f-1 --key "$tmp/ft.key" >/dev/null

F_CMD=("$TEX" --format jsonl)
fault_db_bad
F_CMD=("$TEX" --run f-1)
fault_db_bad

# a writer holding the database does not stop an export (WAL readers go on)
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(3)' "$tmp/t.db" >"$tmp/lock.out" &
holder=$!
for _ in $(seq 1 50); do [ -s "$tmp/lock.out" ] && break; sleep 0.1; done
PHIKIT_DB_TIMEOUT_MS=300 run "$TEX" --db "$tmp/t.db" --format jsonl
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
is "$rc:$(wc -l <"$tmp/out" | tr -d ' ')" "0:3000" "a writer holding the database: the export reads on"

for fmt in json jsonl otlp; do
	is "$(epipe "$TEX" --db "$tmp/t.db" --run f-1 --format $fmt)" "4:trace-export: write error: Broken pipe" \
		"$fmt, a closed pipe (EPIPE): exit 4, said so"
	"$TEX" --db "$tmp/t.db" --run f-1 --format $fmt >&- 2>"$tmp/e1"
	is "$?:$(cat "$tmp/e1")" "4:trace-export: write error: Bad file descriptor" "$fmt, a closed stdout: exit 4, said so"
	"$TEX" --db "$tmp/t.db" --run f-1 --format $fmt >/dev/full 2>"$tmp/e2"
	is "$?:$(cat "$tmp/e2")" "4:trace-export: write error: No space left on device" \
		"$fmt, a full disk (/dev/full): exit 4, said so"
done
(
	ulimit -f 16
	trap '' XFSZ
	"$TEX" --db "$tmp/t.db" --run f-1 -o "$tmp/full.json" 2>"$tmp/e3"
	echo $? >"$tmp/rc3"
) 2>/dev/null
like "$(cat "$tmp/rc3"):$(cat "$tmp/e3")" "4:trace-export: *" "-o on a full disk (ulimit -f): exit 4"
is "$(ls "$tmp" | grep -c '^full\.json')" 0 "-o on a full disk: neither the file nor its temporary is left"

run "$TEX" --db "$tmp/t.db" --run nope
is "$rc:$out" "2:" "an unknown run: exit 2, nothing out"
done_testing
