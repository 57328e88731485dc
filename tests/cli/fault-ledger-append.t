#!/bin/bash
# The fault matrix (tests/cli/fault.sh) for ledger-append, and the
# database's own faults: a full disk mid-stream, a locked, a bad database.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"
ledger_init

F_NAME=ledger-append
F_CMD=("$LA" --db "$tmp/f.db" -p "$tmp/plain.yaml")
F_MAXLINE="--max-line 1K"
F_FULL_ERR="ledger-append: database '$tmp/f.db': *"	# the database fills first
fault_filter

# a full disk mid-stream: the database stops growing; what was passed on
# is exactly what was committed, and the ledger still verifies
rm -f "$tmp"/g.db*
"$LA" --db "$tmp/g.db" <<<"$F_GOOD" >/dev/null
(
	ulimit -f 256
	trap '' XFSZ
	"$LA" --db "$tmp/g.db" --batch 100 <"$tmp/many" >"$tmp/g.out" 2>"$tmp/g.err"
	echo $? >"$tmp/g.rc"
) 2>/dev/null
is "$(cat "$tmp/g.rc")" 4 "a full disk mid-stream: exit 4"
like "$(cat "$tmp/g.err")" "ledger-append: database '$tmp/g.db': *" "a full disk mid-stream: the database named"
is "$(($(wc -l <"$tmp/g.out") + 1))" "$(sqlite3 "$tmp/g.db" 'SELECT count(*) FROM entries')" \
	"a full disk mid-stream: every record passed on is in the ledger, no other"
run "$LV" --db "$tmp/g.db" --self-asserted
is "$rc" 0 "a full disk mid-stream: the ledger still verifies"

F_CMD=("$LA" -p "$tmp/plain.yaml")
fault_db_bad
"$LA" --db "$tmp/l.db" <<<"$F_GOOD" >/dev/null
fault_db_locked "$tmp/l.db" --db "$tmp/l.db"

F_CMD=("$LA" --db "$tmp/k.db" -p "$tmp/plain.yaml")
fault_keyfile --key

done_testing
