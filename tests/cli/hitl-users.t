#!/bin/bash
# hitl as several people: real Unix users, made for the test (it runs as
# root, as CI does on a fresh Debian; anyone else gets a skip). The whole
# flow end to end, an unauthorized user, a role held through a group,
# self-approval, an alias, a quorum of two that a reviewer's own policy
# cannot lower, one reject against an approval, wait inline, and two
# releasers at once over 50 items.
#
# The users and the group are prefixed phkt- (phkt-alice, phkt-bob,
# phkt-carol, phkt-mallory; group phkt-reviewers), made for this run with
# useradd --system and removed at its end; any of them that existed before
# the run is used and left as it was.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v useradd >/dev/null; then
	echo "1..0 # SKIP acting as several Unix users needs root, setpriv and useradd"
	exit 0
fi

made_users= made_group=
cleanup_users() {
	local u
	for u in $made_users; do userdel "$u" >/dev/null 2>&1; done
	[ -z "$made_group" ] || groupdel phkt-reviewers >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup_users EXIT
if ! getent group phkt-reviewers >/dev/null; then
	groupadd --system phkt-reviewers 2>/dev/null || { echo "1..0 # SKIP cannot make a group"; exit 0; }
	made_group=1
fi
for u in phkt-alice phkt-bob phkt-carol phkt-mallory; do
	if ! id -u "$u" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$u" 2>/dev/null ||
			{ echo "1..0 # SKIP cannot make user $u"; exit 0; }
		made_users="$made_users $u"
	fi
done
id -nG phkt-carol | grep -qw phkt-reviewers || usermod -a -G phkt-reviewers phkt-carol

# The users must reach what they run: the checkout may sit where only root
# can enter (root's home, a mktemp -d), so the program, the preset and its
# data are copied where they can.
chmod 755 "$tmp"
mkdir -p "$tmp/share/bin" "$tmp/share/policies" "$tmp/share/data"
cp "$bin/hitl" "$tmp/share/bin/"
cp "$top"/policies/*.yaml "$tmp/share/policies/"
cp "$top"/data/* "$tmp/share/data/"
chmod -R a+rX "$tmp/share"
HITL=$tmp/share/bin/hitl
unset PHIKIT_DB PHIKIT_LEDGER_KEY PHIKIT_HITL_TIMEOUT_S PHIKIT_HITL_EXPIRE_S PHIKIT_HITL_WEBHOOK \
	PHIKIT_CHECKPOINT_OUT PHIKIT_POLICY
# Every reviewer reads and writes the one database: a shared directory,
# and a umask that lets SQLite make its -wal and -shm files shared too
# (else a reviewer opening the queue the moment another made them would
# find them read-only for an instant).
umask 000
mkdir "$tmp/q" && chmod 1777 "$tmp/q"

# as USER CMD...: run CMD as that user, with its groups
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"; }
# hq USER POLICY CMD ARGS...: hitl CMD as USER on $db
hq() { local u=$1 p=$2; shift 2; run as "$u" "$HITL" "$1" --db "$db" -p "$p" "${@:2}"; }
newdb() {	# a fresh queue every reviewer may open, bound to POLICY ($SITE if none)
	db=$tmp/q/$1.db
	"$HITL" gate --db "$db" -p "${2:-$SITE}" </dev/null && chmod 666 "$db"
}
kinds() { sqlite3 "$db" "SELECT kind FROM entries ORDER BY seq" | paste -sd' '; }
verify() { run "$bin/ledger-verify" --db "$db" --self-asserted; }

SHARED=$tmp/share/policies/hipaa.yaml
cat >"$tmp/site.yaml" <<EOF
extends: $SHARED
access:
  aliases:
    phkt-bob: [dr-bob]
  roles:
    reviewers: {users: [phkt-alice, phkt-bob], groups: [phkt-reviewers]}
    releasers: {users: [root, phkt-alice]}
  actions: {approve: reviewers, reject: reviewers, release: releasers}
EOF
cat >"$tmp/quorum.yaml" <<EOF
extends: $tmp/site.yaml
hitl: {approvals_required: 2}
EOF
chmod a+r "$tmp/site.yaml" "$tmp/quorum.yaml"
SITE=$tmp/site.yaml QUORUM=$tmp/quorum.yaml

ALLOW=$(checked '{"run_id":"r-42","text":"The clinic opens at nine."}')
ASK=$(checked '{"run_id":"r-42","tool":"deploy","args":{"env":"production"}}')

# ---- the whole flow: gate, list, approve, release, ledger-verify ----
newdb flow
printf '%s\n' "$ALLOW" "$ASK" "$ALLOW" >"$tmp/in"
hq phkt-alice "$SITE" gate <"$tmp/in"
is "$rc.$err" "0.hitl: queued item 1 (run r-42): ask" "flow: alice's pipeline queues the ask record"
is_out "$(masked "$ALLOW" "$ALLOW")" "flow: the rest pass"
hq phkt-bob "$SITE" list --json
is "$(field "$out" '[.item, .status, .queued_by] | join(" ")')" "1 pending phkt-alice" "flow: bob lists it"
hq phkt-alice "$SITE" approve 1 --reviewer phkt-alice --notes "mine, fine"
is "$rc.$err" "1.hitl: refused: phkt-alice queued item 1 and cannot approve it (separation of duties)" \
	"flow: alice cannot approve what her pipeline queued"
hq phkt-mallory "$SITE" approve 1 --reviewer phkt-mallory --notes "ok"
is "$rc.$err" "1.hitl: refused: phkt-mallory may not approve item 1 (access.actions.approve: reviewers)" \
	"flow: mallory, with no role, is refused"
hq phkt-mallory "$SITE" approve 1 --reviewer dr-bob --notes "ok"
is "$rc" 1 "flow: mallory cannot borrow bob's alias either"
hq phkt-mallory "$SHARED" approve 1 --reviewer phkt-mallory --notes "my own policy has no roles"
is "$rc" 2 "flow: nor name a policy of her own that has no roles"
hq phkt-bob "$SITE" approve 1 --reviewer dr-bob --notes "checked with physician"
is "$rc.$out" "0.item 1: approved (1 of 1 approvals)" "flow: bob approves under his alias"
hq phkt-mallory "$SITE" release
is "$rc.$out" "1." "flow: mallory may not release"
hq phkt-alice "$SITE" release
is "$rc" 0 "flow: alice releases"
is_out "$(masked "$(jq -c '.phikit.hitl = {"item":1,"status":"approved","reviewers":["dr-bob"]}' <<<"$ASK")")" \
	"flow: the approved record, once, with phikit.hitl"
hq phkt-alice "$SITE" release
is "$rc.$out" "0." "flow: released once only"
hq phkt-bob "$SITE" show 1
like "$out" "*released     *Z by phkt-alice*" "flow: show says who released it"
is "$(kinds)" "policy.bind hitl.enqueue hitl.refusal hitl.refusal hitl.refusal hitl.decision hitl.refusal hitl.release" \
	"flow: every step and every refusal is in the ledger"
sql="SELECT actor || ':' || json_extract(payload, '\$.rule') FROM entries WHERE kind = 'hitl.refusal'"
is "$(sqlite3 "$db" "$sql" | paste -sd' ')" \
	"phkt-alice:self-approval phkt-mallory:role phkt-mallory:role phkt-mallory:role" \
	"flow: refusals name who and the rule"
sql="SELECT payload FROM entries WHERE kind = 'hitl.decision'"
is "$(field "$(sqlite3 "$db" "$sql")" '[.reviewer, .unix_user, .decision, .notes] | join("|")')" \
	"dr-bob|phkt-bob|approve|checked with physician" "flow: the decision entry: reviewer, Unix user, decision, notes"
verify
is "$rc" 0 "flow: ledger-verify passes over the review trail"
like "$out" "*8 entries, 3 runs*" "flow: the trail in the record's run, the refused release in phikit:hitl, the policy in phikit:policy"

# ---- a record changed behind the queue's back is not released ----
newdb tamper
hq phkt-alice "$SITE" gate -q <<<"$ASK"
hq phkt-bob "$SITE" approve 1 --reviewer phkt-bob --notes ok
sqlite3 "$db" "DROP TRIGGER hitl_items_decided; UPDATE hitl_items SET record = CAST(replace(CAST(record AS TEXT), 'production', 'staging') AS BLOB)"
hq root "$SITE" release
is "$rc.$out" "1." "tamper: an edited record is not released, exit 1"
is "$err" "hitl: warning: item 1 is marked approved but not released: the stored record does not match the hash logged when it was queued (run ledger-verify)" \
	"tamper: says why"
verify
is "$rc.$out" "1.ledger INVALID: queue item 1 (run 'r-42') disagrees with the ledger: its stored record is not the one queued" \
	"tamper: ledger-verify names the queue row"

# ---- a role held through a group ----
newdb group
hq phkt-alice "$SITE" gate -q <<<"$ASK"
hq phkt-carol "$SITE" approve 1 --reviewer phkt-carol --notes "via group"
is "$rc.$out" "0.item 1: approved (1 of 1 approvals)" "group: carol holds the role through phkt-reviewers"

# ---- a quorum of two ----
newdb quorum "$QUORUM"
hq phkt-alice "$QUORUM" gate -q <<<"$ASK"
hq phkt-bob "$QUORUM" approve 1 --reviewer phkt-bob --notes "first"
is "$rc.$out" "0.item 1: pending (1 of 2 approvals)" "quorum: one approval is not enough"
hq phkt-alice "$QUORUM" release
is "$rc.$out" "0." "quorum: nothing to release yet"
for p in "$SITE" "$SHARED"; do
	hq phkt-carol "$p" approve 1 --reviewer phkt-carol --notes "one is enough under mine"
	is "$rc.$out" "2." "quorum: a reviewer's own policy ($(basename "$p")) cannot lower it"
	hq root "$p" release
	is "$rc.$out" "2." "quorum: nor release it under another policy ($(basename "$p"))"
done
PHIKIT_POLICY=$SITE run as phkt-carol "$HITL" approve 1 --db "$db" --reviewer phkt-carol --notes x
is "$rc" 2 "quorum: nor through PHIKIT_POLICY"
hq phkt-bob "$QUORUM" approve 1 --reviewer dr-bob --notes "again, as dr-bob"
is "$rc.$err" "1.hitl: refused: phkt-bob has already approved item 1 (the 2 approvals it needs come from distinct reviewers)" \
	"quorum: the same person twice, under an alias, is refused"
hq phkt-carol "$QUORUM" approve 1 --reviewer phkt-carol --notes "second"
is "$rc.$out" "0.item 1: approved (2 of 2 approvals)" "quorum: a second person approves it"
hq root "$QUORUM" release
is "$(field "$out" '.phikit.hitl | [.status, (.reviewers | join(","))] | join(" ")')" \
	"approved phkt-bob,phkt-carol" "quorum: both reviewers named on release"
hq phkt-alice "$QUORUM" gate -q <<<"$ASK"
hq phkt-bob "$QUORUM" approve 2 --reviewer phkt-bob --notes "fine"
hq phkt-carol "$QUORUM" reject 2 --reviewer phkt-carol --notes "not fine"
is "$rc.$out" "0.item 2: rejected" "quorum: one reject rejects"
verify
is "$rc" 0 "quorum: ledger-verify"

# ---- wait, inline in a pipeline ----
newdb wait
hq phkt-alice "$SITE" gate -q <<<"$ASK"
(sleep 0.4; as phkt-bob "$HITL" approve 1 --db "$db" -p "$SITE" --reviewer phkt-bob --notes ok >/dev/null) &
hq phkt-alice "$SITE" wait 1 --timeout 5
wait
is "$rc.$out" "0.approved" "wait: returns 0 once approved"

# ---- two releasers at once: each of 50 items emitted exactly once ----
newdb many
for i in $(seq 50); do
	printf '{"run_id":"r-%d","i":%d,"tool":"deploy","args":{"env":"production"}}\n' $((i % 5)) "$i"
done | "$bin/phi-scrub" -p "$POLICY" | "$bin/guard-check" -p "$POLICY" >"$tmp/many"
hq phkt-alice "$SITE" gate -q <"$tmp/many"
is "$(sqlite3 "$db" "SELECT COUNT(*) FROM hitl_items")" 50 "concurrent: 50 queued"
for i in $(seq 50); do
	as phkt-bob "$HITL" approve "$i" --db "$db" -p "$SITE" --reviewer phkt-bob --notes ok >/dev/null || echo "approve $i failed"
done >"$tmp/approve.err"
is "$(cat "$tmp/approve.err")" "" "concurrent: 50 approved"
# both wait on a FIFO, so they start releasing together
mkfifo -m 666 "$tmp/q/go"
starter='read -r _ <"$1" || :; exec "$2" release --db "$3" -p "$4"'
as root sh -c "$starter" sh "$tmp/q/go" "$HITL" "$db" "$SITE" >"$tmp/rel1" 2>"$tmp/rel1.err" &
p1=$!
as phkt-alice sh -c "$starter" sh "$tmp/q/go" "$HITL" "$db" "$SITE" >"$tmp/rel2" 2>"$tmp/rel2.err" &
p2=$!
sleep 0.3
echo go >"$tmp/q/go"
wait "$p1"; r1=$?
wait "$p2"; r2=$?
is "$r1.$r2.$(cat "$tmp/rel1.err" "$tmp/rel2.err")" "0.0." "concurrent: both releasers succeed"
is "$(cat "$tmp/rel1" "$tmp/rel2" | jq -r .i | sort -n | paste -sd,)" "$(seq 50 | paste -sd,)" \
	"concurrent: every item emitted exactly once overall"
is "$(sqlite3 "$db" "SELECT COUNT(*) FROM entries WHERE kind = 'hitl.release'")" 50 \
	"concurrent: one hitl.release entry per item"
echo "# releaser 1 emitted $(wc -l <"$tmp/rel1"), releaser 2 $(wc -l <"$tmp/rel2")"
verify
is "$rc" 0 "concurrent: ledger-verify"

# SQLite lets one writer run on while the other sleeps: one releaser above
# may well take all 50. Here two loops release one item per process and
# run, so their transactions interleave item by item.
newdb many2
hq phkt-alice "$SITE" gate -q <"$tmp/many"
for i in $(seq 50); do
	as phkt-bob "$HITL" approve "$i" --db "$db" -p "$SITE" --reviewer phkt-bob --notes ok >/dev/null
done
releaser() {	# releaser USER OUT: release one at a time until none is left
	local u=$1
	: >"$2"
	while as "$u" "$HITL" release --limit 1 --db "$db" -p "$SITE" >"$2.one" 2>>"$2.err" &&
		[ -s "$2.one" ]; do
		cat "$2.one" >>"$2"
	done
}
releaser root "$tmp/rel3" &
p1=$!
releaser phkt-alice "$tmp/rel4" &
p2=$!
wait "$p1" "$p2"
is "$(cat "$tmp/rel3.err" "$tmp/rel4.err")" "" "interleaved: no errors"
is "$(cat "$tmp/rel3" "$tmp/rel4" | jq -r .i | sort -n | paste -sd,)" "$(seq 50 | paste -sd,)" \
	"interleaved: every item emitted exactly once overall"
echo "# releaser 1 emitted $(wc -l <"$tmp/rel3"), releaser 2 $(wc -l <"$tmp/rel4")"
verify
is "$rc" 0 "interleaved: ledger-verify"

done_testing
