#!/bin/bash
# hitl as several people: real Unix users, made for the test (it runs as
# root, as CI does on a fresh Debian; anyone else gets a skip). The whole
# flow end to end, an unauthorized user, a role held through a group,
# self-approval, an alias, a quorum of two, one reject against an
# approval, wait inline, and two releasers at once over 50 items.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null || ! command -v useradd >/dev/null; then
	echo "1..0 # SKIP acting as several Unix users needs root, setpriv and useradd"
	exit 0
fi

# The test's users and group, kept between runs (made once, idempotently).
getent group phkt-reviewers >/dev/null || groupadd --system phkt-reviewers 2>/dev/null ||
	getent group phkt-reviewers >/dev/null || { echo "1..0 # SKIP cannot make a group"; exit 0; }
for u in phkt-alice phkt-bob phkt-carol phkt-mallory; do
	id -u "$u" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /usr/sbin/nologin "$u" 2>/dev/null ||
		id -u "$u" >/dev/null 2>&1 || { echo "1..0 # SKIP cannot make user $u"; exit 0; }
done
id -nG phkt-carol | grep -qw phkt-reviewers || usermod -a -G phkt-reviewers phkt-carol

HITL=$bin/hitl
unset PHIKIT_DB PHIKIT_LEDGER_KEY PHIKIT_HITL_TIMEOUT_S PHIKIT_HITL_EXPIRE_S PHIKIT_HITL_WEBHOOK
# Every reviewer reads and writes the one database: a shared directory,
# and a umask that lets SQLite make its -wal and -shm files shared too
# (else a reviewer opening the queue the moment another made them would
# find them read-only for an instant).
umask 000
chmod 755 "$tmp"
mkdir "$tmp/q" && chmod 1777 "$tmp/q"

# as USER CMD...: run CMD as that user, with its groups
as() { local u=$1; shift; setpriv --reuid="$u" --regid="$(id -g "$u")" --init-groups -- "$@"; }
# hq USER POLICY CMD ARGS...: hitl CMD as USER on $db
hq() { local u=$1 p=$2; shift 2; run as "$u" "$HITL" "$1" --db "$db" -p "$p" "${@:2}"; }
newdb() {	# a fresh queue every reviewer may open
	db=$tmp/q/$1.db
	"$HITL" gate --db "$db" -p "$POLICY" </dev/null && chmod 666 "$db"
}
kinds() { sqlite3 "$db" "SELECT kind FROM entries ORDER BY seq" | paste -sd' '; }

cat >"$tmp/site.yaml" <<EOF
extends: $POLICY
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
SITE=$tmp/site.yaml QUORUM=$tmp/quorum.yaml

ALLOW='{"run_id":"r-42","text":"rest and fluids","phikit":{"guard":{"verdict":"allow"}}}'
ASK='{"run_id":"r-42","text":"double the warfarin","phikit":{"guard":{"verdict":"ask"}}}'

# ---- the whole flow: gate, list, approve, release, ledger-verify ----
newdb flow
printf '%s\n' "$ALLOW" "$ASK" "$ALLOW" >"$tmp/in"
hq phkt-alice "$SITE" gate <"$tmp/in"
is "$rc.$err" "0.hitl: queued item 1 (run r-42): ask" "flow: alice's pipeline queues the ask record"
is_out "$ALLOW
$ALLOW" "flow: the rest pass"
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
hq phkt-bob "$SITE" approve 1 --reviewer dr-bob --notes "checked with physician"
is "$rc.$out" "0.item 1: approved (1 of 1 approvals)" "flow: bob approves under his alias"
hq phkt-mallory "$SITE" release
is "$rc.$out" "1." "flow: mallory may not release"
hq phkt-alice "$SITE" release
is "$rc" 0 "flow: alice releases"
is_out '{"run_id":"r-42","text":"double the warfarin","phikit":{"guard":{"verdict":"ask"},"hitl":{"item":1,"status":"approved","reviewers":["dr-bob"]}}}' \
	"flow: the approved record, once, with phikit.hitl"
hq phkt-alice "$SITE" release
is "$rc.$out" "0." "flow: released once only"
hq phkt-bob "$SITE" show 1
like "$out" "*released     *Z by phkt-alice*" "flow: show says who released it"
is "$(kinds)" "hitl.enqueue hitl.refusal hitl.refusal hitl.refusal hitl.decision hitl.refusal hitl.release" \
	"flow: every step and every refusal is in the ledger"
sql="SELECT actor || ':' || json_extract(payload, '\$.rule') FROM entries WHERE kind = 'hitl.refusal'"
is "$(sqlite3 "$db" "$sql" | paste -sd' ')" \
	"phkt-alice:self-approval phkt-mallory:role phkt-mallory:role phkt-mallory:role" \
	"flow: refusals name who and the rule"
sql="SELECT payload FROM entries WHERE kind = 'hitl.decision'"
is "$(field "$(sqlite3 "$db" "$sql")" '[.reviewer, .unix_user, .decision, .notes] | join("|")')" \
	"dr-bob|phkt-bob|approve|checked with physician" "flow: the decision entry: reviewer, Unix user, decision, notes"
run "$bin/ledger-verify" --db "$db"
is "$rc" 0 "flow: ledger-verify passes over the review trail"
like "$out" "*7 entries, 2 runs*" "flow: the trail is in the record's run, the refused release in phikit:hitl"

# ---- a record changed behind the queue's back is not released ----
newdb tamper
hq phkt-alice "$SITE" gate -q <<<"$ASK"
hq phkt-bob "$SITE" approve 1 --reviewer phkt-bob --notes ok
sqlite3 "$db" "DROP TRIGGER hitl_items_decided; UPDATE hitl_items SET record = CAST(replace(CAST(record AS TEXT), 'warfarin', 'aspirin') AS BLOB)"
hq root "$SITE" release
is "$rc.$out" "4." "tamper: an edited record is not released"
is "$err" "hitl: item 1: the stored record does not match the hash logged when it was queued; not released (run ledger-verify)" \
	"tamper: says why"

# ---- a role held through a group ----
newdb group
hq phkt-alice "$SITE" gate -q <<<"$ASK"
hq phkt-carol "$SITE" approve 1 --reviewer phkt-carol --notes "via group"
is "$rc.$out" "0.item 1: approved (1 of 1 approvals)" "group: carol holds the role through phkt-reviewers"

# ---- a quorum of two ----
newdb quorum
hq phkt-alice "$QUORUM" gate -q <<<"$ASK"
hq phkt-bob "$QUORUM" approve 1 --reviewer phkt-bob --notes "first"
is "$rc.$out" "0.item 1: pending (1 of 2 approvals)" "quorum: one approval is not enough"
hq phkt-alice "$QUORUM" release
is "$rc.$out" "0." "quorum: nothing to release yet"
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
run "$bin/ledger-verify" --db "$db"
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
	printf '{"run_id":"r-%d","i":%d,"phikit":{"guard":{"verdict":"ask"}}}\n' $((i % 5)) "$i"
done >"$tmp/many"
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
run "$bin/ledger-verify" --db "$db"
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
run "$bin/ledger-verify" --db "$db"
is "$rc" 0 "interleaved: ledger-verify"

done_testing
