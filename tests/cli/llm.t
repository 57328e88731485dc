#!/bin/bash
# llm-call against a model API on loopback (tests/cli/mockhttp.py, which
# echoes the last message and can be told to be slow, to answer 429 or
# 5xx, to drop the connection or to answer with something that is not a
# completion): exact records out, input order kept with requests in
# flight, retries, a failed record withheld and named, the key from a file.
. "$(dirname "$0")/lib.sh"
LC=$bin/llm-call
unset PHIKIT_LLM_ENDPOINT PHIKIT_LLM_API_KEY_FILE PHIKIT_LLM_MODEL
srv=
serve() {	# serve SCRIPT: a model API on loopback; sets url
	[ -z "$srv" ] || { kill "$srv" 2>/dev/null; wait "$srv" 2>/dev/null; }
	: >"$tmp/req.log"
	rm -f "$tmp/port"
	python3 "$top/tests/cli/mockhttp.py" "$tmp/req.log" "$1" >"$tmp/port" 2>/dev/null &
	srv=$!
	for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
	port=$(head -n 1 "$tmp/port")
	url=http://127.0.0.1:$port/v1
}
trap '[ -z "$srv" ] || kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
reqs() { wc -l <"$tmp/req.log" | tr -d ' '; }
echo_rec() {	# echo_rec RECORD-WITHOUT-BRACE LAST-MESSAGE PROMPT-TOKENS [AFTER-USAGE]
	printf '%s,"choices":[{"index":0,"message":{"role":"assistant","content":"echo: %s"},"finish_reason":"stop"}],"usage":{"prompt_tokens":%s,"completion_tokens":2,"total_tokens":%s}%s}' \
		"$1" "$2" "$3" $(($3 + 2)) "${4-}"
}
# what llm-call notes of the answer: the model, id and fingerprint it gave, the endpoint's
# host, and latency_ms (its value varies: lat writes it as L once checked a whole number)
llm_ann() { printf '"llm":{"model":"%s","id":"chatcmpl-1","system_fingerprint":"fp_mock","host":"127.0.0.1:%s","latency_ms":L}' "$1" "$port"; }
lat() { sed -E 's/"latency_ms":[0-9]+([,}])/"latency_ms":L\1/g' "$@"; }
lat_ok() {	# lat_ok FILE: every record's phikit.llm.latency_ms is an integer >= 0
	jq -s -e 'length > 0 and all(.[]; .phikit.llm.latency_ms | type == "number" and . >= 0 and . == floor)' "$1" >/dev/null
}

serve 200
printf '%s\n' '{"id":"a","text":"hello there"}' \
	'{"id":"b","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"phikit":{"scrub":{"total":0}}}' >"$tmp/in"
run "$LC" --endpoint "$url" --model m-1 --temperature 0.2 --max-tokens 50 "$tmp/in"
is "$rc" 0 "two records: exit 0"
lat_ok "$tmp/out"
ok $? "phikit.llm.latency_ms: a whole number of milliseconds on every record"
is "$(lat "$tmp/out")" "$(echo_rec '{"id":"a","text":"hello there"' 'hello there' 2 ",\"phikit\":{$(llm_ann m-1)}")
$(echo_rec '{"id":"b","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"phikit":{"scrub":{"total":0},'"$(llm_ann m-1)"'}' hi 1)" \
	"each record back with choices and usage as its last members, phikit.llm joining phikit, every other byte kept"
is "$(jq -r '.body' "$tmp/req.log" | head -n 1)" \
	'{"model":"m-1","messages":[{"role":"user","content":"hello there"}],"temperature":0.2,"max_tokens":50}' \
	"the request: model, text as one user message, temperature, max_tokens"
is "$(jq -r '.path' "$tmp/req.log" | sort -u)" /v1/chat/completions "a base endpoint gains /chat/completions"
is "$(jq -c '.body | fromjson | .messages | length' "$tmp/req.log" | tail -n 1)" 2 "messages sent as they are"

# phikit.llm rides the pipeline: phi-scrub and ledger-append keep it as it is
"$bin/phi-scrub" -p "$POLICY" <<<'{"run_id":"r-llm","text":"hello there"}' |
	"$bin/ledger-append" --db "$tmp/l.db" | "$LC" --endpoint "http://localhost:$port/v1" --model m-2 |
	"$bin/phi-scrub" -p "$POLICY" | "$bin/ledger-append" --db "$tmp/l.db" >"$tmp/piped"
is "$(jq -c .phikit.llm "$tmp/piped" | lat)" "$(llm_ann m-2 | sed 's/^"llm"://; s/127.0.0.1/localhost/')" \
	"phi-scrub and ledger-append pass phikit.llm unchanged"
is "$(sqlite3 "$tmp/l.db" "SELECT json_extract(payload, '\$.phikit.llm.model') || ' ' || json_extract(payload, '\$.phikit.llm.host') FROM entries WHERE seq = 1")" \
	"m-2 localhost:$port" "the ledger holds the answer's model and the endpoint host"
