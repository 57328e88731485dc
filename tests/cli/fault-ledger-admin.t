#!/bin/bash
# The fault matrix for ledger-admin: bad and locked databases, key files,
# a closed or full stdout.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"
ledger_init
F_NAME=ledger-admin
newkey fa
"$LA" --db "$tmp/a.db" --run f-1 <<<"$F_GOOD" >/dev/null

F_CMD=("$LADM" stats)
fault_db_bad
F_CMD=("$LADM" checkpoint --key "$tmp/fa.key")
fault_db_bad
fault_db_locked "$tmp/a.db" --db "$tmp/a.db"

F_CMD=("$LADM" checkpoint --db "$tmp/a.db")
fault_keyfile --key

"$LADM" stats --db "$tmp/a.db" >&- 2>"$tmp/e1"
is "$?:$(cat "$tmp/e1")" "4:ledger-admin: write error: Bad file descriptor" "stats, a closed stdout: exit 4, said so"
"$LADM" stats --db "$tmp/a.db" >/dev/full 2>"$tmp/e2"
is "$?:$(cat "$tmp/e2")" "4:ledger-admin: write error: No space left on device" "stats, a full disk (/dev/full): exit 4, said so"
is "$(epipe "$LADM" stats --db "$tmp/a.db")" "4:ledger-admin: write error: Broken pipe" \
	"stats, a closed pipe (EPIPE): exit 4, said so"
"$LADM" keygen --name full -o "$tmp/full.key" >/dev/full 2>"$tmp/e3"
is "$?" 4 "keygen, a full stdout: exit 4 (the verifier key was not shown)"

done_testing
