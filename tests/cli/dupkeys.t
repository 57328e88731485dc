#!/bin/bash
# A key that phikit interprets appears once (DESIGN.md; issue L7): a second
# one is bad input in every program that reads records — exit 3, the line
# and the key named (it is ours, not the input's), nothing of the record
# passed on — however it is spelled: "t\u006fol" is "tool" to every other
# JSON reader, and a first-wins reader downstream would act on the copy
# that was not checked. The keys: at the top run_id, phikit, tool, agent,
# args, usage, messages, text, choices; in phikit scrub, guard, ledger,
# hitl; verdict in phikit.guard; name in an object tool; and a chat
# completion's choices[].message.tool_calls[].function.{name,arguments}
# with the objects on the way. Any other key may repeat.
. "$(dirname "$0")/lib.sh"
ledger_init
HITL=$bin/hitl LC=$bin/llm-call
unset PHIKIT_LLM_ENDPOINT PHIKIT_LLM_API_KEY_FILE PHIKIT_LLM_MODEL
srv=
trap '[ -z "$srv" ] || kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT

# every program, as it reads records
p_scrub() { run "$PHI_SCRUB" -p "$POLICY" "$@"; }
p_guard() { run "$GUARD_CHECK" -p "$POLICY" "$@"; }
p_append() { run "$LA" --db "$tmp/l.db" "$@"; }
p_gate() { run "$HITL" gate --db "$tmp/q.db" -p "$POLICY" "$@"; }
p_llm() { run "$LC" --endpoint "${url:-http://127.0.0.1:9/v1}" --model m "$@"; }
progs="scrub:phi-scrub guard:guard-check append:ledger-append gate:hitl llm:llm-call"

# NAME<TAB>RECORD<TAB>MESSAGE (the byte is the second key's opening quote)
cat >"$tmp/cases" <<'C'
tool	{"tool":"calculator","agent":"phi-bot","tool":"web_search"}	duplicate key "tool" at byte 40
tool, spelled with an escape	{"tool":"calculator","t\u006fol":"web_search"}	duplicate key "tool" at byte 22
agent	{"agent":"billing","tool":"web_search","agent":"phi-bot"}	duplicate key "agent" at byte 40
args	{"tool":"deploy","args":{"env":"staging"},"args":{"env":"production"}}	duplicate key "args" at byte 43
usage	{"run_id":"r-1","usage":{"cost":1},"usage":{"cost":100}}	duplicate key "usage" at byte 36
run_id	{"run_id":"r-1","text":"x","run_id":"r-2"}	duplicate key "run_id" at byte 28
run_id, spelled with an escape	{"run_id":"r-1","run\u005fid":"r-2"}	duplicate key "run_id" at byte 17
phikit	{"phikit":{"scrub":{"total":0}},"phikit":{}}	duplicate key "phikit" at byte 33
text	{"text":"fine","text":"You have gout."}	duplicate key "text" at byte 16
messages	{"messages":[],"messages":[{"role":"user","content":"hi"}]}	duplicate key "messages" at byte 16
choices	{"choices":[],"choices":[]}	duplicate key "choices" at byte 15
phikit.scrub	{"phikit":{"scrub":{"total":0},"scrub":{"total":3}}}	duplicate key "scrub" in .phikit at byte 32
phikit.guard	{"phikit":{"guard":{"verdict":"allow"},"guard":{"verdict":"ask"}}}	duplicate key "guard" in .phikit at byte 40
phikit.ledger	{"phikit":{"ledger":{"seq":1},"ledger":{"seq":2}}}	duplicate key "ledger" in .phikit at byte 31
phikit.hitl	{"phikit":{"hitl":{},"hitl":{}}}	duplicate key "hitl" in .phikit at byte 22
phikit.guard.verdict	{"phikit":{"guard":{"verdict":"allow","verdict":"ask"}}}	duplicate key "verdict" in .phikit.guard at byte 39
phikit.guard.verdict, spelled with an escape	{"phikit":{"guard":{"verdict":"allow","v\u0065rdict":"ask"}}}	duplicate key "verdict" in .phikit.guard at byte 39
tool.name	{"tool":{"name":"calculator","name":"web_search"}}	duplicate key "name" in .tool at byte 30
function.name	{"choices":[{"message":{"tool_calls":[{"function":{"name":"calculator","arguments":"{}","name":"web_search"}}]}}]}	duplicate key "name" in .choices[0].message.tool_calls[0].function at byte 89
function.arguments	{"choices":[{"message":{"tool_calls":[{"id":"a","function":{"name":"x","arguments":"{}"}},{"function":{"arguments":"{}","name":"deploy","arguments":"{\"env\":\"production\"}"}}]}}]}	duplicate key "arguments" in .choices[0].message.tool_calls[1].function at byte 137
tool_calls[].function	{"choices":[{"message":{"tool_calls":[{"function":{"name":"a"},"function":{"name":"b"}}]}}]}	duplicate key "function" in .choices[0].message.tool_calls[0] at byte 64
message.tool_calls	{"choices":[{"message":{"tool_calls":[],"tool_calls":[]}}]}	duplicate key "tool_calls" in .choices[0].message at byte 41
choices[].message	{"choices":[{"message":{},"message":{}}]}	duplicate key "message" in .choices[0] at byte 27
C
while IFS=$'\t' read -r name rec msg; do
	for p in $progs; do
		"p_${p%%:*}" <<<"$rec"
		is "$rc:$out" "3:" "${p#*:}, $name twice: exit 3, nothing passed on"
		is_err "${p#*:}: error (at <stdin>:1): $msg" "${p#*:}, $name twice: the key named"
	done
