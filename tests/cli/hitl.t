#!/bin/bash
# hitl as one user: the gate (what is queued, what passes, what is
# withheld and logged, bad input), list and show, refusals that need no
# second person (self-approval, an alias not given, a role not held), the
# queue's bound policy, release decided by the ledger, timeouts that
# escalate and expire, wait, the webhook, and the policy's access and hitl
# sections.
. "$(dirname "$0")/lib.sh"

HITL=$bin/hitl
db=$tmp/q.db
me=$(id -un)
unset PHIKIT_DB PHIKIT_LEDGER_KEY PHIKIT_HITL_TIMEOUT_S PHIKIT_HITL_EXPIRE_S PHIKIT_HITL_WEBHOOK \
	PHIKIT_CHECKPOINT_OUT

h() { run "$HITL" "$1" --db "$db" -p "$POLICY" "${@:2}"; }
hp() { local p=$1; shift; run "$HITL" "$1" --db "$db" -p "$p" "${@:2}"; }
kinds() { sqlite3 "$db" "SELECT kind FROM entries ORDER BY seq" | paste -sd' '; }
items_kinds() { sqlite3 "$db" "SELECT kind FROM entries WHERE run_id != 'phikit:policy' ORDER BY seq" | paste -sd' '; }

# records as the documented pipeline hands them to the gate: scrubbed and checked
ALLOW=$(checked '{"run_id":"r-1","text":"The clinic opens at nine."}')
ASK=$(checked '{"run_id":"r-1","tool":"deploy","args":{"env":"production"}}')
DENY=$(checked '{"run_id":"r-1","text":"You have gout."}')
WARN=$(checked '{"run_id":"r-2","text":"This cream is completely safe for everyone."}')
PLAIN='{"text":"no guard here"}'

# ---- usage ----
run "$HITL" --help
is "$rc" 0 "--help: exit 0"
like "$out" "usage: hitl gate *hitl wait id*" "--help: every command, on stdout"
run "$HITL" --version
is "$rc.$out" "0.hitl (phikit) 0.1.0" "--version"
run "$HITL"
is "$rc" 2 "no command: exit 2"
run "$HITL" publish
is "$rc.$err" "2.hitl: unknown command 'publish' (gate, list, show, approve, reject, review, release, wait)" "an unknown command"
run "$HITL" approve --db "$db" -p "$POLICY"
is "$rc.$err" "2.hitl: approve takes one item number" "approve without an item"
run "$HITL" list --db "$db" -p "$POLICY" extra
is "$rc.$err" "2.hitl: unexpected argument 'extra'" "list takes no operands"
run "$HITL" wait 1 --timeout -1 --db "$db" -p "$POLICY"
is "$rc.$err" "2.hitl: bad --timeout '-1' (seconds, 0 to 10000000)" "wait: a bad timeout"
run "$HITL" gate --on-error=maybe --db "$db" -p "$POLICY"
is "$rc.$err" "2.hitl: --on-error takes stop or skip, not 'maybe'" "gate: a bad --on-error"
run "$HITL" list --run "a b" --db "$db" -p "$POLICY"
is "$rc.$err" "2.hitl: --run 'a b' is not an identifier" "list: a bad --run"

# ---- the gate ----
printf '%s\n' "$ALLOW" "$ASK" "$WARN" >"$tmp/in"
h gate <"$tmp/in"
is "$rc" 0 "gate: exit 0"
is_out "$(masked "$ALLOW" "$WARN")" "gate: allow and warn records pass unchanged, the ask record is withheld"
is_err "hitl: queued item 1 (run r-1): ask" "gate: says what it queued"
is "$(kinds)" "policy.bind hitl.enqueue" "gate: the queue's policy bound when it is made, then one hitl.enqueue entry"
is "$(sqlite3 "$db" "SELECT json_extract(payload, '\$.policy.sha256') || ' ' || run_id FROM entries WHERE seq = 0")" \
	"$POLICY_SHA phikit:policy" "gate: the bound policy is the one the gate ran under, in run phikit:policy"
pay=$(sqlite3 "$db" "SELECT payload FROM entries WHERE seq = 1")
sha=$(printf '%s' "$ASK" | sha256sum | cut -d' ' -f1)
is "$(field "$pay" '[.item, .reason, .record_sha256, .queued_by, .approvals_required, .separation_of_duties] | map(tostring) | join(" ")')" \
	"1 ask $sha $me 1 true" \
	"gate: the enqueue entry names item, reason, record hash, who queued it and the quorum it was queued under"
