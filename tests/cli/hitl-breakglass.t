#!/bin/bash
# hitl approve --break-glass: refused without the policy's break_glass
# role (exit 1, the message, the refusal logged); with it, under a quorum
# of two and the separation of duties, the item approved alone by the
# user who queued it, the decision logged with break_glass and the
# reason (scrubbed), the webhook told, the release annotated; the review
# after the fact overdue and escalated by the sweep; hitl list
# --break-glass; ledger-verify --key; the exports (OTLP WARN, HEC and
# jsonl flagged, the reason text in none of them) and the HTML report
# (BREAK-GLASS with the reason, counted). When the test runs as root, a
# second Unix user records the review after the fact.
. "$(dirname "$0")/lib.sh"

HITL=$bin/hitl
TEX=$bin/trace-export
me=$(id -un)
unset PHIKIT_DB PHIKIT_LEDGER_KEY PHIKIT_HITL_TIMEOUT_S PHIKIT_HITL_EXPIRE_S PHIKIT_HITL_WEBHOOK \
	PHIKIT_CHECKPOINT_OUT PHIKIT_POLICY

kinds() { sqlite3 "$db" "SELECT kind FROM entries ORDER BY seq" | paste -sd' '; }
pay() { sqlite3 "$db" "SELECT payload FROM entries WHERE kind = '$1' ORDER BY seq DESC LIMIT 1"; }
ASK=$(checked '{"run_id":"r-bg","tool":"deploy","args":{"env":"production"}}')

cat >"$tmp/site.yaml" <<EOF
extends: $POLICY
hitl: {approvals_required: 2, separation_of_duties: true, break_glass_review_s: 2}
access:
  roles: {oncall: {users: [$me]}, reviewers: {users: [$me, phkt-bgrev]}}
  actions: {break_glass: oncall, approve: reviewers, reject: reviewers}
EOF
cat >"$tmp/norole.yaml" <<EOF
extends: $POLICY
hitl: {approvals_required: 2}
access:
  roles: {oncall: {users: [phkt-nobody]}}
  actions: {break_glass: oncall}
EOF

# ---- usage ----
db=$tmp/u.db
"$HITL" gate -q --db "$db" -p "$tmp/site.yaml" </dev/null
run "$HITL" approve 1 --db "$db" -p "$tmp/site.yaml" --reviewer "$me" --break-glass
is "$rc.$err" "2.hitl: approve --break-glass needs --reviewer, and --reason or --reason-file" \
	"usage: --break-glass needs a reason"
run "$HITL" approve 1 --db "$db" -p "$tmp/site.yaml" --reviewer "$me" --break-glass --notes x
is "$rc.$err" "2.hitl: approve --break-glass takes --reason or --reason-file, not notes" \
	"usage: the reason is not notes"
run "$HITL" reject 1 --db "$db" -p "$tmp/site.yaml" --reviewer "$me" --notes x --break-glass
is "$rc.$err" "2.hitl: --break-glass, --reason and --reason-file are for approve --break-glass" \
	"usage: reject has no break-glass"
: >"$tmp/empty"
run "$HITL" approve 1 --db "$db" -p "$tmp/site.yaml" --reviewer "$me" --break-glass --reason-file "$tmp/empty"
is "$rc.$err" "2.hitl: --reason must be 1 to 4000 bytes" "usage: never an empty reason"
run "$HITL" list --db "$db" -p "$tmp/site.yaml" --break-glass --status pending
is "$rc.$err" "2.hitl: --break-glass and --status cannot be used together" "usage: list --break-glass is its own listing"

# ---- refused: the user does not hold the role; or no role is named at all ----
db=$tmp/no.db
"$HITL" gate -q --db "$db" -p "$tmp/norole.yaml" <<<"$ASK"
run "$HITL" approve 1 --db "$db" -p "$tmp/norole.yaml" --reviewer "$me" --break-glass --reason "code blue"
is "$rc.$out" "1." "no role: exit 1, nothing out"
is_err "hitl: refused: $me may not break the glass on item 1 (access.actions.break_glass: oncall)" \
	"no role: the refusal says which role it takes"
