#!/bin/bash
# --field: only the strings at or below the given paths are scrubbed.
. "$(dirname "$0")/lib.sh"

chat='{"model":"m-1","messages":[{"role":"system","content":"SSN 869-36-0459"},{"role":"user","content":"call (857) 261-9798"}],"meta":"SSN 869-36-0459"}'

scrub -f '.messages[].content' <<<"$chat"
is_out '{"model":"m-1","messages":[{"role":"system","content":"SSN [SSN]"},{"role":"user","content":"call [PHONE]"}],"meta":"SSN 869-36-0459",'"$(ann '"PHONE":1,"SSN":1' 2 tag '".messages[].content"')"'}' \
	"-f .messages[].content: every message scrubbed, nothing else"
scrub --field='.messages[1].content' <<<"$chat"
is_out '{"model":"m-1","messages":[{"role":"system","content":"SSN 869-36-0459"},{"role":"user","content":"call [PHONE]"}],"meta":"SSN 869-36-0459",'"$(ann '"PHONE":1' 1 tag '".messages[1].content"')"'}' \
	"--field=.messages[1].content: only that message"
scrub -f .meta -f '.messages[0]' <<<"$chat"
is_out '{"model":"m-1","messages":[{"role":"system","content":"SSN [SSN]"},{"role":"user","content":"call (857) 261-9798"}],"meta":"SSN [SSN]",'"$(ann '"SSN":2' 2 tag '".meta",".messages[0]"')"'}' \
	"two -f options: both paths; a path covers what is below it"
scrub -f . <<<"$chat"
is_out '{"model":"m-1","messages":[{"role":"system","content":"SSN [SSN]"},{"role":"user","content":"call [PHONE]"}],"meta":"SSN [SSN]",'"$(ann '"PHONE":1,"SSN":2' 3 tag '"."')"'}' \
	"-f . is the whole record"
scrub -f .text <<<'{"other":"SSN 869-36-0459"}'
is "$rc:$out" "3:" "a --field that selects nothing: bad input, exit 3, the record withheld"
is_err "phi-scrub: error (at <stdin>:1): --field .text selects no string in this record (write .text? if that is expected)" \
	"a --field that selects nothing: the line named, and how to say that is expected"
scrub -f '.text?' <<<'{"other":"SSN 869-36-0459"}'
is_out '{"other":"SSN 869-36-0459",'"$(ann '' 0 tag '".text"')"'}' "-f '.text?': a path that may select nothing; the annotation says what was searched"
scrub -f '.messages[].content' -f '.choices[].message.content?' <<<'{"messages":[{"content":"SSN 869-36-0459"}]}'
is_out '{"messages":[{"content":"SSN [SSN]"}],'"$(ann '"SSN":1' 1 tag '".messages[].content",".choices[].message.content"')"'}' \
	"a required path and an optional one: the optional may be absent"
scrub -f '.messages[].content' <<<'{"messages":[]}'
is "$rc" 3 "a path into an empty array selects nothing: exit 3"
scrub -f '.text' <<<'{"text":""}'
is_out '{"text":"",'"$(ann '' 0 tag '".text"')"'}' "an empty string is selected: nothing found, exit $rc"
scrub -f '.choices[].message.content' <<<'{"choices":[{"message":{"role":"assistant","content":"Her SSN is 869-36-0459."}}]}'
is "$(jq -r '.choices[0].message.content' "$tmp/out")" "Her SSN is [SSN]." "-f .choices[].message.content: a chat response"

for f in text '.a[x]' '' '..' '.a[-1]'; do
	scrub -f "$f" <<<'{"text":"x"}'
	is "$rc:$out" "2:" "--field '$f': a usage error, exit 2, nothing written"
	is_err "phi-scrub: bad field path '$f' (try .text or .messages[].content)" "--field '$f': says how to write one"
done
args=()
for i in $(seq 1 33); do args+=(-f ".f$i"); done
scrub "${args[@]}" <<<'{"text":"x"}'
is "$rc" 2 "33 --field options: exit 2"
is_err "phi-scrub: at most 32 --field options" "33 --field options: said so"

done_testing
