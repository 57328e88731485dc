#!/bin/bash
# guard-check on bad input: exit 3, an error naming the input and line,
# and the bad record never written as if it had been checked — nor, by
# default, anything after it. A rule that fails closed withholds too.
. "$(dirname "$0")/lib.sh"

good='{"text":"Parking is in garage B."}'
good_out='{"text":"Parking is in garage B.",'"$(gann allow '')"'}'
around() { { printf '%s\n' "$good"; printf '%s\n' "$1"; printf '%s\n' "$good"; } >"$tmp/in"; }
bad() {	# bad NAME WANT-ERROR [ARGS...]
	local name=$1 want=$2
	shift 2
	guard "$@" <"$tmp/in"
	is "$rc" 3 "$name: exit 3"
	is_err "guard-check: error (at <stdin>:2): $want" "$name: the message names the line"
	is_out "$good_out" "$name: the line before written; nothing of it, nothing after"
}
around '{"text":"You have gout.",}'
bad "malformed JSON" "expected a key at byte 26"
around '[1]'
bad "not an object" "not a JSON object"
around "$(printf '{"text":"You have gout \xff"}')"
bad "invalid UTF-8" "invalid UTF-8 at byte 24"
around '{"text":"x\ud800"}'
bad "a lone surrogate" "lone UTF-16 surrogate at byte 11"
{ printf '%s\n\n%s\n' "$good" "$good"; } >"$tmp/in"
bad "an empty line" "empty line"
around '{"tool":7,"agent":"phi-bot"}'
bad "a tool that is neither a string nor an object with a name" '"tool" must be a string or an object with a string "name"'
around '{"tool":{"id":1},"agent":"phi-bot"}'
bad "a tool object without a name" '"tool" must be a string or an object with a string "name"'
around '{"choices":[{"message":{"tool_calls":[{"function":{"arguments":"{}"}}]}}]}'
bad "an OpenAI tool call without a name" 'a tool call has no "name"'
around '{"choices":[{"message":{"tool_calls":[{"function":{"name":"a","name":"export_raw_data","arguments":"{}"}}]}}]}'
bad "an OpenAI tool call with its name twice" 'duplicate key "name" in .choices[0].message.tool_calls[0].function at byte 63'
around '{"choices":[{"message":{"tool_calls":[{"function":{"name":"export_raw_data","arguments":{"q":"x"}}}]}}]}'
bad "OpenAI arguments that are not a string" 'a tool call'"'"'s "arguments" must be a string of JSON text, as the API sends them'
around '{"choices":[{"message":{"tool_calls":[{"function":{"name":"export_raw_data","arguments":"{\"deidentified\":true,\"deidentified\":false}"}}]}}]}'
bad "OpenAI arguments with a key twice" "a tool call's arguments: a duplicate key"
around '{"tool":"web_search","agent":7}'
bad "an agent that is not a string" "agent must be a string"
around '{"text":"ok","run_id":"r 1"}'
bad "a run_id that is no identifier" "run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -"
around '{"text":"ok","phikit":[]}'
bad "phikit that is not an object" "\"phikit\" is not an object"
{ printf '%s\n{"text":"' "$good"; head -c 3000 /dev/zero | tr '\0' x; printf '"}\n%s\n' "$good"; } >"$tmp/in"
bad "a line over --max-line" "line longer than 1024 bytes" --max-line 1K
bad "a line over --max-line, 4 threads" "line longer than 1024 bytes" --max-line 1K -j 4
{ printf '%s\n{"a":' "$good"; head -c 5000 /dev/zero | tr '\0' '['; printf '\n%s\n' "$good"; } >"$tmp/in"
bad "nesting 5000 deep" "nesting deeper than 512 levels"

