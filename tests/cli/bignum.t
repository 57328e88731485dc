#!/bin/bash
# Valid JSON that jansson cannot hold — an integer past 64 bits, 1e999,
# \u0000 in a key — where a program reads a value whole with jansson: bad
# input naming the line, never "out of memory" (issue M1), the number never
# quoted; and where phikit reads only its own annotations (trace-export,
# the HTML report), those still read. guard-check's args and usage are in
# guard-badinput.t.
. "$(dirname "$0")/lib.sh"
ledger_init
LC=$bin/llm-call
unset PHIKIT_LLM_ENDPOINT PHIKIT_LLM_API_KEY_FILE PHIKIT_LLM_MODEL
srv=
trap '[ -z "$srv" ] || kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
BIG=123456789012345678901234567890

# phi-scrub splices bytes: such numbers pass through as they were
scrub <<<'{"n":'$BIG',"r":-1e999,"k\u0000":"SSN 869-36-0459"}'
is_out '{"n":'$BIG',"r":-1e999,"k\u0000":"SSN [SSN]",'"$(ann '"SSN":1' 1)"'}' \
	"phi-scrub: a 30-digit integer, 1e999 and \\u0000 in a key kept, the rest scrubbed"

# llm-call reads the record whole to build its request
python3 "$top/tests/cli/mockhttp.py" "$tmp/req.log" 200 >"$tmp/port" 2>/dev/null &
srv=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(head -n 1 "$tmp/port")/v1
for c in "n:$BIG:an integer too large for 64 bits" "n:1e999:a number too large for a double" \
    'k\u0000:1:\u0000 in an object key'; do
	IFS=: read -r k v why <<<"$c"
	run "$LC" --endpoint "$url" --model m <<<'{"text":"hi","'"$k"'":'"$v"'}'
	is "$rc:$out" "3:" "llm-call, $why: exit 3, nothing out"
	is_err "llm-call: error (at <stdin>:1): the record: $why" "llm-call, $why: said so, the line named"
done
printf '%s\n' '{"id":1,"text":"a"}' '{"id":2,"text":"b","n":'$BIG'}' '{"id":3,"text":"c"}' >"$tmp/in"
run "$LC" --endpoint "$url" --model m --on-error=skip "$tmp/in"
is "$rc:$(jq -c .id "$tmp/out" | paste -sd' ')" "3:1 3" "llm-call --on-error=skip: the stream goes on"
is "$(wc -l <"$tmp/req.log" | tr -d ' ')" 2 "llm-call: the record it could not read was never sent"

# a logged record with such a number in its text keeps its verdicts in exports
newkey bk
rec='{"run_id":"r-1","n":'$BIG',"text":"x","phikit":{"scrub":{"counts":{"SSN":1},"total":1},"guard":{"verdict":"deny","violations":[{"rule":"diagnosis"}]}}}'
"$LA" --db "$tmp/b.db" --key "$tmp/bk.key" <<<"$rec" >/dev/null
run "$TEX" --db "$tmp/b.db" --format jsonl --run r-1
is "$rc:$(printf '%s\n' "$out" | jq -c '[.scrub, .guard]')" \
	'0:[{"counts":{"SSN":1},"total":1},{"verdict":"deny","rules":["diagnosis"]}]' \
	"trace-export --format jsonl: the redactions and the verdict kept"
run "$TEX" --db "$tmp/b.db" --format otlp --run r-1
is "$(printf '%s\n' "$out" | jq -r '.resourceLogs[0].scopeLogs[0].logRecords[0].attributes[] | select(.key == "phikit.guard.verdict") | .value.stringValue')" \
	deny "trace-export --format otlp: the verdict kept"
rec2='{"run_id":"r-1","n":1,"phikit":{"ledger":{"x":'$BIG'},"guard":{"verdict":"ask","violations":[]}}}'
"$LA" --db "$tmp/b.db" --key "$tmp/bk.key" <<<"$rec2" >/dev/null
run "$TEX" --db "$tmp/b.db" --format jsonl --run r-1
is "$(printf '%s\n' "$out" | jq -c '.guard.verdict' | paste -sd' ')" '"deny" "ask"' \
	"a phikit member jansson cannot hold: the other members still read"
run "$TEX" --db "$tmp/b.db" --run r-1 -o "$tmp/r.json"
run "$LV" "$tmp/r.json" --key "$vkey"
like "$out" "bundle OK: run r-1, 2 entries, *" "its bundle verifies"
done_testing