is "$(sqlite3 "$db" "SELECT run_id FROM entries WHERE seq = 1")" "r-1" "gate: logged in the record's run"
is "$(field "$pay" '.guard | tojson')" '{"verdict":"ask","rules":["HIPAA-003"]}' \
	"gate: the enqueue entry carries the guard verdict and its rules"
is "$(field "$pay" '.request_seq')" null "gate: a record no ledger entry of this ledger logged names no request entry"
is "$(stat -c %a "$db")" 600 "gate: the database is created 0600"

# logged first (as the documented pipeline does), the item names the entry of its request
printf '%s\n' '{"run_id":"r-7","text":"hello"}' '{"run_id":"r-7","tool":"deploy","args":{"env":"production"}}' |
	"$bin/phi-scrub" -p "$POLICY" | "$bin/ledger-append" --db "$tmp/q7.db" | "$bin/guard-check" -p "$POLICY" |
	"$HITL" gate --db "$tmp/q7.db" -p "$POLICY" >/dev/null 2>&1
rseq=$(sqlite3 "$tmp/q7.db" "SELECT json_extract(payload, '\$.request_seq') FROM entries WHERE kind = 'hitl.enqueue'")
is "$(sqlite3 "$tmp/q7.db" "SELECT payload FROM entries WHERE kind = 'hitl.enqueue'" | jq -c '[.item, .request_run_seq, .guard.verdict]'):$(sqlite3 "$tmp/q7.db" "SELECT kind || ' ' || run_id || ' ' || run_seq || ' ' || json_extract(payload, '\$.tool') FROM entries WHERE seq = '$rseq'")" \
	'[1,1,"ask"]:record r-7 1 deploy' "gate: the enqueue entry names the request's ledger entry and its position in the run"

h gate -q <<<"$ASK"
is "$rc.$err.$out" "0.." "gate -q: queued quietly"

# a denied answer is withheld, and logged first: the trail shows what was stopped
h gate <<<"$DENY"
is "$rc.$out" "0." "gate: a denied record is withheld"
is_err "hitl: withheld a denied record (run r-1), logged as hitl.deny" "gate: says it withheld and logged it"
is "$(sqlite3 "$db" "SELECT kind FROM entries ORDER BY seq DESC LIMIT 1")" "hitl.deny" "gate: a hitl.deny entry"
is "$(sqlite3 "$db" "SELECT payload FROM entries ORDER BY seq DESC LIMIT 1")" "$DENY" \
	"gate: the hitl.deny payload is the record as checked (scrubbed, with its verdict and rules)"
run "$bin/trace-export" --db "$db" --format jsonl --run r-1
is "$(printf '%s\n' "$out" | jq -c 'select(.kind == "hitl.deny") | .guard')" \
	'{"verdict":"deny","rules":["diagnosis","diagnosis-model","not-medical-advice","consult-provider"]}' \
	"trace-export: the denial and its rules are in the export"

# on a pipe, each record that passes is written at once, not at the end
coproc GATE { "$HITL" gate -q --db "$db" -p "$POLICY"; }
echo "$ALLOW" >&"${GATE[1]}"
line=
read -r -t 10 line <&"${GATE[0]}"
is "$line" "$ALLOW" "gate: a record passes at once on a pipe, while the input stays open"
exec {GATE[1]}>&-
wait "$GATE_PID"

# irreversible tools are queued, named the way the policy's rules read names
tdb=$tmp/tools.db
cat >"$tmp/tools.yaml" <<EOF
extends: $POLICY
hitl:
  irreversible_tools: [send_fax, delete_chart]
EOF
oai='{"run_id":"r-2","choices":[{"message":{"content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{}"}},{"id":"c2","type":"function","function":{"name":"Send_Fax","arguments":"{\"to\":\"lab\"}"}}]}}]}'
checked '{"run_id":"r-2","tool":"send_fax","args":{}}' '{"run_id":"r-2","tool":"lookup"}' \
	'{"run_id":"r-2","tool":{"name":"delete_chart"}}' '{"run_id":"r-2","tool":"Send_Fax"}' \
	'{"run_id":"r-2","tool":"send_fax "}' '{"run_id":"r-2","tool":"sendFax"}' "$oai" \
	'{"run_id":"r-2","output":[{"type":"function_call","call_id":"c1","name":"delete-chart","arguments":"{}"}]}' >"$tmp/in"
