#!/bin/bash
# No byte of input in any message, and no control character from anywhere
# reaching the terminal (DESIGN.md; issue M7). Records: what is wrong is
# said, the bytes are not quoted. Arguments: echoed only when short and
# printable, a URL without what may carry a secret. And everything that
# goes through diag (every message) shows C0, DEL, C1, stray bytes and
# bidirectional controls as escapes.
. "$(dirname "$0")/lib.sh"
ledger_init
HITL=$bin/hitl LC=$bin/llm-call
unset PHIKIT_LLM_ENDPOINT PHIKIT_LLM_API_KEY_FILE PHIKIT_LLM_MODEL PHIKIT_HITL_WEBHOOK
ESC=$'\033'
no_esc() {	# no_esc NAME: neither ESC nor the SSN in stdout or stderr
	ok "$(cat "$tmp/out" "$tmp/err" | grep -c -e "$ESC" -e '219-09-9999')" "$1: no ESC, no SSN"
}

# hitl gate: a verdict that is not one is not quoted (it was, 64 bytes of it)
run "$HITL" gate --db "$tmp/q.db" -p "$POLICY" \
	<<<'{"run_id":"r-1","phikit":{"guard":{"verdict":"\u001b[31mSSN 219-09-9999"}}}'
is "$rc:$out" "3:" "hitl gate, a verdict of escapes and an SSN: exit 3, nothing passed"
is_err "hitl: error (at <stdin>:1): phikit.guard.verdict is not allow, warn, ask or deny" \
	"hitl gate: what is wrong said, the value not quoted"
no_esc "hitl gate"
printf '{"run_id":"r-1","phikit":{"guard":{"verdict":"%s[2J219-09-9999"}}}\n' "$ESC" >"$tmp/in"
run "$HITL" gate --db "$tmp/q.db" -p "$POLICY" "$tmp/in"
is "$rc:$err" "3:hitl: error (at $tmp/in:1): control character in string at byte 47" \
	"a raw ESC in a record: bad JSON, said where, not quoted"
no_esc "a raw ESC"

# what every message goes through: a file name of controls, shown escaped
name=$'a\033[2Jb\tc\177d\xc2\x9be\xe2\x80\xaef\xe2\x81\xa6g\x9bh\xc3\xa9'
for p in phi-scrub guard-check ledger-append llm-call; do
	extra=()
	[ "$p" = llm-call ] && extra=(--endpoint http://127.0.0.1:9/v1 --model m)
	[ "$p" = guard-check ] || [ "$p" = phi-scrub ] && extra=(-p "$POLICY")
	[ "$p" = ledger-append ] && extra=(--db "$tmp/l.db")
	run "$bin/$p" "${extra[@]}" "$tmp/$name"
	is "$err" "$p: $tmp/a\\x1b[2Jb\\x09c\\x7fd\\u009be\\u202ef\\u2066g\\x9bhé: No such file or directory" \
		"$p: C0, DEL, C1, bidi and stray bytes in a file name shown as escapes, UTF-8 kept"
done
run "$bin/phi-scrub" -p "$POLICY" "$tmp/x"$'\n'"phi-scrub: error (at <stdin>:1): forged"
is "$err" "phi-scrub: $tmp/x\\x0aphi-scrub: error (at <stdin>:1): forged: No such file or directory" \
	"a newline in an argument cannot forge a second message line"

# arguments: short and printable, echoed; anything else described, not shown
run "$PHI_SCRUB" -p "$POLICY" -j two </dev/null
is "$rc:$err" "2:phi-scrub: bad --jobs 'two' (1 to 64)" "a short value: echoed"
run "$PHI_SCRUB" -p "$POLICY" -j sk-live-51HcQ2eZvKYlo2C0aIiXyz </dev/null
is "$rc:$err" "2:phi-scrub: bad --jobs <30 bytes, not shown> (1 to 64)" \
	"a value as long as a pasted key: not echoed"
run "$GUARD_CHECK" -p "$POLICY" --on-error "$ESC[2J" </dev/null
is "$rc:$err" "2:guard-check: --on-error takes stop or skip, not <4 bytes, not shown>" \
	"a value with a control character: not echoed"
run "$bin/hitl" list --db "$tmp/q.db" -p "$POLICY" --run $'caf\xc3\xa9'
is "$rc:$err" "2:hitl: --run <5 bytes, not shown> is not an identifier" "a value not ASCII: not echoed"
run "$LC" --endpoint 'http://alice:s3cret@10.9.8.7:8080/v1?api_key=s3cret#frag' --model m </dev/null
is "$rc:$err" "2:llm-call: --endpoint 'http://10.9.8.7:8080/v1': http:// only to a loopback address; use https:// (or --insecure-http on a network you trust)" \
	"a URL: shown without its user, password, query and fragment"
run "$LC" --endpoint 'ftp://bob:pw@example.org/x?token=t' --model m </dev/null
is "$rc:$err" "2:llm-call: --endpoint 'ftp://example.org/x': only https:// and http:// URLs" \
	"another scheme: the same"
run "$TEX" --db "$tmp/q.db" --format jsonl --post "$(printf 'https://h/%s' "$ESC")"
like "$err" "trace-export: --post <* bytes, not shown>*" "a URL with a control character: not shown"
run "$LV" --db "$tmp/q.db" --key 'PRIVATE+KEY+audit+1a2b3c4d+AXKsecretsecret'
is "$rc:$err" "2:ledger-verify: this is a signing key; give the verifier key (name+id+key)" \
	"a signing key given as --key: never quoted"

# ledger-verify: a bundle's range is printed back, so it must be a time
newkey mk
"$LA" --db "$tmp/m.db" --key "$tmp/mk.key" --run m-1 <<<'{"text":"x"}' >/dev/null
"$TEX" --db "$tmp/m.db" --from 2020-01-01 -o "$tmp/range.json" 2>/dev/null
run "$LV" "$tmp/range.json" --key "$vkey"
like "$rc:$out" "0:bundle OK: entries from 2020-01-01 to the end, 1 entry*" "a range bundle verifies"
jq -c '.from = "\u001b]0;x\u0007 219-09-9999"' "$tmp/range.json" >"$tmp/evil.json"
run "$LV" "$tmp/evil.json" --key "$vkey"
is "$rc:$out" "1:bundle INVALID: the bundle's from is not a time (YYYY-MM-DD[THH:MM:SS])" \
	"a range that is not a time (nothing signs it): INVALID, not printed"
no_esc "ledger-verify, a forged range"
jq -c '.to = "2999-01-01T00:00:00.000000Z\u202e"' "$tmp/range.json" >"$tmp/evil.json"
run "$LV" "$tmp/evil.json" --key "$vkey"
is "$rc:$out" "1:bundle INVALID: the bundle's to is not a time (YYYY-MM-DD[THH:MM:SS])" \
	"a range ending in a bidi override: INVALID"
done_testing