is "$(kinds)" "policy.bind hitl.enqueue hitl.refusal" "no role: the refusal is logged, nothing decided"
is "$(pay hitl.refusal | jq -c '[.action, .item, .rule, .unix_user, .reviewer]')" \
	"[\"break_glass\",1,\"role\",\"$me\",\"$me\"]" "no role: the refusal entry names the action and the rule"
is "$(sqlite3 "$db" "SELECT status FROM hitl_items WHERE id = 1")" pending "no role: the item stays pending"
db=$tmp/open.db
"$HITL" gate -q --db "$db" -p "$POLICY" <<<"$ASK"
run "$HITL" approve 1 --db "$db" -p "$POLICY" --reviewer "$me" --break-glass --reason "code blue"
is "$rc.$err" "1.hitl: refused: $me may not break the glass on item 1 (access.actions.break_glass: no role is named)" \
	"no access section: break_glass is no one's (it passes the quorum)"

# ---- allowed: the webhook, a signing key ----
cat >"$tmp/hook.py" <<'PY'
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open(sys.argv[1], "ab") as f:
            f.write(body + b"\n")
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
trap 'kill "$hook_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/hook.port" ] && break; sleep 0.1; done
export PHIKIT_HITL_WEBHOOK=http://127.0.0.1:$(cat "$tmp/hook.port")/hook
"$bin/ledger-admin" keygen --name bg-test -o "$tmp/k.key" >"$tmp/k.pub" 2>/dev/null
export PHIKIT_LEDGER_KEY=$tmp/k.key
umask 000
mkdir "$tmp/q" && chmod 1777 "$tmp/q"
db=$tmp/q/bg.db
h() { run "$HITL" "$1" --db "$db" -p "$tmp/site.yaml" "${@:2}"; }
h gate -q <<<"$ASK"
chmod 666 "$db"
printf 'Patient John Smith coding in bed 4; no second reviewer on shift\n' >"$tmp/reason"
# another process holds the write lock: nothing decided, nothing told, the item as it was
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(4)' "$db" >"$tmp/lock.out" &
holder=$!
for _ in $(seq 1 50); do [ -s "$tmp/lock.out" ] && break; sleep 0.1; done
PHIKIT_DB_TIMEOUT_MS=300 h approve 1 --reviewer "$me" --break-glass --reason-file "$tmp/reason"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
is "$rc:$out" "4:" "locked: exit 4, nothing out"
like "$err" "hitl: database '$db'*is locked*" "locked: said so"
is "$(kinds):$(sqlite3 "$db" "SELECT status FROM hitl_items WHERE id = 1"):$(wc -l <"$tmp/hook.log")" \
	"policy.bind hitl.enqueue:pending:1" "locked: nothing logged, the item pending, the webhook not told"
h approve 1 --reviewer "$me" --break-glass --reason-file "$tmp/reason"
is "$rc.$out.$err" "0.item 1: approved by break-glass (1 of 2 approvals)." \
	"break-glass: one approval of the two, by the user who queued it, approves"
d=$(pay hitl.decision)
is "$(field "$d" '[.decision, .unix_user, .status, .approvals, .approvals_required, .break_glass, .self_approval, .break_glass_review_s] | map(tostring) | join(" ")')" \
	"approve $me approved 1 2 true true 2" "break-glass: the decision entry says so, and the review time"
is "$(field "$d" .reason)" "Patient [NAME] coding in bed 4; no second reviewer on shift" \
	"break-glass: the reason is logged, scrubbed as notes are"
is "$(field "$d" 'has("notes")')" false "break-glass: a reason, not notes"
is "$(sed -n 2p "$tmp/hook.log")" '{"event":"break_glass","item":1,"run_id":"r-bg","reason":"ask","status":"approved"}' \
	"break-glass: the webhook is told (the queue's reason, never the one given)"
h approve 1 --reviewer "$me" --notes "checked"
is "$rc.$err" "1.hitl: refused: $me broke the glass on item 1 and cannot review it (the review after the fact is another user's)" \
	"the user who broke the glass cannot review it"