# valid JSON that jansson cannot hold, where guard-check reads values whole
# (a tool call's args, usage): bad input naming the line, never "out of
# memory" (issue M1), and never quoting the number; a duplicate key there
# too (jansson keeps the last, a tool or a biller may take the first)
around '{"tool":"deploy","agent":"ci","args":{"env":"production","replicas":123456789012345678901234567890}}'
bad "an integer past 64 bits in args" "args: an integer too large for 64 bits"
around '{"tool":"deploy","agent":"ci","args":[-123456789012345678901234567890]}'
bad "a negative integer past 64 bits in args" "args: an integer too large for 64 bits"
around '{"tool":"deploy","agent":"ci","args":{"env":"production","scale":1e999}}'
bad "1e999 in args" "args: a number too large for a double"
around '{"tool":"deploy","agent":"ci","args":{"env\u0000":"production"}}'
bad "\\u0000 in a key of args" "args: \\u0000 in an object key"
around '{"tool":"deploy","agent":"ci","args":{"env":"production","env":"staging"}}'
bad "a duplicate key in args" "args: a duplicate key"
around '{"run_id":"r-1","text":"ok","usage":{"cost":1e999}}'
bad "1e999 as usage.cost" "usage: a number too large for a double"
around '{"run_id":"r-1","text":"ok","usage":{"cost":1,"prompt_tokens":123456789012345678901234567890}}'
bad "an integer past 64 bits in usage" "usage: an integer too large for 64 bits"
around '{"run_id":"r-1","text":"ok","usage":{"cost":1,"\u0000":2}}'
bad "\\u0000 in a key of usage" "usage: \\u0000 in an object key"
around '{"run_id":"r-1","text":"ok","usage":{"cost":100,"cost":1}}'
bad "a duplicate key in usage" "usage: a duplicate key"
printf '%s\n' "$good" '{"tool":"deploy","agent":"ci","args":{"n":123456789012345678901234567890}}' \
	'{"tool":"deploy","agent":"ci","args":{"env":"production"}}' >"$tmp/in"
guard --on-error=skip <"$tmp/in"
is "$rc" 3 "args past 64 bits, --on-error=skip: exit 3 at the end"
is "$(printf '%s\n' "$out" | jq -c .phikit.guard.verdict | paste -sd' ')" '"allow" "ask"' \
	"args past 64 bits, --on-error=skip: that record skipped, the stream goes on"
is_err "guard-check: error (at <stdin>:2): args: an integer too large for 64 bits
guard-check: 1 bad line skipped" "args past 64 bits, --on-error=skip: the error and the count"
guard <<<'{"text":"Parking is in garage B.","n":123456789012345678901234567890,"r":1e999}'
is_out '{"text":"Parking is in garage B.","n":123456789012345678901234567890,"r":1e999,'"$(gann allow '')"'}' \
	"such numbers elsewhere in the record: checked, kept byte for byte"
guard <<<'{"tool":"deploy","agent":"ci","args":{"env":"production","note":"a\u0000b"}}'
is "$rc:$(verdict "$out")" "0:ask HIPAA-003" "\\u0000 in a string of args: valid, matched"

# --on-error=skip: the bad line is dropped and counted, the rest checked
around '{"text":"You have gout.",}'
guard --on-error=skip <"$tmp/in"
is "$rc" 3 "--on-error=skip: still exit 3 at the end"
is_out "$good_out
$good_out" "--on-error=skip: the good lines written"
is_err "guard-check: error (at <stdin>:2): expected a key at byte 26
guard-check: 1 bad line skipped" "--on-error=skip: the error and the count"
guard --on-error=skip --fail <<<'{"text":"Your SSN 219-09-9999 is on file."}
{'
is "$rc" 3 "bad input outranks a violation under --fail"

# a rule that fails closed: the record is withheld, exit 2
cat >"$tmp/slow.yaml" <<'Y'
name: slow
scrub:
  match_limit: 1000
prohibited_output:
  - id: backtrack
    citation: test
    severity: deny
    pattern: '(a+)+[bc]'
Y
{ printf '%s\n' '{"text":"ok"}'; printf '{"text":"%s"}\n' "$(head -c 40 /dev/zero | tr '\0' a)"; printf '%s\n' '{"text":"ok"}'; } >"$tmp/in"
run "$GUARD_CHECK" -p "$tmp/slow.yaml" <"$tmp/in"
is "$rc" 2 "a rule over its match limit: exit 2"
like "$err" "guard-check: error (at <stdin>:2): rule 'backtrack': *" "the rule is named"
is "$(wc -l <"$tmp/out")" 1 "the record is withheld, nothing after it written"

# write errors
guard <<<"$good" >/dev/full
if [ -w /dev/full ]; then
	"$GUARD_CHECK" -p "$POLICY" <<<"$good" >/dev/full 2>"$tmp/err"
	is "$?" 4 "a full disk: exit 4"
	like "$(cat "$tmp/err")" "guard-check: write error: *" "a full disk: said so"
fi
done_testing
