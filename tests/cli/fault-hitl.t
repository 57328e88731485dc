#!/bin/bash
# The fault matrix (tests/cli/fault.sh) for hitl gate, and the queue's
# database faults for gate and for the commands an operator runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"
ledger_init

F_NAME=hitl
# what reaches the gate has been scrubbed and checked
F_GOOD=$(checked "$F_GOOD")
F_CMD=("$bin/hitl" gate --db "$tmp/h.db" -p "$POLICY")
F_MAXLINE="--max-line 1K"
F_FULL_ERR="hitl: database '$tmp/h.db': *"	# the queue's database fills first
fault_filter

F_CMD=("$bin/hitl" gate -p "$POLICY")
fault_db_bad
F_CMD=("$bin/hitl" list -p "$POLICY")
fault_db_bad

# a locked queue: an ask record cannot be queued, so it is not passed on
ask=$(checked '{"run_id":"f-1","tool":"deploy","args":{"env":"production"}}')
"$bin/hitl" gate --db "$tmp/q.db" -p "$POLICY" <<<"$F_GOOD" >/dev/null
F_GOOD=$ask
F_CMD=("$bin/hitl" gate --db "$tmp/q.db" -p "$POLICY")
fault_db_locked "$tmp/q.db"
is "$(sqlite3 "$tmp/q.db" "SELECT count(*) FROM entries WHERE kind != 'policy.bind'")" 0 \
	"a locked queue: nothing queued, nothing logged"

F_CMD=("$bin/hitl" gate --db "$tmp/k.db" -p "$POLICY")
fault_keyfile --key

done_testing