h show 1 --json
is "$(jq -c '.decisions | map([.decision, .reason, .break_glass])' "$tmp/out")" \
	'[["approve","Patient [NAME] coding in bed 4; no second reviewer on shift",true]]' \
	"show --json: the decision is the break-glass approval, with its reason"
h show 1
like "$out" "*approve  $me (Unix user $me), ledger entry *, BREAK-GLASS
           reason: \"Patient \[NAME\] coding in bed 4; no second reviewer on shift\"*" \
	"show: the decision marked BREAK-GLASS, the reason under it"

h list --break-glass
is "$rc" 0 "list --break-glass: exit 0"
is "$(jq -c 'del(.at, .review_due)' "$tmp/out")" \
	"{\"item\":1,\"run_id\":\"r-bg\",\"status\":\"approved\",\"break_glass_by\":\"$me\",\"reviewer\":\"$me\",\"review\":\"open\",\"reviewed_by\":null,\"decision\":null}" \
	"list --break-glass: the item, who, and its review, open"
like "$(jq -r '.at + " " + .review_due' "$tmp/out")" "20[0-9][0-9]-*Z 20[0-9][0-9]-*T*Z" "list --break-glass: when, and by when the review is due"

h release
is "$rc" 0 "release: exit 0"
is "$(jq -c .phikit.hitl "$tmp/out")" "{\"item\":1,\"status\":\"approved\",\"reviewers\":[\"$me\"],\"break_glass\":true}" \
	"release: the record goes out, annotated as released by break-glass"
is "$(pay hitl.release | jq -c '[.approvals, .approvals_required, .break_glass]')" "[1,2,true]" \
	"release: logged with the quorum it did not meet, and why it went"

# ---- the review after the fact, overdue ----
sleep 2.2
h list --break-glass
is "$(jq -r '.status + " " + .review' "$tmp/out")" "released overdue" "overdue: the sweep escalated the review"
if command -v script >/dev/null; then
	script -qc "$HITL list --break-glass --db $db -p $tmp/site.yaml" /dev/null | tr -d '\r' |
		sed -E 's/20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z?/TS/g' >"$tmp/tty"
	is "$(cat "$tmp/tty")" "  ITEM  STATUS     RUN           BROKEN_BY     AT                    REVIEW
     1  released   r-bg          $(printf '%-12s' "$me")  TS   overdue, due TS" \
		"list --break-glass on a terminal: a table, the review overdue and by when it was due"
else
	n=$((n + 1)); echo "ok $n # skip script(1) not installed"
fi
is "$(pay hitl.escalate | jq -c '[.item, .review, .from, .to, .break_glass_review_s]')" '[1,"break_glass","due","overdue",2]' \
	"overdue: a hitl.escalate entry, as a pending item's timeout"
is "$(sed -n 3p "$tmp/hook.log")" '{"event":"escalate","item":1,"run_id":"r-bg","reason":"ask","status":"break-glass-review-overdue"}' \
	"overdue: the webhook is told"

