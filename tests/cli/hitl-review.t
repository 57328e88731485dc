#!/bin/bash
# hitl show as a reviewer reads it (the guard verdict, each rule with its
# citation and where it matched, the prompt and the answer as text,
# terminal controls escaped; --json a superset of what it was), and hitl
# review, the walk over the pending items on a terminal, driven under
# tmux: its approvals and rejections equal hitl approve's and reject's,
# a refusal is reported as approve reports it, and without a terminal it
# refuses.
. "$(dirname "$0")/lib.sh"

HITL=$bin/hitl
me=$(id -un)
unset PHIKIT_DB PHIKIT_LEDGER_KEY PHIKIT_HITL_TIMEOUT_S PHIKIT_HITL_EXPIRE_S PHIKIT_HITL_WEBHOOK \
	PHIKIT_CHECKPOINT_OUT
printf 'extends: %s\nhitl: {separation_of_duties: false}\n' "$POLICY" >"$tmp/solo.yaml"

# ---- show ----
# a chat completion: a system and a user message, an answer with a claim
# and with terminal controls (ESC sequences, BEL, CSI as C1, a bidi
# override), a tool call that needs a person
COMPLETION='{"run_id":"r-c","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Is this \u001b]0;owned\u0007cream safe?"}]}],"choices":[{"message":{"role":"assistant","content":"This cream is completely safe for everyone.\u001b[2J\u009b1m\u202e\nAsk\tfirst.","tool_calls":[{"id":"c1","type":"function","function":{"name":"deploy","arguments":"{\"env\":\"production\"}"}}]}}]}'
db=$tmp/show.db
checked "$COMPLETION" | "$HITL" gate -q --db "$db" -p "$POLICY"
run "$HITL" show 1 --db "$db" -p "$POLICY"
is "$rc" 0 "show: exit 0"
is "$(printf '%s\n' "$out" | sed -n '/^guard/,$p')" 'guard        ask (policy hipaa)
  rule       safety-claim, severity warn (claim)
  citation   FTC Act 5 and 12 (15 U.S.C. 45, 52)
  where      .choices[0].message.content, offset 14, length 15: "completely safe"
  rule       HIPAA-003, severity ask (permission)
  citation   45 CFR 164.308(a)(1)(ii)(B)
  reason     changes to systems holding ePHI go through risk management
  where      .choices[0].message.tool_calls[0], offset 0, length 0
prompt
  .messages[0].content (system)
    Be brief.
  .messages[1].content[0].text (user)
    Is this \x1b]0;owned\x07cream safe?