run "$HITL" gate --db "$tdb" -p "$tmp/tools.yaml" <"$tmp/in"
is "$rc" 0 "gate: irreversible tools, exit 0"
is "$(jq -c .tool <"$tmp/out")" '"lookup"' "gate: a tool the policy does not list passes"
is_err "hitl: queued item 1 (run r-2): irreversible_tool
hitl: queued item 2 (run r-2): irreversible_tool
hitl: queued item 3 (run r-2): irreversible_tool
hitl: queued item 4 (run r-2): irreversible_tool
hitl: queued item 5 (run r-2): irreversible_tool
hitl: queued item 6 (run r-2): irreversible_tool
hitl: queued item 7 (run r-2): irreversible_tool" \
	"gate: by name, string or object, any case, spacing or camelCase, OpenAI and Responses calls"
is "$(sqlite3 "$tdb" "SELECT group_concat(tool, ' ') FROM hitl_items")" \
	"send_fax delete_chart send_fax send_fax send_fax send_fax delete_chart" "gate: the tool named as the policy names it"

# ---- bad input: exit 3, exact messages, nothing passed raw ----
bad() {	# bad LINE MESSAGE
	h gate <<<"$1"
	is "$rc" 3 "bad input exits 3: $2"
	is_err "hitl: error (at <stdin>:1): $2" "bad input message: $2"
	is "$out" "" "bad input passes nothing: $2"
}
bad "$PLAIN" "record has no phikit.guard verdict: run guard-check on it before hitl gate"
bad '{"run_id":"r","phikit":{"guard":"ask"}}' "phikit.guard is not an object"
bad '{"run_id":"r","phikit":{"guard":{"verdict":1}}}' "phikit.guard.verdict is not allow, warn, ask or deny"
bad '{"run_id":"r","phikit":{"guard":{}}}' "phikit.guard.verdict is not allow, warn, ask or deny"
bad '{"run_id":"r","phikit":{"guard":{"verdict":"maybe"}}}' "phikit.guard.verdict is not allow, warn, ask or deny"
bad '{"run_id":"r","text":"x","phikit":{"guard":{"verdict":"allow"}}}' \
	"record's phikit.guard does not say what it checked (no content_sha256: written by hand or by an older guard-check); run guard-check on it again"
bad "$(jq -c '.args.env = "staging"' <<<"$ASK")" \
	"record changed after guard-check judged it (its content no longer matches phikit.guard.content_sha256); run guard-check on it again"
bad "$("$bin/guard-check" -p "$POLICY" <<<'{"run_id":"r-1","text":"Marisol Quintero, MRN 004418273"}')" \
	"record has no phikit.scrub annotation; the policy requires records scrubbed by phi-scrub before they are logged"
bad "$(checked '{"tool":"deploy","args":{"env":"production"}}')" \
	"a record held for review or withheld needs a run_id (this one is guard verdict ask)"
bad '{"run_id":"r","phikit":[]}' '"phikit" is not an object'
bad '{"run_id":"has space","text":"x"}' \
	"run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -"
run "$HITL" gate --db "$tdb" -p "$tmp/tools.yaml" <<<"$(bound allow '{"run_id":"r","tool":7}')"
is "$rc.$err" '3.hitl: error (at <stdin>:1): "tool" must be a string or an object with a string "name"' \
	"bad input: a tool that is not a name, when the policy lists tools"
printf '%s\n' "$ALLOW" 'not json' "$WARN" >"$tmp/in"
h gate --on-error=skip <"$tmp/in"
is "$rc" 3 "--on-error=skip: still exits 3"
is_out "$(masked "$ALLOW" "$WARN")" "--on-error=skip: the bad line dropped, the rest passed"
like "$err" "*hitl: 1 bad line skipped" "--on-error=skip: counts what it skipped"
h gate <"$tmp/in"
is "$rc.$out" "3.$ALLOW" "--on-error=stop: stops at the bad line"

# a database that cannot be opened: exit 4, nothing passes
run "$HITL" gate --db "$tmp/no/such/dir/q.db" -p "$POLICY" <<<"$ALLOW"
is "$rc.$out" "4." "gate: no database, exit 4, nothing passed"
like "$err" "hitl: cannot create database '$tmp/no/such/dir/q.db': *" "gate: says why"

