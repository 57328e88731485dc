#!/bin/bash
# make demo, end to end, in a scratch folder: every step it shows must work.
. "$(dirname "$0")/lib.sh"
unset PHIKIT_LLM_ENDPOINT PHIKIT_DB
DEMO_DIR=$tmp/demo run "$top/scripts/demo"
is "$rc" 0 "the demo: exit 0"
like "$out" "*model: RECORDED answers replayed from examples/recorded-responses.jsonl*" \
	"the demo says its model answers are recorded"
like "$out" "*guard-check: 8 records allow=6 warn=0 ask=1 deny=1 dropped=1*" \
	"the demo: one answer denied and dropped, one queued"
ok "$(grep -cF 'released after review: {"id":"ex-3","hitl":{"item":1,"status":"approved","reviewers":["demo-reviewer"]}}' "$tmp/out" | grep -qx 1; echo $?)" \
	"the demo: the queued answer approved and released"
like "$out" "*ledger OK: 18 entries, 4 runs, checkpoint 18 signed by phikit-demo+*; extends the saved checkpoint 18*" \
	"the demo: the ledger verifies against its key and its saved checkpoints"
like "$out" "*bundle OK: run demo-2, 7 entries*" "the demo: the exported bundle verifies"
is "$(wc -l <"$tmp/demo/released.jsonl" | tr -d ' ')" 7 "the demo: seven answers passed on in all"
is "$(stat -c %a "$tmp/demo")" 700 "the demo's folder is private"
like "$(cat "$tmp/demo/report_demo-2.html" 2>/dev/null)" "*<h1>Audit report: run <code>demo-2</code></h1>*" \
	"the demo writes the HTML report"
ok "$(pgrep -f "$top/scripts/replay-llm" >/dev/null; [ $? -ne 0 ]; echo $?)" "the demo leaves no replay server behind"
done_testing
