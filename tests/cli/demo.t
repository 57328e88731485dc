#!/bin/bash
# make demo, end to end, in a scratch folder: every step it shows must work.
. "$(dirname "$0")/lib.sh"
unset PHIKIT_LLM_ENDPOINT PHIKIT_DB
DEMO_DIR=$tmp/demo run "$top/scripts/demo"
is "$rc" 0 "the demo: exit 0"
like "$out" "*model: RECORDED answers replayed from examples/recorded-responses.jsonl*" \
	"the demo says its model answers are recorded"
like "$out" "*guard-check: 8 records allow=6 warn=0 ask=1 deny=1*" \
	"the demo: one answer denied, one queued"
like "$err" "*hitl: withheld a denied record (run demo-1), logged as hitl.deny*" \
	"the demo: the denied answer withheld, and logged"
is "$(jq -c 'select(.kind == "hitl.deny") | [.run_id, .guard]' "$tmp/demo/siem.jsonl")" \
	'["demo-1",{"verdict":"deny","rules":["diagnosis","prescribing","diagnosis-model","prescribing-model","not-medical-advice","consult-provider"]}]' \
	"the demo: the denial and its rules are in the SIEM export"
ok "$(grep -cF 'released after review: {"id":"ex-3","hitl":{"item":1,"status":"approved","reviewers":["demo-reviewer"]}}' "$tmp/out" | grep -qx 1; echo $?)" \
	"the demo: the queued answer approved and released"
like "$out" "*ledger OK: 20 entries, 5 runs, checkpoint 20 signed by phikit-demo+*; extends the saved checkpoint 20*" \
	"the demo: the ledger verifies against its key and its saved checkpoints"
like "$out" "*bundle OK: run demo-2, 7 entries*" "the demo: the exported bundle verifies"
is "$(wc -l <"$tmp/demo/released.jsonl" | tr -d ' ')" 7 "the demo: seven answers passed on in all"
is "$(stat -c %a "$tmp/demo")" 700 "the demo's folder is private"
like "$(cat "$tmp/demo/report_demo-2.html" 2>/dev/null)" "*<h1>Audit report: run <code>demo-2</code></h1>*" \
	"the demo writes the HTML report"
# its own replay server, by the pid it started (another demo may be running)
replay=$(cat "$tmp/demo/replay.pid" 2>/dev/null)
for _ in $(seq 20); do kill -0 "$replay" 2>/dev/null || break; sleep 0.1; done
ok "$([ -n "$replay" ] && ! kill -0 "$replay" 2>/dev/null; echo $?)" "the demo leaves no replay server behind"
done_testing