h list --db "$tmp/typo.db"
is "$rc" 4 "list: a database that is not there is an error, not created"
like "$err" "hitl: database '$tmp/typo.db': open: *" "list: says so"
[ ! -e "$tmp/typo.db" ]
ok $? "list: creates nothing"

# ---- the queue's policy is fixed when it is made ----
cat >"$tmp/lax.yaml" <<EOF
extends: $POLICY
hitl: {separation_of_duties: false}
EOF
lax_sha=$(cat "$POLICY" "$tmp/lax.yaml" | sha256sum | cut -c1-12)
hp "$tmp/lax.yaml" approve 1 --reviewer "$me" --notes "my own policy says I may"
is "$rc" 2 "another policy than the queue's: refused, exit 2"
is "$err" "hitl: this database's queue runs under policy 'hipaa' (sha256 ${POLICY_SHA:0:12}..., bound at entry 0, from $POLICY); this command was given 'hipaa' (sha256 $lax_sha..., from $tmp/lax.yaml): give the bound policy with -p, or have its admin change it with ledger-admin policy" \
	"another policy: the refusal names both hashes and what to do"
PHIKIT_POLICY=$tmp/lax.yaml run "$HITL" list --db "$db"
is "$rc" 2 "PHIKIT_POLICY naming another policy: refused too"
cat >"$tmp/expiring.yaml" <<EOF
extends: $POLICY
hitl: {timeout_s: 3600, expire_s: 7200}
EOF
edb=$tmp/expiring.db
run "$HITL" gate -q --db "$edb" -p "$tmp/expiring.yaml" <<<"$ASK"
for v in 0 7201; do
	PHIKIT_HITL_EXPIRE_S=$v run "$HITL" list --db "$edb" -p "$tmp/expiring.yaml"
	is "$rc.$err" "2.hitl: PHIKIT_HITL_EXPIRE_S=$v would loosen the queue policy's hitl.expire_s (7200): the environment may only shorten it" \
		"PHIKIT_HITL_EXPIRE_S=$v: may not loosen the policy"
done
PHIKIT_HITL_TIMEOUT_S=60 run "$HITL" list --db "$edb" -p "$tmp/expiring.yaml"
is "$rc" 0 "PHIKIT_HITL_TIMEOUT_S may shorten the policy's timeout"

# ---- list, show ----
h list
is "$rc" 0 "list: exit 0"
is "$(printf '%s\n' "$out" | jq -r .item | paste -sd,)" "1,2" "list: JSON Lines when stdout is not a terminal"
run "$HITL" list --db "$tdb" -p "$tmp/tools.yaml" --status pending --run r-2 --json
is "$(printf '%s\n' "$out" | head -2 | jq -c '[.item,.status,.reason,.tool]' | paste -sd' ')" \
	'[1,"pending","irreversible_tool","send_fax"] [2,"pending","irreversible_tool","delete_chart"]' \
	"list --status --run: filters"
