#!/bin/bash
# examples/ci/verify-bundle, as a CI job runs it on bundles as they come:
# the first against the pinned key alone, each later one against the
# checkpoint saved from the one before; a bundle that does not extend it,
# an edited one, or one signed by another key fails the job.
. "$(dirname "$0")/lib.sh"
export PATH="$bin:$PATH"
vb=$top/examples/ci/verify-bundle
cd "$tmp" || exit 1
ledger-admin keygen --name audit -o audit.key >audit.pub 2>/dev/null
ledger-admin keygen --name other -o other.key >other.pub 2>/dev/null
echo '{"run_id":"r-1","text":"ok"}' | phi-scrub | ledger-append --db a.db --key audit.key >/dev/null
trace-export --db a.db --run r-1 -o b1.json 2>/dev/null
run "$vb" b1.json audit.pub saved.txt
is "$rc" 0 "the first bundle: verified against the pinned key"
is "$(grep -c '^— audit' saved.txt)" 1 "its checkpoint saved for the next run"
echo '{"run_id":"r-1","text":"more"}' | phi-scrub | ledger-append --db a.db --key audit.key >/dev/null
trace-export --db a.db --run r-1 --since saved.txt -o b2.json 2>/dev/null
run "$vb" b2.json audit.pub saved.txt
is "$rc:$out" "0:bundle OK: run r-1, 2 entries, checkpoint 2 signed by $(cut -d+ -f1,2 audit.pub); extends the saved checkpoint 1" \
	"the next bundle: extends the saved checkpoint"
trace-export --db a.db --run r-1 -o b3.json 2>/dev/null
run "$vb" b3.json audit.pub saved.txt
is "$rc:$out" "1:bundle INVALID: the bundle carries no consistency proof from size 2 (export it with trace-export --since)" \
	"a bundle exported without --since: the job fails and says how to export it"
run "$vb" b2.json other.pub saved.txt
is "$rc" 1 "a bundle checked against another key: fails"
sed 's/"text\\":\\"more/"text\\":\\"MORE/' b2.json >b4.json
run "$vb" b4.json audit.pub saved.txt
like "$rc:$out" "1:bundle INVALID: entry *payload_sha256*" "an edited payload: fails"
run "$vb" b2.json
is "$rc" 2 "usage: exit 2"
done_testing
