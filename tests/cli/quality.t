#!/bin/bash
# The quality bars, on the dev corpus and on our own held-out corpus
# (tests/corpus, other phrasing and other names): recall >= 0.99 overall,
# >= 0.97 on NAME, keep rate >= 0.98, scored by ../shared/tools/phi-eval.
. "$(dirname "$0")/lib.sh"

eval_tool=$top/../shared/tools/phi-eval
check() {	# check NAME CORPUS
	if [ ! -r "$2" ] || [ ! -x "$eval_tool" ]; then
		echo "ok $((n + 1)) # skip $1: no corpus or phi-eval beside the repo"; n=$((n + 1))
		return
	fi
	"$bin/phi-scrub" -p "$POLICY" <"$2" >"$tmp/out.jsonl"
	python3 "$eval_tool" "$2" "$tmp/out.jsonl" --json >"$tmp/eval.json"
	read -r recall name keep <<<"$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["recall"], r["per_label"]["NAME"]["recall"], r["keep_rate"])' "$tmp/eval.json")"
	python3 -c "import sys; sys.exit(not ($recall >= 0.99))"; ok $? "$1: recall $recall >= 0.99"
	python3 -c "import sys; sys.exit(not ($name >= 0.97))"; ok $? "$1: NAME recall $name >= 0.97"
	python3 -c "import sys; sys.exit(not ($keep >= 0.98))"; ok $? "$1: keep rate $keep >= 0.98"
}
check dev "$top/../shared/corpus/phi-dev.jsonl"
check held-out "$top/tests/corpus/heldout.jsonl"
done_testing