# phi-scrub reads phikit's strings with its rules: an endpoint named by its IP address loses it
"$LC" --endpoint "$url" <<<'{"text":"x"}' | "$bin/phi-scrub" -p "$POLICY" >"$tmp/piped"
is "$(jq -r .phikit.llm.host "$tmp/piped")" "[IP]:$port" "an IP-address host is redacted by phi-scrub like any IP address"

# order kept with requests in flight, the slow first
printf '%s\n' '{"n":1,"text":"sleep=0.8 one"}' '{"n":2,"text":"sleep=0.1 two"}' \
	'{"n":3,"text":"three"}' '{"n":4,"text":"sleep=0.4 four"}' '{"n":5,"text":"five"}' >"$tmp/in"
run "$LC" --endpoint "$url/chat/completions" -j 4 "$tmp/in"
is "$rc:$(jq -c .n "$tmp/out" | tr '\n' ' ')" "0:1 2 3 4 5 " "-j 4: answers come back out of order, records go out in order"
is "$(jq -r '.path' "$tmp/req.log" | sort -u)" /v1/chat/completions "a whole endpoint URL is kept"
is "$(jq -c '.n as $n | .phikit.llm.latency_ms | if $n == 1 then . >= 800 elif $n == 4 then . >= 400 else . >= 0 end' "$tmp/out" | tr '\n' ' ')" \
	"true true true true true " "latency_ms: each record's own wait (the one told to sleep 0.8 s took 800 ms or more)"

# retries
serve 500,429,drop,200
run "$LC" --endpoint "$url" --retries 3 <<<'{"text":"x"}'
is "$rc:$(reqs):$(jq -r '.choices[0].message.content' "$tmp/out")" "0:4:echo: x" \
	"500, 429 (Retry-After), a dropped connection, then 200: answered on the fourth attempt"
lat_ok "$tmp/out"
ok $? "retried: latency_ms still a whole number (the wait for the answer kept, retries included)"
serve 503
printf '%s\n' '{"n":1,"text":"x"}' >"$tmp/in"
run "$LC" --endpoint "$url" --retries 1 "$tmp/in"
is "$rc:$out" "4:" "503 every time: exit 4, nothing out"
is_err "llm-call: error (at $tmp/in:1): 127.0.0.1:$port: the server answered 503 (2 attempts)" \
	"the failed record, named by line"
serve 200,400,200
printf '%s\n' '{"n":1,"text":"x"}' '{"n":2,"text":"y"}' '{"n":3,"text":"z"}' >"$tmp/in"
run "$LC" --endpoint "$url" -j 1 "$tmp/in"
is "$rc:$(jq -c .n "$tmp/out" | tr '\n' ' ')" "4:1 " "a 400 on the second: the first out, then stop, exit 4"
serve 200,400,200
run "$LC" --endpoint "$url" -j 1 --on-error=skip "$tmp/in"
is "$rc:$(jq -c .n "$tmp/out" | tr '\n' ' ')" "4:1 3 " "--on-error=skip: the failed record withheld, the rest out, exit 4"
like "$err" "*llm-call: 1 record withheld" "--on-error=skip: counted"
serve badjson
run "$LC" --endpoint "$url" <<<'{"text":"x"}'
is "$rc:$out:$err" "4::llm-call: error (at <stdin>:1): the answer is not a chat completion (no choices[0].message with content)" \
	"an answer that is not a completion: withheld, said so"

# bad input
serve 200
bad() {	# bad NAME LINE WANT
	run "$LC" --endpoint "$url" <<<"$2"
	is "$rc:$out" "3:" "$1: exit 3, nothing out"
	is_err "llm-call: error (at <stdin>:1): $3" "$1: said so"
}
bad "malformed JSON" '{"text":"x",}' "expected a key at byte 13"
bad "nothing to send" '{"id":1}' "the record has no messages (an array) or text (a string) to send"
bad "answered already" '{"text":"x","choices":[]}' "the record has choices or usage already (answered?)"
bad "invalid UTF-8" "$(printf '{"text":"\xff"}')" "invalid UTF-8 at byte 10"
run "$LC" --endpoint "$url" </dev/null
is "$rc:$out:$err" "0::" "empty input: exit 0, nothing"

# options and security
run "$LC" <<<'{"text":"x"}'
is "$rc:$err" "2:llm-call: no endpoint: give --endpoint or PHIKIT_LLM_ENDPOINT" "no endpoint: exit 2"
run "$LC" --endpoint http://10.9.8.7/v1 <<<'{"text":"x"}'
is "$rc:$err" "2:llm-call: --endpoint 'http://10.9.8.7/v1/chat/completions': http:// only to a loopback address; use https:// (or --insecure-http on a network you trust)" \
	"plain http to another host: refused"