answer
  .choices[0].message.content
    This cream is completely safe for everyone.\x1b[2J\u009b1m\u202e
    Ask	first.
  .choices[0].message.tool_calls[0] tool call deploy
    {"env":"production"}' "show: the verdict, each rule with citation and where, the prompt and the answer, controls escaped"
is "$(LC_ALL=C grep -c $'[\x01-\x08\x0b-\x1f\x7f]\|\xc2[\x80-\x9f]\|\xe2\x80[\xaa-\xae]' "$tmp/out")" 0 \
	"show: no control byte reaches the terminal but newline and tab"
is "$(printf '%s\n' "$out" | head -1)" "item         1" "show: the item's lines come first, as before"

run "$HITL" show 1 --json --db "$db" -p "$POLICY"
is "$(field "$out" '[keys_unsorted[]] | join(",")')" \
	"item,status,run_id,reason,queued_by,queued_at,approvals,approvals_required,record_sha256,released_at,released_by,decisions,guard,prompt,answer" \
	"show --json: the fields it had, then guard, prompt and answer"
is "$(field "$out" '.guard.violations | map([.rule, .citation, .field, .offset, .length] | map(tostring) | join("|")) | join(" ")')" \
	"safety-claim|FTC Act 5 and 12 (15 U.S.C. 45, 52)|.choices[0].message.content|14|15 HIPAA-003|45 CFR 164.308(a)(1)(ii)(B)|.choices[0].message.tool_calls[0]|0|0" \
	"show --json: the guard annotation as guard-check wrote it"
is "$(field "$out" '.prompt | map(.role + ":" + .field + ":" + .text) | join(" ")')" \
	"system:.messages[0].content:Be brief. user:.messages[1].content[0].text:Is this $(printf '\033')]0;owned$(printf '\007')cream safe?" \
	"show --json: the prompt, each message with its role"
is "$(field "$out" '.answer[1] | [.field, .tool, .arguments] | join(" ")')" \
	'.choices[0].message.tool_calls[0] deploy {"env":"production"}' "show --json: a tool call with its name and arguments"
is "$(field "$out" '.answer[0].text | .[0:43]')" "This cream is completely safe for everyone." "show --json: the answer's text"
unlike "$out" "*$(printf '\033')*" "show --json: ESC stays escaped in JSON"
run "$HITL" show 1 --json --record --db "$db" -p "$POLICY"
is "$(field "$out" '.record.run_id + " " + .answer[0].field')" "r-c .choices[0].message.content" \
	"show --json --record: the record too, after the new fields"

# a record with no answer is judged on its text: that text is the answer
checked '{"run_id":"r-t","text":"This cream is completely safe for everyone.","tool":"deploy","args":{"env":"production"}}' |
	"$HITL" gate -q --db "$db" -p "$POLICY"
run "$HITL" show 2 --db "$db" -p "$POLICY"
is "$(printf '%s\n' "$out" | sed -n '/^  where/p;/^prompt/,$p')" '  where      .text, offset 14, length 15: "completely safe"
prompt
  none
answer
  .text
    This cream is completely safe for everyone.
  .tool tool call deploy
    {"env":"production"}' "show: a record's plain text, where guard-check judged it"

# ---- review: no terminal ----
db=$tmp/walk.db
run "$HITL" review --db "$db" -p "$tmp/solo.yaml" --reviewer "$me" </dev/null
is "$rc.$err" "2.hitl: review needs a terminal: stdin is not one (approve and reject decide one item from a script)" \
	"review: not a terminal, a usage error"
is "$out" "" "review: not a terminal, nothing decided or printed"

# ---- review under tmux ----
if ! command -v tmux >/dev/null 2>&1; then
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14; do n=$((n + 1)); echo "ok $n # skip no tmux"; done
	done_testing
	exit
fi
sock=phkt-review-$$
tmx() { tmux -L "$sock" "$@"; }
trap 'tmx kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT
# tm_start CMD: runs CMD in a detached 200x50 terminal; its exit status goes to $tmp/exit
tm_start() {
	rm -f "$tmp/exit"
	tmx kill-server >/dev/null 2>&1
	# a fresh server each time: one started on the socket just killed may die with the old one
	tm_n=$((${tm_n:-0} + 1))
	sock=phkt-review-$$-$tm_n
	tmx new-session -d -x 200 -y 50 "$1; echo \$? >$tmp/exit.tmp; mv $tmp/exit.tmp $tmp/exit; sleep 60"
	tmx set-option -g history-limit 5000 >/dev/null
}
pane() { tmx capture-pane -p -J -S -5000; }
# tm_wait N PATTERN: until PATTERN (grep) is on N lines of the pane, 10 s at most
tm_wait() {
	local i
	for i in $(seq 100); do
		[ "$(pane | grep -c -- "$2")" -ge "$1" ] && return 0
		sleep 0.1
	done
	echo "# timed out waiting for $1 x $2"
	return 1
}
tm_exit() {
	local i
	for i in $(seq 100); do [ -s "$tmp/exit" ] && break; sleep 0.1; done
	cat "$tmp/exit" 2>/dev/null
}
ask4() { for i in 1 2 3 4; do printf '{"run_id":"r-%s","tool":"deploy","args":{"env":"production"}}\n' "$i"; done; }
ask4 | "$bin/phi-scrub" -p "$POLICY" | "$bin/guard-check" -p "$POLICY" | "$HITL" gate -q --db "$db" -p "$tmp/solo.yaml"
cp "$db" "$tmp/cmd.db"
P='\[a\]pprove, \[r\]eject, \[s\]kip, \[q\]uit?'
tm_start "$HITL review --db $db -p $tmp/solo.yaml --reviewer $me"
tm_wait 1 "$P" && tmx send-keys a Enter
tm_wait 1 '^note: ' && tmx send-keys 'fine by me' Enter
tm_wait 2 "$P" && tmx send-keys r Enter
tm_wait 2 '^note: ' && tmx send-keys 'dose too high' Enter
tm_wait 3 "$P" && tmx send-keys s Enter
tm_wait 4 "$P" && tmx send-keys q Enter
is "$(tm_exit)" 0 "review: exit 0"
pane >"$tmp/pane"
is "$(grep -E '^(---- item|item [0-9]+:|approved [0-9])' "$tmp/pane")" "---- item 1, 1 of 4 ----
item 1: approved (1 of 1 approvals)
---- item 2, 2 of 4 ----
item 2: rejected
---- item 3, 3 of 4 ----
---- item 4, 4 of 4 ----
approved 1, rejected 1, skipped 1, refused 0" "review: approve, reject with a note, skip, quit; the outcomes and the summary"
is "$(grep -c '^  rule       HIPAA-003, severity ask (permission)' "$tmp/pane")" 4 "review: each item shown as show shows it"

# the same decisions by the commands, on a copy of the queue
run "$HITL" approve 1 --db "$tmp/cmd.db" -p "$tmp/solo.yaml" --reviewer "$me" --notes "fine by me"
run "$HITL" reject 2 --db "$tmp/cmd.db" -p "$tmp/solo.yaml" --reviewer "$me" --notes "dose too high"
st() { "$HITL" list --json --db "$1" -p "$tmp/solo.yaml" | jq -c '[.item, .status, .approvals, .released_at]' | paste -sd' '; }
is "$(st "$db")" '[1,"approved",1,null] [2,"rejected",0,null] [3,"pending",0,null] [4,"pending",0,null]' \
	"review: the statuses hitl list shows"
is "$(st "$db")" "$(st "$tmp/cmd.db")" "review: the same statuses as approve and reject give"
pays() { sqlite3 "$1" "SELECT kind || ' ' || run_id || ' ' || actor || ' ' || payload FROM entries WHERE kind NOT IN ('policy.bind', 'hitl.enqueue') ORDER BY seq"; }
is "$(pays "$db")" "$(pays "$tmp/cmd.db")" "review: the same ledger entries, payload for payload, as approve and reject write"
is "$(pays "$db" | cut -d' ' -f1 | paste -sd' ')" "hitl.decision hitl.decision" "review: each decision one hitl.decision entry"
dec() { "$HITL" show "$2" --json --db "$1" -p "$tmp/solo.yaml" | jq -c '.decisions | map(del(.ts, .seq))'; }
is "$(dec "$db" 1) $(dec "$db" 2)" "$(dec "$tmp/cmd.db" 1) $(dec "$tmp/cmd.db" 2)" "review: show --json gives the same decisions"
run "$bin/ledger-verify" --self-asserted --db "$db"
is "$rc" 0 "review: the ledger verifies"

# separation of duties: the queuer's approval is refused, reported and logged; the walk goes on
db=$tmp/sod.db
ask4 | head -2 | "$bin/phi-scrub" -p "$POLICY" | "$bin/guard-check" -p "$POLICY" | "$HITL" gate -q --db "$db" -p "$POLICY"
tm_start "$HITL review --db $db -p $POLICY --reviewer $me"
tm_wait 1 "$P" && tmx send-keys a Enter
tm_wait 1 '^note: ' && tmx send-keys 'mine, but fine' Enter
tm_wait 2 "$P" && tmx send-keys q Enter
is "$(tm_exit)" 1 "review: a refused decision makes the exit status 1, as approve's"
pane >"$tmp/pane"
is "$(grep -E '^(hitl: refused|approved [0-9])' "$tmp/pane")" "hitl: refused: $me queued item 1 and cannot approve it (separation of duties)
approved 0, rejected 0, skipped 0, refused 1" "review: the refusal as approve reports it, then the next item"
is "$(sqlite3 "$db" "SELECT json_extract(payload, '\$.rule') || ' ' || json_extract(payload, '\$.item') FROM entries WHERE kind = 'hitl.refusal'") $("$HITL" list --json --db "$db" -p "$POLICY" | jq -r .status | paste -sd,)" \
	"self-approval 1 pending,pending" "review: the refusal is a ledger entry, the item stays pending"

# a note is asked for again when none is typed; end of input at the prompt is quit
tm_start "$HITL review --db $db -p $POLICY --reviewer $me --run r-2"
tm_wait 1 "$P" && tmx send-keys r Enter
tm_wait 1 '^note: ' && tmx send-keys Enter
tm_wait 1 '^a decision needs a note' && tmx send-keys C-d
is "$(tm_exit):$(pane | grep -E '^(---- item|approved [0-9])' | paste -sd'|')" \
	"0:---- item 2, 1 of 1 ----|approved 0, rejected 0, skipped 0, refused 0" \
	"review --run: that run's items; an empty note asked again; end of input quits"
is "$("$HITL" list --json --db "$db" -p "$POLICY" --run r-2 | jq -r .status)" pending "review: quitting decides nothing"
done_testing
