#!/bin/bash
# Work linear in the input whatever its shape: one record with 4,000
# copies of one SSN, or 4,000 different ones, is scrubbed and checked
# within 200 MB of address space (ulimit -v), where a detector that kept
# one entry per occurrence needed 2 GB. The timeout only stops a runaway;
# speed is scripts/bench-shapes' business.
. "$(dirname "$0")/lib.sh"

python3 -c 'import json; print(json.dumps({"run_id": "r-1", "text": "SSN 123-45-6789 " * 4000}))' >"$tmp/rep"
python3 -c '
import json, random
r = random.Random(4)
print(json.dumps({"run_id": "r-1", "text": " ".join("SSN %03d-%02d-%04d" % (r.randint(1, 665),
    r.randint(1, 99), r.randint(1, 9999)) for _ in range(4000))}))' >"$tmp/dis"
# AddressSanitizer reserves terabytes of address space for its shadow, so
# under SANITIZE=... (make passes PHIKIT_SANITIZE) only the timeout holds:
# the bound itself is the plain build's test.
if [ -n "${PHIKIT_SANITIZE:-}" ]; then
	bounded() { timeout 120 "$@"; }
else
	bounded() { (ulimit -v 204800; timeout 60 "$@"); }
fi
for f in rep dis; do
	what=$([ $f = rep ] && echo "4,000 copies of one SSN" || echo "4,000 different SSNs")
	bounded "$PHI_SCRUB" -p "$POLICY" -j 1 <"$tmp/$f" >"$tmp/$f.out" 2>"$tmp/$f.err"
	is "$?:$(jq -c .phikit.scrub.counts "$tmp/$f.out")" '0:{"SSN":4000}' "phi-scrub, $what in one line: every one found, within 200 MB"
	is "$(grep -Eo '[0-9]{3}-[0-9]{2}-[0-9]{4}' "$tmp/$f.out" | wc -l)" 0 "phi-scrub, $what: none left"
	bounded "$GUARD_CHECK" -p "$POLICY" -j 1 <"$tmp/$f" >"$tmp/$f.g" 2>"$tmp/$f.gerr"
	is "$?:$(jq -r '.phikit.guard.verdict' "$tmp/$f.g")" "0:deny" "guard-check, $what: denied, within 200 MB"
done
done_testing