done <"$tmp/cases"

# other keys may repeat, and our keys may stand once in objects of each other
rep='{"a":1,"a":2,"x":{"tool":1,"tool":2},"args2":[{"verdict":1,"verdict":2}]}'
for p in $progs; do
	[ "$p" = llm:llm-call ] && continue
	# the gate takes records the pipeline scrubbed and checked: bound ones
	if [ "$p" = gate:hitl ]; then "p_gate" <<<"$(bound allow "$rep")"; else "p_${p%%:*}" <<<"$rep"; fi
	is "$rc" 0 "${p#*:}: a repeated key phikit does not interpret is no error"
done
p_guard <<<'{"text":"Parking is in garage B.","t":"x","t":"y"}'
is_out '{"text":"Parking is in garage B.","t":"x","t":"y",'"$(gann allow '')"'}' \
	"guard-check: a repeated key of the input's own kept as it was"

# the stream goes on with --on-error=skip: the record between is skipped
printf '%s\n' '{"id":1,"text":"a"}' '{"id":2,"tool":"calculator","tool":"web_search"}' \
	'{"id":3,"text":"b"}' >"$tmp/in"
python3 "$top/tests/cli/mockhttp.py" "$tmp/req.log" 200 >"$tmp/port" 2>/dev/null &
srv=$!
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(head -n 1 "$tmp/port")/v1
{ bound allow '{"id":1,"text":"a"}'; sed -n 2p "$tmp/in"; bound allow '{"id":3,"text":"b"}'; } >"$tmp/in.gate"
for p in $progs; do
	if [ "$p" = gate:hitl ]; then p_gate --on-error=skip <"$tmp/in.gate"; else
		"p_${p%%:*}" --on-error=skip <"$tmp/in"; fi
	is "$rc:$(jq -c .id "$tmp/out" | paste -sd' ')" "3:1 3" \
		"${p#*:} --on-error=skip: the records around it passed on, exit 3"
	count="1 bad line skipped"
	[ "$p" = llm:llm-call ] && count="1 record withheld"
	is_err "${p#*:}: error (at <stdin>:2): duplicate key \"tool\" at byte 29
${p#*:}: $count" "${p#*:} --on-error=skip: the line named, the record counted"
done
is "$(wc -l <"$tmp/req.log" | tr -d ' ')" 2 "llm-call sent the two good records only"

# what phikit reads is what the record says: a key spelled with escapes is the key
p_guard <<<'{"t\u006fol":"export_raw_data","agent":"x"}'
is "$(verdict "$out")" "deny HIPAA-001" "guard-check: \"t\\u006fol\" is the tool, checked"
p_guard <<<'{"t\u0065xt":"Based on your symptoms, you have gout."}'
is "$(printf '%s\n' "$out" | jq -r '.phikit.guard.verdict + " " + .phikit.guard.violations[0].rule + " " + .phikit.guard.violations[0].field')" \
	"deny diagnosis .text" "guard-check: \"t\\u0065xt\" is the text, checked, and named as .text"
done_testing