# ---- a second person's review (as another Unix user: root only) ----
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"; }
made=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && command -v useradd >/dev/null &&
    { id -u phkt-bgrev >/dev/null 2>&1 || { useradd --system --no-create-home --shell /usr/sbin/nologin phkt-bgrev 2>/dev/null && made=1; }; }; then
	trap 'kill "$hook_pid" 2>/dev/null; [ -z "$made" ] || userdel phkt-bgrev >/dev/null 2>&1; rm -rf "$tmp"' EXIT
	chmod 755 "$tmp"
	mkdir -p "$tmp/share/bin" "$tmp/share/policies" "$tmp/share/data"
	cp "$bin/hitl" "$tmp/share/bin/"
	cp "$top"/policies/*.yaml "$tmp/share/policies/"
	cp "$top"/data/* "$tmp/share/data/"
	sed "s|^extends: .*|extends: $tmp/share/policies/hipaa.yaml|" "$tmp/site.yaml" >"$tmp/share/site.yaml"
	chmod -R a+rX "$tmp/share"
	# the key is root's (0600): the reviewer's entry is signed by the next checkpoint
	run as phkt-bgrev env -u PHIKIT_LEDGER_KEY "$tmp/share/bin/hitl" approve 1 --db "$db" -p "$tmp/share/site.yaml" \
		--reviewer phkt-bgrev --notes "reviewed the chart: the right call"
	# the policy is bound: the copy beside the shared program is another file of the same text
	if [ "$rc" = 2 ]; then
		run as phkt-bgrev env -u PHIKIT_LEDGER_KEY "$tmp/share/bin/hitl" approve 1 --db "$db" -p "$tmp/site.yaml" \
			--reviewer phkt-bgrev --notes "reviewed the chart: the right call"
	fi
	is "$rc.$err" "0." "review: another user's approve records the review after the fact"
	"$bin/ledger-admin" checkpoint --db "$db" --key "$tmp/k.key" >/dev/null
	is "$(pay hitl.decision | jq -c '[.unix_user, .decision, .break_glass_review, .break_glass_by, .status]')" \
		"[\"phkt-bgrev\",\"approve\",true,\"$me\",\"released\"]" "review: logged as the review of the break-glass approval"
	h list --break-glass
	is "$(jq -r '.review + " " + .reviewed_by + " " + .decision' "$tmp/out")" "reviewed phkt-bgrev approve" \
		"review: list --break-glass says who reviewed it"
else
	for _ in 1 2 3; do n=$((n + 1)); echo "ok $n # skip a second Unix user needs root, setpriv and useradd"; done
fi

run "$bin/ledger-verify" --db "$db" --key "$tmp/k.pub"
is "$rc" 0 "ledger-verify --key: the break-glass release verifies"
like "$out" "ledger OK: *signed by bg-test+*" "ledger-verify: signed by the key"

# ---- exports: flagged, and the reason text in none ----
run "$TEX" --db "$db" -p "$tmp/site.yaml" --run r-bg --format jsonl
is "$(jq -c 'select(.kind == "hitl.decision" and .break_glass) | [.break_glass, has("reason"), has("notes")]' "$tmp/out" | head -n 1)" \
	"[true,false,false]" "jsonl: the decision flagged break_glass, its reason left out"
unlike "$out" "*coding in bed*" "jsonl: no reason text"
run "$TEX" --db "$db" -p "$tmp/site.yaml" --run r-bg --format otlp
is "$(jq -r '.resourceLogs[0].scopeLogs[0].logRecords[] | select(.body.stringValue == "hitl.decision") | .severityText + " " + ([.attributes[] | select(.key == "phikit.break_glass") | .value.boolValue | tostring] | join(","))' "$tmp/out" | head -n 1)" \
	"WARN true" "otlp: a break-glass decision is a WARN, with phikit.break_glass"
is "$(jq -r '.resourceLogs[0].scopeLogs[0].logRecords[] | select(.body.stringValue == "hitl.release") | .severityText' "$tmp/out")" \
	WARN "otlp: its release too"
unlike "$out" "*coding in bed*" "otlp: no reason text"
run "$TEX" --db "$db" -p "$tmp/site.yaml" --run r-bg --format hec
is "$(jq -c 'select(.event.kind == "hitl.decision") | .event | [.break_glass, has("reason")]' "$tmp/out" | head -n 1)" \
	"[true,false]" "hec: the event has break_glass true, no reason"
unlike "$out" "*coding in bed*" "hec: no reason text"

# ---- the HTML report: BREAK-GLASS with the reason, counted ----
run "$TEX" --db "$db" -p "$tmp/site.yaml" --run r-bg --format html --key "$tmp/k.pub" -o "$tmp/r.html"
is "$rc" 0 "html: written"
like "$(cat "$tmp/r.html")" "*<span class=\"deny\">BREAK-GLASS</span>: Patient \[NAME\] coding in bed 4; no second reviewer on shift; status approved (1 of 2)*" \
	"html: the decision shows BREAK-GLASS and the (scrubbed) reason"
like "$(cat "$tmp/r.html")" "*<tr><th>break-glass approvals</th><td class=\"deny\">1</td></tr>*" \
	"html: counted in the totals"

done_testing