run "$LC" --endpoint "$url" -j 0
is "$rc:$err" "2:llm-call: bad --jobs '0' (1 to 64)" "-j 0: exit 2"
printf 'sk-test-0123456789abcdef\n' >"$tmp/key"
chmod 600 "$tmp/key"
serve 200
PHIKIT_LLM_API_KEY_FILE=$tmp/key run "$LC" --endpoint "$url" <<<'{"text":"x"}'
is "$rc:$(jq -r '.headers.Authorization' "$tmp/req.log")" "0:Bearer sk-test-0123456789abcdef" \
	"the key from the file \$PHIKIT_LLM_API_KEY_FILE names, as a bearer token"
ok "$(grep -c sk-test "$tmp/out" "$tmp/err" | grep -vc ':0$')" "the key appears in no output"
chmod 644 "$tmp/key"
run "$LC" --endpoint "$url" --api-key-file "$tmp/key" <<<'{"text":"x"}'
is "$rc:$err" "2:llm-call: key file '$tmp/key' is readable by others (mode 0644); chmod 600 it" \
	"a key file others can read: refused"

# llm.require_baa (the preset's): only this host or an endpoint listed with
# baa: true gets a prompt. A model API on this machine's own network address
# stands for a provider elsewhere: not loopback by name, so not self-hosted.
run "$LC" --endpoint https://api.openai.com/v1 <<<'{"text":"x"}'
is "$rc:$err" "2:llm-call: --endpoint 'https://api.openai.com/v1/chat/completions' is not covered by a business associate agreement: $top/bin/../policies/hipaa.yaml:35 requires one (llm.require_baa); list it under llm.endpoints with baa: true in a site policy, or run the model on this host" \
	"the preset: a public endpoint with no BAA refused, naming the policy's file:line"
ip=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(("192.0.2.1", 9)); print(s.getsockname()[0])' 2>/dev/null)
case $ip in
'' | 127.*)
	for _ in 1 2 3 4 5 6; do n=$((n + 1)); echo "ok $n # skip no network address but loopback"; done
	;;
*)
	MOCK_BIND=0.0.0.0 serve 200
	url=http://$ip:$port/v1
	printf 'extends: hipaa\nllm:\n  endpoints:\n    - url: %s\n      baa: false\n      note: a provider with no agreement\n' \
		"$url" >"$tmp/site.yaml"
	run "$LC" -p "$tmp/site.yaml" --insecure-http --endpoint "$url" <<<'{"text":"x"}'
	is "$rc:$out" "2:" "listed with baa: false: exit 2, nothing out"
	is "$(reqs)" 0 "the server saw no request: refused before a byte was sent"
	is_err "llm-call: --endpoint 'http://$ip:$port/v1/chat/completions' is not covered by a business associate agreement: $top/bin/../policies/hipaa.yaml:35 requires one (llm.require_baa), and $tmp/site.yaml:4 lists it with baa: false; list it under llm.endpoints with baa: true in a site policy, or run the model on this host" \
		"the message names both lines"
	sed -i 's/baa: false/baa: true/' "$tmp/site.yaml"
	run "$LC" -p "$tmp/site.yaml" --insecure-http --endpoint "http://$ip:$port/v10" <<<'{"text":"x"}'
	is "$rc:$(reqs)" "2:0" "/v10 is not under a listed /v1: refused, no request"
	run "$LC" -p "$tmp/site.yaml" --insecure-http --endpoint "$url" <<<'{"text":"x"}'
	is "$rc:$(reqs):$(jq -r '.choices[0].message.content' "$tmp/out")" "0:1:echo: x" \
		"listed with baa: true: the request is sent and answered"
	printf 'extends: hipaa\nllm:\n  require_baa: false\n' >"$tmp/open.yaml"
	run "$LC" -p "$tmp/open.yaml" --insecure-http --endpoint "$url" <<<'{"text":"x"}'
	is "$rc:$(reqs)" "0:2" "require_baa: false in a site policy: sent (its choice, in its hash)"
	;;
esac
: >"$tmp/bad.txt"
for bad in 'url: ftp://x/v1' 'url: https://user@h/v1' 'url: https://h/v1?k=1' 'baa: true' \
	"url: https://h/v1
      colour: red"; do
	printf 'extends: hipaa\nllm:\n  endpoints:\n    - %s\n' "$bad" >"$tmp/bad.yaml"
	run "$LC" -p "$tmp/bad.yaml" --endpoint http://127.0.0.1:9/v1 <<<'{"text":"x"}'
	printf '%s\n' "$rc:$err" >>"$tmp/bad.txt"
done
is "$(cat "$tmp/bad.txt")" "2:llm-call: $tmp/bad.yaml:4:12: url must be http(s)://host[:port][/path], with no user, query or fragment
2:llm-call: $tmp/bad.yaml:4:12: url must be http(s)://host[:port][/path], with no user, query or fragment
2:llm-call: $tmp/bad.yaml:4:12: url must be http(s)://host[:port][/path], with no user, query or fragment
2:llm-call: $tmp/bad.yaml:4:7: each of llm.endpoints needs a url
2:llm-call: $tmp/bad.yaml:5:7: unknown key in llm.endpoints (url, baa, note)" \
	"bad endpoint entries: file:line:column, exit 2"

done_testing
