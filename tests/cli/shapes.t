#!/bin/bash
# Work linear in the input whatever its shape: one record with 4,000
# copies of one SSN, or 4,000 different ones, is scrubbed and checked
# within 200 MB of address space (ulimit -v), where a detector that kept
# one entry per occurrence needed 2 GB; and 16,000 findings of every kind
# in one line (1.2 MB) are checked within 10 s of CPU (ulimit -t), where
# counting each finding's offset from the start of its text took 20 s.
# The limits only catch quadratic work, with room for a slow machine;
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
python3 -c '
import json, random
r = random.Random(16000)
print(json.dumps({"run_id": "r-1", "text": " ".join("Pt %s, MRN %08d, DOB %02d/%02d/19%02d, call (617) 555-%04d, p%d@example.org" %
    (r.choice(["Ana Ruiz", "Li Wei", "Sam Ode"]), r.randint(1, 99999999), r.randint(1, 12),
     r.randint(1, 28), r.randint(30, 99), r.randint(0, 9999), i) for i in range(16000))}))' >"$tmp/mix"
(ulimit -t 10; "$GUARD_CHECK" -p "$POLICY" -j 1 --max-line 4M <"$tmp/mix" >"$tmp/mix.g" 2>"$tmp/mix.gerr")
is "$?:$(jq -r '[.phikit.guard.verdict, (.phikit.guard.violations | length > 16000)] | join(" ")' "$tmp/mix.g")" \
	"0:deny true" "guard-check, 16,000 findings of every kind in one line: all reported, within 10 s of CPU"
(ulimit -t 10; "$PHI_SCRUB" -p "$POLICY" -j 1 --max-line 4M <"$tmp/mix" >"$tmp/mix.s" 2>"$tmp/mix.serr")
is "$?:$(grep -c 'MRN [0-9]' "$tmp/mix.s")" "0:0" "phi-scrub, 16,000 findings of every kind: none left, within 10 s of CPU"
done_testing
