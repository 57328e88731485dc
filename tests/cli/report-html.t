#!/bin/bash
# trace-export --format html: one self-contained page an auditor opens in
# a browser or prints, made from the ledger database or from the exported
# bundle the auditor holds, verified as it is made; rendered here by
# headless Chromium (Debian's chromium) and read back from the DOM: the
# source and its hash, the verification, totals, denials first, every
# answer with its request, rules, citations and model, every review
# decision with its reviewer, the policies; nothing loaded from outside,
# nothing a payload or a note holds run as markup, no payload text.
. "$(dirname "$0")/lib.sh"
unset PHIKIT_LLM_ENDPOINT PHIKIT_DB
DEMO_DIR=$tmp/demo "$top/scripts/demo" >/dev/null 2>&1
db=$tmp/demo/audit.db
pub=$tmp/demo/ledger.pub
key=$tmp/demo/ledger.key
TEX=$bin/trace-export
pol=$tmp/demo/review-policy.yaml

run "$TEX" --db "$db" -p "$pol" --run demo-2 --format html --key "$pub" -o "$tmp/r.html"
is "$rc:$err" "0:trace-export: 7 entries of run 'demo-2' written to '$tmp/r.html'" "html: written"
is "$(stat -c %a "$tmp/r.html")" 600 "html: created 0600"
is "$(grep -c -e 'src=' -e 'href="[^#]' -e '<script' -e '<link' -e 'url(' "$tmp/r.html")" 0 \
	"html: no external asset, no script (links only to its own rows)"
like "$(cat "$tmp/r.html")" "*Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"*" \
	"html: a CSP that loads nothing"

# a note that tries to be markup, from a second review; a rejection with a note
checked '{"run_id":"xss","tool":"deploy","args":{"env":"production"}}' |
	"$bin/hitl" gate --db "$db" -p "$pol" --key "$key" >/dev/null 2>&1
item=$("$bin/hitl" list --db "$db" -p "$pol" --status pending --run xss --json | jq -r .item)
"$bin/hitl" approve "$item" --db "$db" -p "$pol" --key "$key" --reviewer demo-reviewer \
	--notes '<script>alert("pwned")</script><img src=x onerror=alert(1)>' >/dev/null
"$TEX" --db "$db" -p "$pol" --run xss --format html --key "$pub" -o "$tmp/x.html" 2>/dev/null
is "$(grep -c '<script\|<img' "$tmp/x.html")" 0 "html: a note's markup is escaped"
checked '{"run_id":"rej","tool":"deploy","args":{"env":"production"}}' |
	"$bin/hitl" gate --db "$db" -p "$pol" --key "$key" >/dev/null 2>&1
item=$("$bin/hitl" list --db "$db" -p "$pol" --status pending --run rej --json | jq -r .item)
"$bin/hitl" reject "$item" --db "$db" -p "$pol" --key "$key" --reviewer demo-reviewer \
	--notes 'not without a second opinion' >/dev/null

# the auditor's copy: the bundle of the run, the page made from it
"$TEX" --db "$db" -p "$pol" --run demo-1 -o "$tmp/b1.json" 2>/dev/null
run "$TEX" --bundle "$tmp/b1.json" --format html --key "$pub" -o "$tmp/b1.html"
is "$rc:$err" "0:trace-export: 4 entries written to '$tmp/b1.html'" "bundle: the page written, exit 0"
sha=$(sha256sum "$tmp/b1.json" | cut -d' ' -f1)
run "$TEX" --db "$db" -p "$pol" --run demo-1 --format html --key "$pub" -o "$tmp/d1.html"
"$TEX" --db "$db" -p "$pol" --from 2000-01-01 --format html --key "$pub" -o "$tmp/range.html" 2>/dev/null
is "$?" 0 "a time range from the database: exit 0"
"$TEX" --db "$db" -p "$pol" --run demo-1 --format html --key "$pub" --bundle "$tmp/b1.json" \
	>/dev/null 2>"$tmp/e"
is "$?:$(head -n 1 "$tmp/e")" "2:usage: trace-export [-hV] [--db path] [-p policy] --run id | [--from ts] [--to ts]" \
	"--bundle with --run: exit 2, usage"

# tampered: one payload changed by one byte
jq -c '.entries[0].payload |= sub("ED note"; "ED NOTE")' "$tmp/b1.json" >"$tmp/bad.json"
run "$TEX" --bundle "$tmp/bad.json" --format html --key "$pub" -o "$tmp/bad.html"
is "$rc" 1 "a tampered bundle: exit 1"
is "$err" "trace-export: INVALID: entry 0: its payload does not match payload_sha256 (the payload was edited); the report that says so written to '$tmp/bad.html'" \
	"a tampered bundle: said so"
echo '{"format":' >"$tmp/trunc.json"
run "$TEX" --bundle "$tmp/trunc.json" --format html -o "$tmp/trunc.html"
is "$rc" 1 "a bundle that is no JSON: exit 1, a page all the same"
"$TEX" --bundle "$tmp/bad.json" --format html >"$tmp/bad2.html" 2>"$tmp/e"
is "$?:$(cat "$tmp/e")" "1:trace-export: INVALID: entry 0: its payload does not match payload_sha256 (the payload was edited)" \
	"a tampered bundle to stdout: exit 1, said so"
is "$(sed -n 6p "$tmp/bad2.html")" '<h1 class="deny">INVALID: this audit trail does not verify</h1>' \
	"the first line of the page's body says so"
run "$TEX" --bundle "$tmp/none.json" --format html -o "$tmp/none.html"
is "$rc:$err" "4:trace-export: $tmp/none.json: No such file or directory" "no such bundle: exit 4"

# no payload text: words of the demo's notes appear in no page and no export
for f in r d1 b1 range; do
	is "$(grep -c -i -e 'lisinopril' -e 'troponin' -e 'hypodense' -e 'apixaban' -e 'clinical summarizer' \
		"$tmp/$f.html")" 0 "no payload text in $f.html"
done
for fmt in jsonl otlp hec; do
	is "$("$TEX" --db "$db" -p "$pol" --format $fmt 2>/dev/null | grep -c -i -e 'lisinopril' -e 'troponin' \
		-e 'hypodense' -e 'apixaban' -e 'clinical summarizer')" 0 "no payload text in --format $fmt"
done

if ! command -v chromium >/dev/null 2>&1; then
	echo "ok $((n += 1)) # skip no chromium (scripts/install-deps installs it)"
	done_testing
	exit
fi
dom() { timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$1" 2>/dev/null; }
# the rendered text, without the style sheet; --from-source: from the Source table on
text() {
	dom "$1" >"$tmp/dom.html"
	python3 -c '
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(s): super().__init__(); s.out = []; s.skip = 0; s.src = 0
    def handle_starttag(s, t, a):
        if t == "style": s.skip = 1
        if ("id", "source") in a: s.src = 1
    def handle_endtag(s, t):
        if t == "style": s.skip = 0
        if t == "table" and s.src: s.src = 2
    def handle_data(s, d):
        if s.skip or (s.src == 1 and sys.argv[2] == "nosource"): return
        s.out.append(d)
p = P(); p.feed(open(sys.argv[1]).read()); print(" ".join(" ".join(p.out).split()))' "$tmp/dom.html" "${2:-all}"
}
t=$(text "$tmp/r.html")
like "$t" "phikit audit report Audit report: run demo-2 Source *" "chromium: the run, first"
like "$t" "*Verified : every payload, leaf and inclusion proof recomputed against the checkpoint, signed by phikit-demo+*, a key given.*" \
	"chromium: the verification status"
like "$t" "*verifier keys $(cat "$pub") *" "chromium: the verifier key in full"
like "$t" "*checkpoint tree size * — phikit-demo *" "chromium: the checkpoint, signature and all"
like "$t" "*values scrubbed 13: NAME 4; CITY 2; ZIP 1; DATE 1; AGE 1; NPI 1; URL 1; IP 1; ID 1 *" \
	"chromium: redaction counts per category, each record once"
like "$t" "*answers allowed 1 answers asked (queued for review) 1 answers denied 0 approvals 1 rejections 0 released after review 1 *" \
	"chromium: the period's totals"
like "$t" "*id ex-3 , run demo-2 #6; prompt at entry 2 ask triage-dismissal ask — 21 U.S.C. 321(h)(1) at .choices\[0\].message.content 70+30 phikit-demo-recorded at * released after review*" \
	"chromium: an answer with its request, rule, citation, where, model and outcome"
like "$t" "*approve demo-reviewer ( root ) notes: checked the scan with the radiologist; follow-up booked; status approved (1 of 1)*" \
	"chromium: the review decision with its reviewer"
like "$t" "*Policies stage policy SHA-256 entries scrub hipaa *guard demo-review *review demo-review *" \
	"chromium: the policies per stage with their hashes"
like "$t" "*hitl.enqueue*hitl.decision*" "chromium: the timeline"

# a run with a denied answer: first, with its rules
t=$(text "$tmp/b1.html")
like "$t" "*its SHA-256 $sha *" "chromium: the bundle's SHA-256"
like "$t" "*answers denied 1 *Denied answers entry request verdict rules, citations and where model outcome * id ex-2 , run demo-1 #* deny diagnosis deny — 21 U.S.C. 321(h)(1)*denied: withheld, not passed on*" \
	"chromium: a denial, its rules and citations, before the other answers"
is "$(text "$tmp/b1.html" nosource)" "$(text "$tmp/d1.html" nosource)" \
	"the page from the bundle states what the page from the database states"
"$TEX" --db "$db" -p "$pol" --run rej -o "$tmp/rej.json" 2>/dev/null
"$TEX" --bundle "$tmp/rej.json" --format html --key "$pub" -o "$tmp/rej.html" 2>/dev/null
like "$(text "$tmp/rej.html")" "*rejections 1 *reject demo-reviewer ( root ) notes: not without a second opinion; status rejected*" \
	"chromium: a rejection with its reviewer and note"
like "$(text "$tmp/range.html")" "phikit audit report Audit report: entries from 2000-01-01 to the end *answers denied 1 *rejections 1 *" \
	"chromium: a range's page, across runs"

t=$(text "$tmp/bad.html")
like "$t" "INVALID: phikit audit report INVALID: this audit trail does not verify INVALID : entry 0: its payload does not match payload_sha256 (the payload was edited). Nothing below can be relied on. *" \
	"chromium: a tampered bundle's page says so first"
like "$(text "$tmp/trunc.html")" "INVALID: phikit audit report INVALID: this audit trail does not verify INVALID : $tmp/trunc.json:2:0: not a JSON document: *" \
	"chromium: a bundle that is no JSON: its page says so first"

dom "$tmp/x.html" >"$tmp/xdom.html"
is "$(grep -c '<script\|<img' "$tmp/xdom.html")" 0 "chromium: the note rendered as text, not as elements"
like "$(cat "$tmp/xdom.html")" '*&lt;script&gt;alert("pwned")&lt;/script&gt;*' "chromium: the note shown as written"
run "$TEX" --db "$db" -p "$pol" --run demo-2 --format html -o "$tmp/nk.html"
like "$(text "$tmp/nk.html")" "*Consistent, not verified*verifier keys none given; the keys the trail names itself, not trusted: phikit-demo+*" \
	"without --key: not reported as verified"

# A4: 210 mm at 96 dpi is 794 px. The page renders (not blank) and nothing
# runs past the right edge (the last 12 px columns stay background); printed,
# it paginates.
timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=794,1123 \
	--screenshot="$tmp/a4.png" "file://$tmp/range.html" >/dev/null 2>&1
is "$(python3 "$top/tests/cli/pngcheck.py" "$tmp/a4.png" 12)" "794x1123 drawn, right margin clear" \
	"chromium: the page drawn at A4 width, no overflow"
timeout 120 chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
	--print-to-pdf="$tmp/r.pdf" "file://$tmp/range.html" >/dev/null 2>&1
pages=$(grep -a -o '/Count [0-9]*' "$tmp/r.pdf" | sort -k2 -n | tail -n 1 | cut -d' ' -f2)
ok $((${pages:-0} < 2)) "printed: paginates (${pages:-no} pages)"
is "$(grep -a -o '/MediaBox \[[^]]*\]' "$tmp/r.pdf" | sort -u)" "/MediaBox [0 0 594.95996 841.91998]" \
	"printed: every page A4 (@page size)"
done_testing
