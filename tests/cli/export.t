#!/bin/bash
# trace-export for log shippers and SIEMs: JSON Lines, OTLP/HTTP JSON logs,
# Splunk HEC; --post to a collector on loopback (tests/cli/mockhttp.py)
# that answers slowly, with 429 and 5xx, or drops the connection; TLS
# verified; the token from a file; the export role of the policy.
. "$(dirname "$0")/lib.sh"
ledger_init
newkey ex
ekey=$tmp/ex.key

db=$tmp/x.db
"$PHI_SCRUB" -p "$POLICY" <"$top/examples/notes.jsonl" | "$LA" --db "$db" --key "$ekey" >/dev/null
cat >"$tmp/outputs.jsonl" <<'JSONL'
{"run_id":"demo-2","id":"out-1","choices":[{"message":{"role":"assistant","content":"Summary for the care team: the patient reports better sleep since the last visit; the current plan continues. This is not a diagnosis or medical advice; consult a licensed healthcare provider."}}]}
{"run_id":"demo-2","id":"out-2","choices":[{"message":{"role":"assistant","content":"The bruising sounds minor, so you don't need to see a doctor about it. This is not a diagnosis or medical advice; consult a licensed healthcare provider if it changes."}}]}
{"run_id":"demo-2","id":"out-3","choices":[{"message":{"role":"assistant","content":"You have atrial fibrillation. Take warfarin 10 mg daily."}}]}
{"run_id":"demo-2","id":"out-4","tool":"deploy","agent":"release-bot","args":{"service":"triage-summaries","environment":"production"}}
JSONL
"$bin/guard-check" -p "$POLICY" "$tmp/outputs.jsonl" | "$LA" --db "$db" --key "$ekey" >/dev/null
entries=$(sqlite3 "$db" 'SELECT count(*) FROM entries')

# ---- the formats ----
run "$TEX" --db "$db" --format jsonl
is "$rc:$(wc -l <"$tmp/out" | tr -d ' ')" "0:$entries" "jsonl: one line per entry, exit 0"
is "$(head -n 1 "$tmp/out" | jq -c 'keys')" \
	'["actor","erased","kind","leaf_hash","payload_sha256","run_id","run_seq","scrub","seq","ts"]' \
	"jsonl: an entry's fields, and the redaction counts of its payload"
is "$(head -n 1 "$tmp/out" | jq -c '[.seq, .run_id, .kind, .erased, .scrub.total]')" \
	'[0,"demo-1","record",false,7]' "jsonl: the first entry"
is "$(head -n 1 "$tmp/out" | jq -r .leaf_hash)" "$(leafhash "$(entry_json "$db" 0)")" \
	"jsonl: leaf_hash is the entry's leaf hash"
is "$(jq -c 'select(.guard) | [.guard.verdict, .guard.rules]' "$tmp/out" | sed -n 3p)" \
	'["deny",["diagnosis","prescribing","prescribing-regimen","diagnosis-model","prescribing-model","not-medical-advice","consult-provider"]]' \
	"jsonl: guard verdicts and the rules that fired"
ok "$(grep -c -e 'warfarin' -e 'atrial fibrillation' -e '\[NAME\]' "$tmp/out")" \
	"jsonl: no payload text leaves, scrubbed or not"
run "$TEX" --db "$db" --format jsonl --run demo-2
is "$(jq -r .run_id "$tmp/out" | sort -u)" demo-2 "--run: that run only"
ts=$(sqlite3 "$db" 'SELECT ts FROM entries WHERE seq = 3')
run "$TEX" --db "$db" --format jsonl --from "$ts"
is "$(head -n 1 "$tmp/out" | jq .seq)" 3 "--from: entries stamped at or after it"
run "$TEX" --db "$db" --format jsonl --to "$ts"
is "$(jq .seq "$tmp/out" | tr '\n' ' ')" "0 1 2 " "--to: entries stamped before it"
run "$TEX" --db "$db" --format jsonl --from 2000-01-01 --to 2000-01-02
is "$rc:$out" "0:" "a range with no entries: nothing, exit 0"

