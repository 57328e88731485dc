#!/bin/bash
# The quality bars of guard-check with the HIPAA pack, on the dev corpus
# (../shared/corpus/guard-dev.jsonl) and on our own held-out corpus
# (tests/corpus/guard-heldout.jsonl, other phrasing, conditions and drugs):
# accuracy >= 0.98, scored as (verdict == deny) == (expect == deny), and
# not one record expected deny for phi or prescribing let through
# unreviewed (verdict allow or warn). Scored by tests/corpus/guard-score.
# Eight more held-out sets (guard-heldout2..9.jsonl), each in a voice of its
# own, were each scored once, blind, before the rules learned from it:
# 0.887, 0.691, 0.796, 0.809, 0.735, 0.688, 0.820, 0.950 (tests/corpus/README.md). They
# now guard against regressions: accuracy >= 0.97 and the strict bar.
# The real answers' dev half (../shared/corpus/external/guard-real-dev.jsonl,
# doctors' and models' replies as found and with both disclaimers): on
# the disclaimed ones accuracy >= 0.95, no prescription or identifier let
# through, and at most 5% of the allowed answers blocked (deny or ask).
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
for k in 2 3 4 5 6 7 8 9; do
	check "held-out-$k" "$top/tests/corpus/guard-heldout$k.jsonl" 0.97
done
real=$top/../shared/corpus/external/guard-real-dev.jsonl
if [ -r "$real" ]; then
	"$GUARD_CHECK" -p "$POLICY" <"$real" >"$tmp/out.jsonl"
	python3 "$score" "$real" "$tmp/out.jsonl" --json >"$tmp/score.json"
	read -r acc strict blocked allowed all_blocked all_allowed <<<"$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); d = r["variants"]["disclaimed"]
print(d["accuracy"], r["phi_or_prescribing_allowed"], d["allowed_blocked"], d["allowed"],
      r["allowed_blocked"], r["allowed"])' "$tmp/score.json")"
	python3 -c "import sys; sys.exit(not ($acc >= 0.95))"; ok $? "real answers, disclaimed: accuracy $acc >= 0.95"
	is "$strict" 0 "real answers: no prescription or identifier expected deny let through"
	python3 -c "import sys; sys.exit(not ($all_blocked <= 0.05 * $all_allowed))"
	ok $? "real answers: allowed blocked $all_blocked/$all_allowed <= 5% ($blocked/$allowed disclaimed)"
else
	for t in accuracy let-through blocked; do
		echo "ok $((n + 1)) # skip real answers $t: no ../shared/corpus/external beside the repo"; n=$((n + 1))
	done
fi
done_testing
