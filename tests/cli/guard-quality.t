#!/bin/bash
# The quality bars of guard-check with the HIPAA pack, on the dev corpus
# (../shared/corpus/guard-dev.jsonl) and on our own held-out corpus
# (tests/corpus/guard-heldout.jsonl, other phrasing, conditions and drugs):
# accuracy >= 0.98, scored as (verdict == deny) == (expect == deny), and
# not one record expected deny for phi or prescribing let through
# unreviewed (verdict allow or warn). Scored by tests/corpus/guard-score.
# A second held-out set (guard-heldout2.jsonl) was written after the rules
# were frozen and scored once, untuned: 0.8870, its misses nearly all
# conditions and drugs outside the pack's lists. Its floor of 0.88 only
# catches regressions; the strict phi/prescribing bar holds on it too.
. "$(dirname "$0")/lib.sh"

score=$top/tests/corpus/guard-score
check() {	# check NAME CORPUS [MIN-ACCURACY]
	if [ ! -r "$2" ]; then
		echo "ok $((n + 1)) # skip $1: no corpus beside the repo"; n=$((n + 1))
		return
	fi
	"$GUARD_CHECK" -p "$POLICY" <"$2" >"$tmp/out.jsonl"
	python3 "$score" "$2" "$tmp/out.jsonl" --json >"$tmp/score.json"
	read -r acc strict <<<"$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["accuracy"], r["phi_or_prescribing_allowed"])' "$tmp/score.json")"
	python3 -c "import sys; sys.exit(not ($acc >= ${3:-0.98}))"; ok $? "$1: accuracy $acc >= ${3:-0.98}"
	is "$strict" 0 "$1: no record expected deny for phi or prescribing allowed"
}
check dev "$top/../shared/corpus/guard-dev.jsonl"
check held-out "$top/tests/corpus/guard-heldout.jsonl"
check held-out-2 "$top/tests/corpus/guard-heldout2.jsonl" 0.88
done_testing