run "$TEX" --db "$db" --format hec --run demo-1
is "$(jq -c '[.source, .sourcetype, (.time|type), .event.seq, .event.run_id]' "$tmp/out" | head -n 1)" \
	'["phikit","phikit:ledger","number",0,"demo-1"]' "hec: one event per entry, its time a number"
is "$(head -n 1 "$tmp/out" | jq '.time | floor')" \
	"$(date -u -d "$(sqlite3 "$db" 'SELECT ts FROM entries WHERE seq = 0')" +%s)" "hec: time is the entry's ts"

run "$TEX" --db "$db" --format otlp
is "$(wc -l <"$tmp/out" | tr -d ' ')" 1 "otlp: one ExportLogsServiceRequest per batch, one line each"
o() { jq -c "$1" "$tmp/out"; }
is "$(o '.resourceLogs[0].resource.attributes | map(.key)')" '["service.name","phikit.ledger.origin"]' \
	"otlp: resource attributes"
is "$(o '.resourceLogs[0].scopeLogs[0].scope.name')" '"phikit.trace-export"' "otlp: the scope"
is "$(o '.resourceLogs[0].scopeLogs[0].logRecords | length')" "$entries" "otlp: a log record per entry"
r0='.resourceLogs[0].scopeLogs[0].logRecords[0]'
is "$(o "$r0 | [(.timeUnixNano | test(\"^[0-9]{19}$\")), .severityText, .body.stringValue]")" \
	'[true,"INFO","record"]' "otlp: time as a decimal string of nanoseconds, severity, body"
is "$(o "$r0.attributes[] | select(.key == \"phikit.seq\") | .value")" '{"intValue":"0"}' \
	"otlp: int64 attributes are strings (the JSON encoding of OTLP)"
is "$(o "[.resourceLogs[0].scopeLogs[0].logRecords[] | select(.severityText == \"WARN\")] | length")" 3 \
	"otlp: deny and ask are WARN"
is "$(o "[.resourceLogs[0].scopeLogs[0].logRecords[].attributes[] | select(.key == \"phikit.guard.rules\")][0].value.arrayValue.values | length")" \
	0 "otlp: rules as an array value"

# ---- the audit bundle of a time range ----
ts9=$(sqlite3 "$db" 'SELECT ts FROM entries WHERE seq = 4')
run "$TEX" --db "$db" --from "$ts9" -o "$tmp/range.json"
is "$rc:$err" "0:trace-export: $((entries - 4)) entries written to '$tmp/range.json'" "a range's bundle: written"
is "$(jq -c '[.from, .run_id, (.entries | map(.entry.seq) | min)]' "$tmp/range.json")" "[\"$ts9\",null,4]" \
	"a range's bundle: from, no run_id, entries from the range on"
run "$LV" --key "$vkey" "$tmp/range.json"
is "$rc" 0 "a range's bundle verifies"
like "$out" "bundle OK: entries from $ts9 to the end, $((entries - 4)) entries, * runs, checkpoint * signed by ex+*" \
	"a range's bundle: said so"
jq --arg t "$(sqlite3 "$db" 'SELECT ts FROM entries WHERE seq = 6')" '.from = $t' "$tmp/range.json" >"$tmp/narrow.json"
run "$LV" --key "$vkey" "$tmp/narrow.json"
like "$rc:$out" "1:bundle INVALID: entry 4 is stamped *, outside the bundle's range" \
	"a range narrowed after the export: caught"
jq 'del(.entries[5])' "$tmp/range.json" >"$tmp/gap.json"	# seq 9, run demo-2's fourth
run "$LV" --key "$vkey" "$tmp/gap.json"
is "$rc:$out" "1:bundle INVALID: entry 10 is entry 4 of its run where 3 was expected (an entry is missing or out of order)" \
	"an entry left out where its run goes on: caught"
run "$TEX" --db "$db" --from "$ts9" --run demo-1
is "$rc" 2 "a bundle of a run or of a range, not both: exit 2"
run "$TEX" --db "$db" --from 2000-01-01 --to 2000-01-02
is "$rc:$err" "2:trace-export: no entries stamped in that range" "an empty range: exit 2, said so"

# ---- options ----
u() {	# u WANT-ERR ARGS...
	local want=$1
	shift
	run "$TEX" --db "$db" "$@"
	is "$rc:$out" "2:" "usage: $*: exit 2"
	like "$err" "$want" "usage: $*: said so"
}
u "trace-export: unknown --format 'xml' (json, jsonl, otlp, hec, html)" --format xml
u "usage: trace-export*" --format jsonl --since "$tmp/x"
u "usage: trace-export*" --format jsonl --post https://127.0.0.1:1/ -o "$tmp/y"
u "usage: trace-export*" --post https://127.0.0.1:1/ --run demo-1
run "$TEX" --db "$db" --format jsonl --from yesterday
is "$rc:$err" "2:trace-export: --from 'yesterday' is not a time (YYYY-MM-DD[THH:MM:SS])" "--from that is no time: exit 2, said so"
u "trace-export: --post 'http://10.1.2.3/v1/logs': http:// only to a loopback address; use https:// (or --insecure-http on a network you trust)" \
	--format otlp --post http://10.1.2.3/v1/logs

# ---- --post to a collector on loopback ----
srv=
serve() {	# serve SCRIPT [tls]: starts the collector; sets port
	[ -z "$srv" ] || { kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; }
	: >"$tmp/req.log"
	rm -f "$tmp/port"	# the shell opens it for the new server only after the fork
	if [ "${2:-}" = tls ]; then
		python3 "$top/tests/cli/mockhttp.py" "$tmp/req.log" "$1" "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/port" &
	else
		python3 "$top/tests/cli/mockhttp.py" "$tmp/req.log" "$1" >"$tmp/port" &
	fi
	srv=$!
	for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	port=$(head -n 1 "$tmp/port")
}
trap '[ -z "$srv" ] || kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
reqs() { wc -l <"$tmp/req.log" | tr -d ' '; }
printf 'hec-token-0123456789\n' >"$tmp/tok"
chmod 600 "$tmp/tok"

serve 200
run "$TEX" --db "$db" --format otlp --post "http://127.0.0.1:$port/v1/logs" --token-file "$tmp/tok"
is "$rc:$out" "0:" "post otlp: exit 0, nothing on stdout"
is_err "trace-export: $entries entries delivered in 1 batch" "post otlp: says what was delivered"
is "$(jq -r '[.path, .headers.Authorization, .headers["Content-Type"]] | join(" ")' "$tmp/req.log")" \
	"/v1/logs Bearer hec-token-0123456789 application/json" "post otlp: path, bearer token, content type"
"$TEX" --db "$db" --format otlp >"$tmp/otlp.json"
is "$(jq -r .body "$tmp/req.log" | jq -c '.resourceLogs[0].scopeLogs[0].logRecords | map(.attributes[0].value.intValue)')" \
	"$(jq -c '.resourceLogs[0].scopeLogs[0].logRecords | map(.attributes[0].value.intValue)' "$tmp/otlp.json")" \
	"post otlp: the body is the export"
serve 200
PHIKIT_EXPORT_TOKEN_FILE=$tmp/tok run "$TEX" --db "$db" --format hec --post "http://127.0.0.1:$port/services/collector/event"
is "$rc:$(jq -r '.headers.Authorization' "$tmp/req.log")" "0:Splunk hec-token-0123456789" \
	"post hec: the token from \$PHIKIT_EXPORT_TOKEN_FILE, as Splunk wants it"
serve 200
run "$TEX" --db "$db" --format jsonl --post "http://127.0.0.1:$port/ingest"
is "$rc:$(jq -r '.headers.Authorization, .headers["Content-Type"]' "$tmp/req.log" | tr '\n' ' ')" \
	"0:null application/x-ndjson " "post jsonl: no token, no Authorization; NDJSON"

serve 500,429,drop,200
run "$TEX" --db "$db" --format hec --post "http://127.0.0.1:$port/e" --retries 3
is "$rc:$(reqs)" "0:4" "post: 500, 429, a dropped connection, then 200: delivered after 4 attempts"
serve 503
run "$TEX" --db "$db" --format hec --post "http://127.0.0.1:$port/e" --retries 1
is "$rc:$out" "4:" "post: 503 every time: exit 4"
is_err "trace-export: nothing delivered: 127.0.0.1:$port: the server answered 503 (2 attempts); not delivered" \
	"post: the final failure, said so"
serve 400
run "$TEX" --db "$db" --format hec --post "http://127.0.0.1:$port/e"
is "$rc:$(reqs)" "4:1" "post: a 400 is not retried"
serve slow
run "$TEX" --db "$db" --format hec --post "http://127.0.0.1:$port/e" --timeout 1 --retries 0
is "$rc" 4 "post: a collector slower than --timeout: exit 4"
like "$err" "trace-export: nothing delivered: 127.0.0.1:$port: Operation timed out after * (1 attempt); not delivered" \
	"post: the timeout, said so"

# batches: what was delivered before a failure is named exactly
for i in $(seq 1 2100); do printf '{"i":%d}\n' "$i"; done |
	"$LA" --db "$tmp/big.db" --run big -p "$tmp/plain.yaml" >/dev/null
serve 200,200,500
run "$TEX" --db "$tmp/big.db" --format jsonl --post "http://127.0.0.1:$port/e" --retries 0
is "$rc" 4 "post in batches, the third refused: exit 4"
is_err "trace-export: entries 0 to 1999 delivered in 2 batches; from seq 2000 not delivered: 127.0.0.1:$port: the server answered 500 (1 attempt); not delivered" \
	"post in batches: exactly which entries were delivered"

# --since-last: a cursor, so that a job from cron sends each entry once
cur=$tmp/cursor
origin=$(sqlite3 "$tmp/big.db" "SELECT value FROM meta WHERE key = 'origin'")
serve 200,200,500
run "$TEX" --db "$tmp/big.db" --format jsonl --post "http://127.0.0.1:$port/e" --retries 0 --since-last "$cur"
is "$rc:$(cat "$cur")" "4:phikit-export-cursor 1 $origin 1999" \
	"since-last: the third batch refused: the cursor at the last entry delivered"
is "$(stat -c %a "$cur")" 600 "since-last: the cursor is 0600"
serve 200
run "$TEX" --db "$tmp/big.db" --format jsonl --post "http://127.0.0.1:$port/e" --since-last "$cur"
is "$rc:$err:$(jq -r .body "$tmp/req.log" | head -n 1 | jq -c .seq)" \
	"0:trace-export: 100 entries delivered in 1 batch:2000" "since-last: the next run sends the rest, from there"
is "$(cat "$cur")" "phikit-export-cursor 1 $origin 2099" "since-last: the cursor moved to the last"
run "$TEX" --db "$tmp/big.db" --format jsonl --since-last "$cur"
is "$rc:$out:$(cat "$cur")" "0::phikit-export-cursor 1 $origin 2099" "since-last: nothing new: nothing out, the cursor kept"
printf '{"i":"new"}\n' | "$LA" --db "$tmp/big.db" --run big -p "$tmp/plain.yaml" >/dev/null
run "$TEX" --db "$tmp/big.db" --format otlp --since-last "$cur" -o "$tmp/new.json"
is "$rc:$(jq -c '[.resourceLogs[0].scopeLogs[0].logRecords[].attributes[0].value.intValue]' "$tmp/new.json"):$(cat "$cur")" \
	"0:[\"2100\"]:phikit-export-cursor 1 $origin 2100" "since-last: one entry logged since: that one only"
run "$TEX" --db "$db" --format jsonl --since-last "$cur"
is "$rc:$out:$err" "2::trace-export: $cur is the cursor of ledger $origin, not of $(sqlite3 "$db" "SELECT value FROM meta WHERE key = 'origin'")" \
	"since-last: the cursor of another ledger: exit 2, nothing out"
printf 'phikit-export-cursor 1 %s 12x\n' "$origin" >"$tmp/badcur"
run "$TEX" --db "$tmp/big.db" --format jsonl --since-last "$tmp/badcur"
is "$rc:$out:$err" "3::trace-export: $tmp/badcur: not a trace-export cursor (phikit-export-cursor 1 ORIGIN SEQ)" \
	"since-last: a damaged cursor: exit 3, nothing out"
mkdir "$tmp/ro" && chmod 500 "$tmp/ro"
if [ "$(id -u)" -ne 0 ]; then
	run "$TEX" --db "$tmp/big.db" --format jsonl --since-last "$tmp/ro/cursor"
	is "$rc:$out" "4:" "since-last: a cursor that cannot be written: exit 4 before anything is sent"
else
	echo "ok $((n += 1)) # skip root writes anywhere"
fi
printf '{"i":"newer"}\n' | "$LA" --db "$tmp/big.db" --run big -p "$tmp/plain.yaml" >/dev/null
serve drop
run "$TEX" --db "$tmp/big.db" --format jsonl --post "http://127.0.0.1:$port/e" --retries 0 --since-last "$cur"
is "$rc:$(cat "$cur")" "4:phikit-export-cursor 1 $origin 2100" "since-last: nothing delivered: the cursor not moved"
run "$TEX" --db "$tmp/big.db" --run big --since-last "$cur"
like "$rc:$err" "2:usage: trace-export*" "since-last with the bundle: a usage error"

# TLS, verified
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1
serve 200 tls
run "$TEX" --db "$db" --format otlp --post "https://127.0.0.1:$port/v1/logs"
is "$rc:$(reqs)" "4:0" "post https to a certificate nobody vouches for: refused, nothing sent"
like "$err" "*certificate*" "post https: the certificate problem, said so"
run "$TEX" --db "$db" --format otlp --post "https://127.0.0.1:$port/v1/logs" --cacert "$tmp/cert.pem"
is "$rc:$(reqs)" "0:1" "post https with --cacert: delivered"

# the token file: owner-only, one line
chmod 644 "$tmp/tok"
run "$TEX" --db "$db" --format hec --post "http://127.0.0.1:$port/e" --token-file "$tmp/tok"
is "$rc:$err" "2:trace-export: key file '$tmp/tok' is readable by others (mode 0644); chmod 600 it" \
	"a token file others can read: refused, exit 2"

# ---- the export role ----
cat >"$tmp/aud.yaml" <<YAML
name: aud
extends: $tmp/plain.yaml
access:
  roles:
    auditors: {users: [someone-else]}
  actions:
    export: [auditors]
YAML
before=$(sqlite3 "$db" 'SELECT count(*) FROM entries')
run "$TEX" --db "$db" -p "$tmp/aud.yaml" --format jsonl
is "$rc:$out" "1:" "export without the role: exit 1, nothing out"
is_err "trace-export: refused: $(id -un) may not export (access.actions.export: auditors)" \
	"export without the role: said so"
is "$(sqlite3 "$db" "SELECT kind || ' ' || run_id FROM entries WHERE seq = $before")" \
	"access.refusal access" "export without the role: the refusal is logged"
run "$TEX" --db "$db" -p "$tmp/aud.yaml" --run demo-1 -o "$tmp/b.json"
is "$rc" 1 "the audit bundle needs the role too"

done_testing
