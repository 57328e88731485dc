#!/bin/bash
# trace-export --format html: one self-contained page an auditor opens in
# a browser, rendered here by headless Chromium (Debian's chromium) and
# read back from the DOM: the run, the verification, redaction counts,
# verdicts with citations, review decisions; nothing loaded from outside,
# nothing a payload or a note holds run as markup.
. "$(dirname "$0")/lib.sh"
unset PHIKIT_LLM_ENDPOINT PHIKIT_DB
DEMO_DIR=$tmp/demo "$top/scripts/demo" >/dev/null 2>&1
db=$tmp/demo/audit.db
pub=$tmp/demo/ledger.pub
TEX=$bin/trace-export
pol=$tmp/demo/review-policy.yaml

run "$TEX" --db "$db" -p "$pol" --run demo-2 --format html --key "$pub" -o "$tmp/r.html"
is "$rc:$err" "0:trace-export: 7 entries of run 'demo-2' written to '$tmp/r.html'" "html: written"
is "$(stat -c %a "$tmp/r.html")" 600 "html: created 0600"
is "$(grep -c -e 'src=' -e 'href=' -e '<script' -e '<link' -e 'url(' "$tmp/r.html")" 0 \
	"html: no external asset, no script"
like "$(cat "$tmp/r.html")" "*Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\"*" \
	"html: a CSP that loads nothing"

# a note that tries to be markup, from a second review
checked '{"run_id":"xss","tool":"deploy","args":{"env":"production"}}' |
	"$bin/hitl" gate --db "$db" -p "$pol" --key "$tmp/demo/ledger.key" >/dev/null 2>&1
item=$("$bin/hitl" list --db "$db" -p "$pol" --status pending --run xss --json | jq -r .item)
"$bin/hitl" approve "$item" --db "$db" -p "$pol" --key "$tmp/demo/ledger.key" --reviewer demo-reviewer \
	--notes '<script>alert("pwned")</script><img src=x onerror=alert(1)>' >/dev/null
"$TEX" --db "$db" -p "$pol" --run xss --format html --key "$pub" -o "$tmp/x.html" 2>/dev/null
is "$(grep -c '<script\|<img' "$tmp/x.html")" 0 "html: a note's markup is escaped"

if ! command -v chromium >/dev/null 2>&1; then
	echo "ok $((n += 1)) # skip no chromium (scripts/install-deps installs it)"
	done_testing
	exit
fi
dom() { timeout 120 chromium --headless --no-sandbox --disable-gpu --dump-dom "file://$1" 2>/dev/null; }
dom "$tmp/r.html" >"$tmp/dom.html"
text=$(python3 -c '
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(s): super().__init__(); s.out = []
    def handle_data(s, d): s.out.append(d)
p = P(); p.feed(open(sys.argv[1]).read()); print(" ".join(" ".join(p.out).split()))' "$tmp/dom.html")
like "$text" "*Audit report: run demo-2*" "chromium: the run"
like "$text" "*Verified : every payload, leaf, tree node and run chain recomputed; checkpoints signed by phikit-demo+*" \
	"chromium: the verification status"
like "$text" "*NAME 4 *" "chromium: redaction counts per category, each record once"
like "$text" "*ask triage-dismissal ask — 21 U.S.C. 321(h)(1)*" "chromium: a verdict with its rule and citation"
like "$text" "*approve demo-reviewer ( root ) checked the scan with the radiologist; follow-up booked*" \
	"chromium: the review decision with its reviewer"
like "$text" "*hitl.enqueue*hitl.decision*" "chromium: the timeline"
dom "$tmp/x.html" >"$tmp/xdom.html"
is "$(grep -c '<script\|<img' "$tmp/xdom.html")" 0 "chromium: the note rendered as text, not as elements"
like "$(cat "$tmp/xdom.html")" '*&lt;script&gt;alert("pwned")&lt;/script&gt;*' "chromium: the note shown as written"
run "$TEX" --db "$db" -p "$pol" --run demo-2 --format html -o "$tmp/nk.html"
like "$(dom "$tmp/nk.html")" "*Consistent, not verified*" "without --key: not reported as verified"
done_testing