if command -v script >/dev/null 2>&1; then
	w=$(( ${#me} > 9 ? ${#me} : 9 ))
	script -qc "$HITL list --db $tdb -p $tmp/tools.yaml --run r-2" /dev/null | tr -d '\r' | head -3 >"$tmp/tty"
	is "$(sed 's/20[0-9-]*T[0-9:]*/TS/' "$tmp/tty")" \
"  ITEM  STATUS     RUN  REASON                          $(printf "%-${w}s" QUEUED_BY)  QUEUED_AT             APPROVALS  RELEASED
     1  pending    r-2  irreversible_tool:send_fax      $(printf "%-${w}s" "$me")  TS   0/1        -
     2  pending    r-2  irreversible_tool:delete_chart  $(printf "%-${w}s" "$me")  TS   0/1        -" \
		"list: an aligned table on a terminal"
else
	n=$((n + 1)); echo "ok $n # skip script(1) not installed"
fi
h list --status bogus
is "$rc" 2 "list: an unknown status is a usage error"
h show 1
like "$out" "*status       pending (0 of 1 approvals)*" "show: the item and its state"
unlike "$out" "*\"run_id\"*" "show: the record's JSON only with --record"
is "$(printf '%s\n' "$out" | sed -n '/^guard/,$p')" "guard        ask (policy hipaa)
  rule       HIPAA-003, severity ask (permission)
  citation   45 CFR 164.308(a)(1)(ii)(B)
  reason     changes to systems holding ePHI go through risk management
prompt
  none
answer
  .tool tool call deploy
    {\"env\":\"production\"}" "show: the guard verdict, each rule with its citation, and the tool call as the answer"
h show 1 --record --json
is "$(field "$out" '.record.args.env')" "production" "show --record --json: the record"
h show 99
is "$rc.$err" "2.hitl: no item 99" "show: no such item"
h show x1
is "$rc.$err" "2.hitl: 'x1' is not an item number" "show: not a number"

# ---- refusals one user can meet ----
h approve 1 --reviewer "$me" --notes "looks fine"
is "$rc" 1 "self-approval: exit 1"
is "$err" "hitl: refused: $me queued item 1 and cannot approve it (separation of duties)" \
	"self-approval: the message names the rule"
h approve 1 --reviewer dr-nobody --notes "x"
is "$rc.$err" "1.hitl: refused: $me may not sign as 'dr-nobody' (neither the user's name nor an alias access.aliases gives it)" \
	"alias: a reviewer name the policy does not give the user is refused"
cat >"$tmp/roles.yaml" <<EOF
extends: $POLICY
access:
  roles:
    clinicians: {users: [no-such-user-a], groups: [no-such-group-b]}
  actions: {approve: clinicians, reject: clinicians, release: clinicians}
EOF
rdb=$tmp/roles.db
run "$HITL" gate -q --db "$rdb" -p "$tmp/roles.yaml" <<<"$ASK"
run "$HITL" reject 1 --db "$rdb" -p "$tmp/roles.yaml" --reviewer "$me" --notes "no"
is "$rc.$err" "1.hitl: refused: $me may not reject item 1 (access.actions.reject: clinicians)" \
	"role: a user without the role is refused"
run "$HITL" release --db "$rdb" -p "$tmp/roles.yaml"
is "$rc.$err" "1.hitl: refused: $me may not release (access.actions.release: clinicians)" \
	"role: release too"
run "$HITL" reject 1 --db "$rdb" -p "$POLICY" --reviewer "$me" --notes "no"
is "$rc" 2 "role: naming a policy without the roles does not get round them"
sql="SELECT json_extract(payload, '\$.rule') FROM entries WHERE kind = 'hitl.refusal' ORDER BY seq"
is "$(sqlite3 "$db" "$sql" | paste -sd' ') | $(sqlite3 "$rdb" "$sql" | paste -sd' ')" "self-approval alias | role role" \
	"every refusal is a ledger entry naming its rule"
h reject 1 --reviewer "$me" --notes "dose needs a pharmacist"
is "$rc.$out" "0.item 1: rejected" "reject: the queuer may reject (the safe direction)"
h approve 1 --reviewer "$me" --notes "changed my mind"
is "$rc.$err" "1.hitl: refused: item 1 is rejected, not pending" "not pending: a decided item stays decided"
h reject 1 --reviewer "$me" --notes "again"
is "$rc" 1 "not pending: reject twice refused"
h approve 1 --reviewer "$me"
is "$rc.$err" "2.hitl: approve needs --reviewer, and --notes or --notes-file" "approve: notes are required"
h approve 1 --reviewer "$me" --notes x --notes-file "$tmp/n"
is "$rc" 2 "approve: --notes and --notes-file, not both"
h approve 1 --reviewer "bad name" --notes x
is "$rc" 2 "approve: a reviewer that is not an identifier is a usage error"
h approve 99 --reviewer "$me" --notes x
is "$rc.$err" "2.hitl: no item 99" "approve: no such item"
h show 1 --json
is "$(field "$out" '[.status, (.decisions | length), .decisions[0].notes] | join("|")')" \
	"rejected|1|dose needs a pharmacist" "show: the decision and its notes"
sql="SELECT payload FROM entries WHERE kind = 'hitl.decision'"
is "$(field "$(sqlite3 "$db" "$sql")" '[.item, .decision, .reviewer, .unix_user, .notes] | join("|")')" \
	"1|reject|$me|$me|dose needs a pharmacist" "a decision is a hitl.decision entry"

# reviewer notes: from a file or stdin (argv shows in ps), scrubbed before they are logged
printf 'spoke with Marisol Quintero, SSN 219-09-9999\n' >"$tmp/notes"
h reject 2 --reviewer "$me" --notes-file "$tmp/notes"
is "$rc.$out" "0.item 2: rejected" "--notes-file: the notes read from a file"
is "$(sqlite3 "$db" "SELECT json_extract(payload, '\$.notes') FROM entries WHERE kind = 'hitl.decision' ORDER BY seq DESC LIMIT 1")" \
	"spoke with [NAME], SSN [SSN]" "reviewer notes are scrubbed before they reach the ledger"
is "$(sqlite3 "$db" "SELECT notes FROM hitl_decisions ORDER BY id DESC LIMIT 1")" \
	"spoke with [NAME], SSN [SSN]" "... and the queue"
is "$(cat "$db"* | grep -c 219-09-9999)" 0 "no byte of the SSN anywhere in the database files"

# a one-person trial may turn separation of duties off; the entry says so
db=$tmp/solo.db
cat >"$tmp/solo.yaml" <<EOF
extends: $POLICY
hitl: {separation_of_duties: false}
EOF
hp "$tmp/solo.yaml" gate -q <<<"$ASK"
hp "$tmp/solo.yaml" approve 1 --reviewer "$me" --notes-file - <<<"alone today"
is "$rc.$out" "0.item 1: approved (1 of 1 approvals)" "separation_of_duties: false lets the queuer approve (notes on stdin)"
sql="SELECT json_extract(payload, '\$.self_approval') FROM entries WHERE kind = 'hitl.decision'"
is "$(sqlite3 "$db" "$sql")" 1 "separation_of_duties: false — the decision entry marks the self-approval"
hp "$tmp/solo.yaml" release
is "$rc" 0 "release: exit 0"
is "$(masked "$out")" "$(masked "$(jq -c '.phikit.hitl = {"item":1,"status":"approved","reviewers":["'"$me"'"]}' <<<"$ASK")")" \
	"release: the record as queued, with phikit.hitl naming its reviewers from the ledger"

# ---- release derives from the signed ledger, not from the queue's columns ----
hp "$tmp/solo.yaml" gate -q <<<"$ASK"
hp "$tmp/solo.yaml" gate -q <<<"$ASK"
sqlite3 "$db" "UPDATE hitl_items SET status = 'approved' WHERE id = 2"
echo ok | hp "$tmp/solo.yaml" approve 3 --reviewer "$me" --notes-file -
hp "$tmp/solo.yaml" release
is "$rc" 1 "release: an item approved only by an SQL UPDATE is passed over: exit 1"
is "$err" "hitl: warning: item 2 is marked approved but not released: the ledger holds 0 of the 1 approvals it needs (run ledger-verify)" \
	"release: it names the item and why"
is "$(printf '%s\n' "$out" | jq -c .phikit.hitl.item)" 3 "release: the next item goes out all the same"
run "$bin/ledger-verify" --db "$db" --self-asserted
is "$rc.$out" "1.ledger INVALID: queue item 2 (run 'r-1') disagrees with the ledger: the ledger holds 0 of the 1 approvals it needs" \
	"ledger-verify: the queue row that disagrees with the ledger"
db=$tmp/q.db

# ---- wait ----
h wait 1
is "$rc.$out" "1.rejected" "wait: a rejected item exits 1"
sdb=$tmp/wait.db
run "$HITL" gate -q --db "$sdb" -p "$POLICY" <<<"$ASK"
run "$HITL" wait 1 --timeout 0.3 --db "$sdb" -p "$POLICY"
is "$rc" 4 "wait: a timeout exits 4"
is "$err" "hitl: timed out: item 1 is still pending after 0.3 s" "wait: the timeout message"
(sleep 0.5; "$HITL" reject 1 --db "$sdb" -p "$POLICY" --reviewer "$me" --notes later >/dev/null) &
run "$HITL" wait 1 --timeout 5 --db "$sdb" -p "$POLICY"
wait
is "$rc.$out" "1.rejected" "wait: blocks until decided"

# ---- release: nothing approved yet ----
h release
is "$rc.$out.$err" "0.." "release: nothing approved, nothing printed"

# ---- the ledger covers the review trail ----
run "$bin/ledger-verify" --db "$db" --self-asserted
is "$rc" 0 "ledger-verify: the ledger with the queue's entries is consistent"

# ---- signed: a checkpoint after each write, with --key or PHIKIT_LEDGER_KEY ----
db=$tmp/s.db
"$bin/ledger-admin" keygen --name hitl-test -o "$tmp/k.key" >"$tmp/k.pub" 2>/dev/null
h gate -q --key "$tmp/k.key" --checkpoint-out "$tmp/ck.txt" <<<"$ASK"
PHIKIT_LEDGER_KEY=$tmp/k.key PHIKIT_CHECKPOINT_OUT=$tmp/ck.txt h reject 1 --reviewer "$me" --notes no
is "$(sqlite3 "$db" "SELECT group_concat(size) FROM checkpoints")" "1,2,3" "signed: a checkpoint per transaction"
run "$bin/ledger-verify" --db "$db" --key "$tmp/k.pub" --since "$tmp/ck.txt"
is "$rc" 0 "signed: ledger-verify --key passes"
like "$out" "ledger OK: 3 entries, 2 runs, checkpoint 3 signed by hitl-test+*; extends the saved checkpoint 3" \
	"--checkpoint-out and PHIKIT_CHECKPOINT_OUT: hitl saves every checkpoint it signs"
run "$HITL" list --db "$db" -p "$POLICY" --checkpoint-out "$tmp/ck2.txt"
is "$rc.$err" "2.hitl: --checkpoint-out needs a signing key (--key or PHIKIT_LEDGER_KEY)" \
	"--checkpoint-out without a key: a usage error"

# ---- timeouts: escalate, then expire ----
db=$tmp/t.db
PHIKIT_HITL_TIMEOUT_S=1 h gate -q <<<"$ASK"
PHIKIT_HITL_TIMEOUT_S=1 h list --status escalated
is "$out" "" "timeout: not yet escalated"
sleep 1.2
PHIKIT_HITL_TIMEOUT_S=1 h list --status escalated
is "$(field "$out" .item)" 1 "timeout: escalated after a second, by the next command that opens the queue"
is "$(items_kinds)" "hitl.enqueue hitl.escalate" "timeout: a hitl.escalate entry"
PHIKIT_HITL_TIMEOUT_S=1 PHIKIT_HITL_EXPIRE_S=1 h list --status escalated
is "$(field "$out" .item)" 1 "expire: not before expire_s after escalating"
sleep 1
PHIKIT_HITL_TIMEOUT_S=1 PHIKIT_HITL_EXPIRE_S=1 h wait 1 --timeout 2
is "$rc.$out" "1.expired" "expire: expired after another second; wait exits 1"
is "$(items_kinds)" "hitl.enqueue hitl.escalate hitl.expire" "expire: a hitl.expire entry"
cat >"$tmp/timeouts.yaml" <<EOF
extends: $POLICY
hitl: {timeout_s: 1, expire_s: 1}
EOF
db=$tmp/t1.db
hp "$tmp/timeouts.yaml" gate -q <<<"$ASK"
sleep 1.1
hp "$tmp/timeouts.yaml" approve 1 --reviewer "$me" --notes x
is "$rc" 1 "policy timeouts: an escalated item can still be decided (self-approval refused here)"
is "$(sqlite3 "$db" "SELECT status FROM hitl_items WHERE id = 1")" escalated "policy timeouts: hitl.timeout_s escalates"
# two commands sweeping at once escalate each item once
db=$tmp/t2.db
printf '%s\n' "$ASK" "$ASK" "$ASK" | "$HITL" gate -q --db "$db" -p "$POLICY"
sleep 1.1
for i in 1 2 3 4; do PHIKIT_HITL_TIMEOUT_S=1 "$HITL" list --db "$db" -p "$POLICY" >/dev/null & done
wait
is "$(sqlite3 "$db" "SELECT group_concat(json_extract(payload, '\$.item')) FROM entries WHERE kind = 'hitl.escalate'")" \
	"1,2,3" "concurrent sweeps: one hitl.escalate per item"
db=$tmp/t.db
PHIKIT_HITL_TIMEOUT_S=x h list
is "$rc.$err" "2.hitl: PHIKIT_HITL_TIMEOUT_S must be a whole number of seconds, not 'x'" "a bad timeout is a usage error"
run "$bin/ledger-verify" --db "$db" --self-asserted
is "$rc" 0 "ledger-verify: escalations and expiries keep the ledger consistent"

# ---- the webhook ----
if command -v python3 >/dev/null 2>&1; then
	cat >"$tmp/hook.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[1], "ab") as f:
            f.write(self.headers["Content-Type"].encode() + b" " + body + b"\n")
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[2], "w") as f:
    f.write(str(s.server_address[1]))
s.serve_forever()
PY
	python3 "$tmp/hook.py" "$tmp/hook.log" "$tmp/hook.port" &
	hook_pid=$!
	for _ in $(seq 50); do [ -s "$tmp/hook.port" ] && break; sleep 0.1; done
	port=$(cat "$tmp/hook.port")
	db=$tmp/w.db
	PHIKIT_HITL_WEBHOOK=http://127.0.0.1:$port/hook PHIKIT_HITL_TIMEOUT_S=1 h gate -q <<<"$ASK"
	is "$rc.$err" "0." "webhook: enqueue notified without a word"
	sleep 1.1
	PHIKIT_HITL_WEBHOOK=http://127.0.0.1:$port/hook PHIKIT_HITL_TIMEOUT_S=1 h list
	is "$(cat "$tmp/hook.log")" 'application/json {"event":"enqueue","item":1,"run_id":"r-1","reason":"ask","status":"pending"}
application/json {"event":"escalate","item":1,"run_id":"r-1","reason":"ask","status":"escalated"}' \
		"webhook: JSON on enqueue and on escalation"
	kill "$hook_pid"
	wait "$hook_pid" 2>/dev/null
	PHIKIT_HITL_WEBHOOK=http://127.0.0.1:$port/hook h gate <<<"$ASK"
	is "$rc" 0 "webhook down: the queue goes on"
	like "$err" "hitl: warning: webhook: enqueue of item 2 not delivered: *
hitl: queued item 2 (run r-1): ask" "webhook down: a warning"
	is "$(sqlite3 "$db" "SELECT COUNT(*) FROM hitl_items")" 2 "webhook down: the item is queued all the same"
else
	for i in 1 2 3 4 5; do n=$((n + 1)); echo "ok $n # skip python3 not installed"; done
fi
PHIKIT_HITL_WEBHOOK=http://example.com/hook h list
is "$rc.$err" "2.hitl: webhook 'http://example.com/hook' must be https, or http to a loopback address" \
	"webhook: plain http only to loopback"
cat >"$tmp/hook.yaml" <<EOF
extends: $POLICY
hitl: {webhook: 'ftp://127.0.0.1/x'}
EOF
hp "$tmp/hook.yaml" list
is "$rc" 2 "webhook: from the policy, checked too"

# ---- the policy's access and hitl sections ----
perr() {	# perr YAML MESSAGE
	printf '%s\n' "$1" >"$tmp/p.yaml"
	run "$HITL" list --db "$db" -p "$tmp/p.yaml"
	is "$rc.$err" "2.hitl: $tmp/p.yaml:$2" "policy error: ${2#*: }"
}
perr 'hitl: {approvals: 2}' "1:8: unknown key in hitl (timeout_s, expire_s, approvals_required, separation_of_duties, irreversible_tools, webhook, break_glass_review_s)"
perr 'hitl: {separation_of_duties: maybe}' "1:30: separation_of_duties must be true or false"
perr 'hitl: {approvals_required: 0}' "1:28: approvals_required must be a whole number in range"
perr 'hitl: {timeout_s: soon}' "1:19: timeout_s must be a whole number in range"
perr 'access: {groups: []}' "1:10: unknown key in access (aliases, roles, actions)"
perr 'access: {actions: {approve: leads}}' "1:29: access.actions.approve: no such role in access.roles"
perr 'access: {actions: {publish: leads}}' "1:20: unknown action in access.actions (approve, reject, release, anonymize, export, policy, reidentify, break_glass)"
perr 'access: {roles: {leads: {people: [a]}}}' "1:26: unknown key in a role (users, groups)"
perr 'access: {aliases: {alice: ["a b"]}}' "1:28: access.aliases: not a name (1 to 128 of A-Z a-z 0-9 . _ : @ / + = -)"
perr 'access: {aliases: {alice: [root]}}' "1:28: access.aliases: an alias may not be another user's login name"
perr 'access: {aliases: {alice: [dr-x], bob: [dr-x]}}' "1:41: access.aliases: an alias already given to another user"

done_testing
