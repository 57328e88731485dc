#!/bin/bash
# The audit ledger as users drive it: ledger-append (what it logs, what it
# passes on, what it refuses), ledger-admin (keys, checkpoints, erasure,
# statistics) and ledger-verify (its verdict lines, --json, exit statuses).
. "$(dirname "$0")/lib.sh"
ledger_init
cd "$tmp" || exit 1

db=$tmp/l.db
hex64='[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]'
hex64=$hex64$hex64$hex64$hex64$hex64$hex64$hex64$hex64
me=$(id -un)
q() { sqlite3 "$db" "$@"; }
q_db() { sqlite3 "$@"; }

# ---- ledger-append: what goes downstream, what is logged ----

printf '%s\n' '{"a":1,"run_id":"r1"}' '{"b":"x y","phikit":{"scrub":{"total":0}}}' \
	'{"c":[1,2],"phikit":{"ledger":{"seq":99}}}' '{ "d" : null }' >"$tmp/in"
run "$LA" --db "$db" --run R --actor alice --kind note "$tmp/in"
is "$rc" 0 "ledger-append: exit 0"
is_err "" "ledger-append: nothing on stderr"
is "$(stat -c %a "$db")" 600 "the database is created mode 0600"
h0=$(q "SELECT lower(hex(leaf_hash)) FROM entries WHERE seq = 0")
h1=$(q "SELECT lower(hex(leaf_hash)) FROM entries WHERE seq = 1")
h2=$(q "SELECT lower(hex(leaf_hash)) FROM entries WHERE seq = 2")
h3=$(q "SELECT lower(hex(leaf_hash)) FROM entries WHERE seq = 3")
is_out "{\"a\":1,\"run_id\":\"r1\",\"phikit\":{\"ledger\":{\"seq\":0,\"leaf_hash\":\"$h0\"}}}
{\"b\":\"x y\",\"phikit\":{\"scrub\":{\"total\":0},\"ledger\":{\"seq\":1,\"leaf_hash\":\"$h1\"}},\"run_id\":\"R\"}
{\"c\":[1,2],\"phikit\":{\"ledger\":{\"seq\":2,\"leaf_hash\":\"$h2\"}},\"run_id\":\"R\"}
{ \"d\" : null ,\"run_id\":\"R\",\"phikit\":{\"ledger\":{\"seq\":3,\"leaf_hash\":\"$h3\"}}}" \
	"each record passed on with phikit.ledger {seq, leaf_hash}: other keys and phikit members kept, an old phikit.ledger replaced, run_id added at the end where it lacked one"
is "$(q "SELECT payload FROM entries ORDER BY seq")" '{"a":1,"run_id":"r1"}
{"b":"x y","phikit":{"scrub":{"total":0}},"run_id":"R"}
{"c":[1,2],"phikit":{"ledger":{"seq":99}},"run_id":"R"}
{ "d" : null ,"run_id":"R"}' "the payloads are the records' exact bytes, with the run_id they were given"
is "$(q "SELECT seq, run_id, run_seq, actor, kind FROM entries ORDER BY seq")" "0|r1|0|alice|note
1|R|0|alice|note
2|R|1|alice|note
3|R|2|alice|note" "seq, run_id, run_seq, --actor and --kind are recorded"
is "$(q "SELECT run_prev FROM entries WHERE seq = 3")" "$h2" "run_prev is the hex leaf hash of the run's previous entry"
is "$(q "SELECT count(*) FROM entries WHERE run_seq = 0 AND run_prev = ''")" 2 "a run's first entry has run_prev \"\""
bad=0
for s in 0 1 2 3; do
	p=$(q "SELECT payload FROM entries WHERE seq = $s")
	[ "$(printf '%s' "$p" | sha256sum | cut -d' ' -f1)" = "$(q "SELECT payload_sha256 FROM entries WHERE seq = $s")" ] || bad=$((bad + 1))
done
is "$bad" 0 "payload_sha256 is the SHA-256 of the payload bytes"
bad=0
for s in 0 1 2 3; do
	e=$(entry_json "$db" $s)
	[ "$(leafhash "$e")" = "$(q "SELECT lower(hex(leaf_hash)) FROM entries WHERE seq = $s")" ] || bad=$((bad + 1))
done
is "$bad" 0 "leaf hash = SHA-256(0x00 || the entry as jq -cS prints it), for every entry"
like "$(q "SELECT ts FROM entries WHERE seq = 0")" '20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]Z' \
	"ts is RFC 3339 UTC with microseconds"

# the default actor, kind and run
printf '%s\n' '{"n":1}' '{"n":2}' >"$tmp/in2"
run "$LA" --db "$db" "$tmp/in2"
is "$rc" 0 "without --run: exit 0"
u1=$(q "SELECT run_id FROM entries WHERE seq = 4")
like "$u1" '[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-4[0-9a-f][0-9a-f][0-9a-f]-[89ab][0-9a-f][0-9a-f][0-9a-f]-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' \
	"without run_id or --run: a fresh version-4 UUID"
is "$(q "SELECT count(DISTINCT run_id) FROM entries WHERE seq IN (4, 5)")" 1 "one UUID for the whole invocation"
is "$(field "$(sed -n 2p "$tmp/out")" .run_id)" "$u1" "the UUID is written into the record passed on"
is "$(q "SELECT payload FROM entries WHERE seq = 5")" "{\"n\":2,\"run_id\":\"$u1\"}" "and into the payload logged"
is "$(q "SELECT actor || ' ' || kind FROM entries WHERE seq = 4")" "$me record" "the default actor is the Unix user, the default kind 'record'"
run "$LA" --db "$db" "$tmp/in2"
u2=$(q "SELECT run_id FROM entries WHERE seq = 6")
isnt "$u2" "$u1" "another invocation, another UUID"
is "$(q "SELECT run_seq FROM entries WHERE seq = 7")" 1 "its run counts from 0"

# PHIKIT_DB
run env PHIKIT_DB="$tmp/env.db" "$LA" --run E "$tmp/in2"
is "$rc:$(sqlite3 "$tmp/env.db" "SELECT count(*) FROM entries")" "0:2" "PHIKIT_DB names the database"
(cd "$tmp" && mkdir -p cwd && cd cwd && "$LA" --run E <"$tmp/in2" >/dev/null 2>&1)
is "$(sqlite3 "$tmp/cwd/phikit.db" "SELECT count(*) FROM entries")" 2 "without it: ./phikit.db"

# ---- refusals: exit 3, the line named, what came before logged and passed on ----

bad_input() {	# bad_input NAME INPUT WANT-ERR [ARGS...]
	local name=$1 input=$2 want=$3 d=$tmp/bad.db
	shift 3
	rm -f "$d"
	run "$LA" --db "$d" --run B "$@" <<<"$input"
	is "$rc" 3 "$name: exit 3"
	is_err "$want" "$name: the error, with the line"
	is "$(wc -l <"$tmp/out" | tr -d ' '):$(sqlite3 "$d" "SELECT count(*) FROM entries")" "1:1" \
		"$name: the record before it logged and passed on, nothing after"
	like "$(head -n 1 "$tmp/out")" '{"ok":1,"run_id":"B","phikit":{"ledger":{"seq":0,"leaf_hash":"'"$hex64"'"}}}' \
		"$name: the record before it is passed on whole"
}
bad_input "invalid JSON" '{"ok":1}
{"a":
{"ok":2}' "ledger-append: error (at <stdin>:2): unexpected end of line at byte 6"
bad_input "not an object" '{"ok":1}
[1]
{"ok":2}' "ledger-append: error (at <stdin>:2): not a JSON object"
bad_input "a run_id with a space" '{"ok":1}
{"run_id":"bad id"}
{"ok":2}' "ledger-append: error (at <stdin>:2): run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -"
bad_input "a numeric run_id" '{"ok":1}
{"run_id":5}
{"ok":2}' "ledger-append: error (at <stdin>:2): run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -"
bad_input "an over-long line" '{"ok":1}
{"x":"0123456789012345678901234567890123456789"}
{"ok":2}' "ledger-append: error (at <stdin>:2): line longer than 40 bytes" --max-line 40
{ "$bin/phi-scrub" -p "$POLICY" <<<'{"ok":1}'; printf '%s\n' '{"raw":"Jane Doe"}' '{"ok":2}'; } >"$tmp/req"
run "$LA" --db "$tmp/req0.db" --run B --require-scrubbed "$tmp/req"
is "$rc" 3 "--require-scrubbed: an unscrubbed record, exit 3"
is_err "ledger-append: error (at $tmp/req:2): record has no phikit.scrub annotation; the policy requires records scrubbed by phi-scrub before they are logged" \
	"--require-scrubbed: the record refused, fail-closed"
is "$(jq -c .ok "$tmp/out"):$(sqlite3 "$tmp/req0.db" "SELECT count(*) FROM entries")" "1:1" \
	"--require-scrubbed: the scrubbed record before it logged and passed on, nothing after"
printf '%s\n' '{"raw":"Jane Doe","phikit":{"scrub":null}}' >"$tmp/null"
run "$LA" --db "$tmp/req0.db" --run B --require-scrubbed "$tmp/null"
is "$rc:$out" "3:" "--require-scrubbed: \"scrub\":null is no annotation, exit 3"
is_err "ledger-append: error (at $tmp/null:1): phikit.scrub is not an object" \
	"--require-scrubbed: \"scrub\":null refused"
printf '%s\n' '{"raw":"Jane Doe"}' >"$tmp/raw"
run "$LA" --db "$tmp/req.db" --run B -p "$POLICY" "$tmp/raw"
is "$rc" 3 "a policy with ledger: {require_scrubbed: true} (hipaa): exit 3"
is_err "ledger-append: error (at $tmp/raw:1): record has no phikit.scrub annotation; the policy requires records scrubbed by phi-scrub before they are logged" \
	"the policy refuses an unscrubbed record"
is "$out:$(sqlite3 "$tmp/req.db" "SELECT count(*) FROM entries")" ":0" "nothing passed on, nothing logged"
printf 'name: strict\nversion: 1\nledger:\n  require_scrubbed: true\n' >"$tmp/strict.yaml"
run "$LA" --db "$tmp/req.db" --run B -p "$tmp/strict.yaml" "$tmp/raw"
is "$rc" 3 "a site policy with require_scrubbed: true refuses too"
scrub <<<'{"t":"SSN 869-36-0459"}' && printf '%s\n' "$out" >"$tmp/scrubbed"
run "$LA" --db "$tmp/req.db" --run B -p "$POLICY" "$tmp/scrubbed"
is "$rc:$(sqlite3 "$tmp/req.db" "SELECT count(*) FROM entries")" "0:1" "a record phi-scrub annotated is accepted"

# --on-error=skip
rm -f "$tmp/skip.db"
run "$LA" --db "$tmp/skip.db" --run S --on-error=skip <<<'{"n":1}
{"n":
{"n":3}'
is "$rc" 3 "--on-error=skip: still exit 3"
is_err "ledger-append: error (at <stdin>:2): unexpected end of line at byte 6
ledger-append: 1 bad line skipped" "--on-error=skip: the bad line reported, then counted"
is "$(jq -c '[.n, .phikit.ledger.seq]' "$tmp/out" | tr '\n' ' ')" "[1,0] [3,1] " "--on-error=skip: the good lines logged and passed on"

# usage errors
u() {	# u WANT-ERROR ARGS...
	local want=$1
	shift
	rm -f "$tmp/u.db"
	run "$LA" --db "$tmp/u.db" "$@" <<<'{"n":1}'
	is "$rc:$out" "2:" "$*: exit 2, nothing passed on"
	is_err "$want" "$*: said so"
	ok "$([ ! -e "$tmp/u.db" ] || [ "$(sqlite3 "$tmp/u.db" 'SELECT count(*) FROM entries' 2>/dev/null)" = 0 ]; echo $?)" \
		"$*: nothing logged"
}
u "ledger-append: --run 'a b' must be 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -" --run 'a b'
u "ledger-append: --actor '' must be 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -" --actor ''
u "ledger-append: --on-error takes stop or skip, not 'maybe'" --on-error=maybe
u "ledger-append: bad --batch '0' (1 to 1000000 records)" --batch 0
u "ledger-append: bad --max-line '1'" --max-line 1
u "ledger-append: --checkpoint-out needs a signing key (--key or PHIKIT_LEDGER_KEY)" --checkpoint-out "$tmp/ck-none.txt"
ok "$([ ! -e "$tmp/ck-none.txt" ]; echo $?)" "--checkpoint-out without a key: no file made"

# the signing key
newkey audit
avkey=$vkey
akey=$tmp/audit.key
is "$(stat -c %a "$akey")" 600 "keygen: the key file is 0600"
cp "$akey" "$tmp/open.key"
chmod 644 "$tmp/open.key"
u "ledger-append: key file '$tmp/open.key' is readable by others (mode 0644); chmod 600 it" --key "$tmp/open.key"
run env PHIKIT_LEDGER_KEY="$tmp/open.key" "$LA" --db "$tmp/u.db" <<<'{"n":1}'
is "$rc" 2 "PHIKIT_LEDGER_KEY names the key file too: a world-readable one refused"
cp "$tmp/plain.yaml" "$tmp/notkey"
chmod 600 "$tmp/notkey"
u "ledger-append: signing key '$tmp/notkey' is not a key from 'ledger-admin keygen' (PRIVATE+KEY+name+id+key)" --key "$tmp/notkey"
u "ledger-append: key file '$tmp/none.key': No such file or directory" --key "$tmp/none.key"

# checkpoints: one signed note per batch, appended to --checkpoint-out
rm -f "$db"
for i in 1 2 3 4 5 6 7; do echo "{\"i\":$i}"; done >"$tmp/seven"
run "$LA" --db "$db" --run C --key "$akey" --checkpoint-out "$tmp/ck.txt" --batch 3 --stats "$tmp/seven"
is "$rc" 0 "--checkpoint-out --batch 3: exit 0"
is_err "ledger-append: 7 records appended in 3 transactions" "--stats: records and transactions"
is "$(stat -c %a "$tmp/ck.txt")" 600 "the checkpoint file is created 0600"
is "$(grep -c '^— audit ' "$tmp/ck.txt")" 3 "one signed note per batch"
origin=$(q "SELECT value FROM meta WHERE key = 'origin'")
like "$origin" "phikit.ledger/[0-9a-f]*" "the origin is phikit.ledger/ and 32 hex digits"
is "$(awk 'NR % 5 == 2' "$tmp/ck.txt" | tr '\n' ' ')" "3 6 7 " "the notes sign sizes 3, 6 and 7"
is "$(awk 'NR % 5 == 1' "$tmp/ck.txt" | sort -u)" "$origin" "each is for this ledger's origin"
is "$(awk 'NR % 5 == 4' "$tmp/ck.txt" | tr -d '\n')" "" "a blank line between text and signature"
root=$(q "SELECT note FROM checkpoints WHERE size = 7" | sed -n 3p | base64 -d | od -An -tx1 | tr -d ' \n')
run "$LV" --db "$db" --key "$avkey" --json
is "$(field "$out" .root)" "$root" "the last note's root is the ledger's root"
is "$(q "SELECT count(*) FROM checkpoints")" 3 "and each is stored in the ledger"
is "$(q "SELECT group_concat(note, '') FROM (SELECT note FROM checkpoints ORDER BY id)")" "$(cat "$tmp/ck.txt")" \
	"the notes in the file are the ones stored, in order"
run "$LV" --db "$db" --key "$avkey" --since "$tmp/ck.txt"
is "$rc" 0 "ledger-verify --since the checkpoint file: exit 0"
is_out "ledger OK: 7 entries, 1 run, checkpoint 7 signed by $(echo "$avkey" | cut -d+ -f1,2); extends the saved checkpoint 7" \
	"ledger-verify --since: extends the saved checkpoint"
run env PHIKIT_LEDGER_KEY="$akey" "$LA" --db "$db" --run C <<<'{"i":8}'
is "$(q "SELECT max(size) FROM checkpoints")" 8 "PHIKIT_LEDGER_KEY: a checkpoint signed without --key"

# ---- interactive: a record goes through at once, stdin still open ----

rm -f "$tmp/i.db"
coproc APPEND { exec "$LA" --db "$tmp/i.db" --run I --key "$akey" 2>"$tmp/i.err"; }
t0=${EPOCHREALTIME/./}
echo '{"q":1}' >&"${APPEND[1]}"
line=
IFS= read -r -t 3 line <&"${APPEND[0]}"
t1=${EPOCHREALTIME/./}
like "$line" '{"q":1,"run_id":"I","phikit":{"ledger":{"seq":0,"leaf_hash":"'"$hex64"'"}}}' \
	"interactive: the first record comes out while stdin stays open"
ok "$([ $(((t1 - t0) / 1000)) -lt 1000 ]; echo $?)" "interactive: within a second ($(((t1 - t0) / 1000)) ms)"
echo '{"q":2}' >&"${APPEND[1]}"
line=
IFS= read -r -t 3 line <&"${APPEND[0]}"
t2=${EPOCHREALTIME/./}
like "$line" '{"q":2,"run_id":"I","phikit":{"ledger":{"seq":1,"leaf_hash":"'"$hex64"'"}}}' \
	"interactive: so does the second"
ok "$([ $(((t2 - t1) / 1000)) -lt 1000 ]; echo $?)" "interactive: within a second too ($(((t2 - t1) / 1000)) ms)"
is "$(stat -c %a "$tmp/i.db" "$tmp/i.db-wal" "$tmp/i.db-shm" 2>&1 | tr '\n' ' ')" "600 600 600 " \
	"while it runs, the WAL and shared-memory files (payloads pass through them) are 0600 too"
is "$(sqlite3 "$tmp/i.db" "SELECT count(*) FROM entries")" 2 "interactive: committed before it was passed on"
is "$(sqlite3 "$tmp/i.db" "SELECT max(size) FROM checkpoints")" 2 "interactive: and signed"
pid=$APPEND_PID
exec {APPEND[1]}>&-
wait "$pid"
is "$?" 0 "interactive: exit 0 once stdin closes"

# ---- append-only ----

run sqlite3 "$db" "UPDATE entries SET kind = 'x'"
isnt "$rc" 0 "UPDATE of an entry: refused"
is_err "Error: stepping, phikit ledger: entries are append-only (payloads are erased only by ledger-admin anonymize or prune) (19)" \
	"UPDATE: the append-only message"
run sqlite3 "$db" "UPDATE entries SET payload = NULL WHERE seq = 0"
isnt "$rc" 0 "erasing a payload outside anonymize or prune: refused"
run sqlite3 "$db" "DELETE FROM entries WHERE seq = 7"
isnt "$rc" 0 "DELETE of an entry: refused"
is_err "Error: stepping, phikit ledger: entries are append-only (19)" "DELETE: the append-only message"
run sqlite3 "$db" "DELETE FROM checkpoints"
is_err "Error: stepping, phikit ledger: checkpoints are append-only (19)" "checkpoints: append-only"
run sqlite3 "$db" "UPDATE meta SET value = 'x' WHERE key = 'origin'"
is_err "Error: stepping, phikit ledger: meta is write-once (19)" "meta: write-once"
run sqlite3 "$db" "DELETE FROM keys"
is_err "Error: stepping, phikit ledger: keys are append-only (19)" "keys: append-only"
is "$(q "SELECT count(*) || ' ' || count(payload) FROM entries")" "8 8" "the ledger is untouched"

# ---- ledger-admin keygen ----

run "$LADM" keygen --name site-audit -o "$tmp/site.key"
is "$rc" 0 "keygen: exit 0"
like "$out" "site-audit+[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]+A*" \
	"keygen: prints the verifier key name+id+base64"
is "${#out}" $((11 + 9 + 44)) "keygen: the verifier key's length"
is_err "ledger-admin: secret key in '$tmp/site.key' (mode 0600); the line above is its verifier key" "keygen: says where the secret is"
is "$(stat -c %a "$tmp/site.key")" 600 "keygen: the file is 0600"
id=$(echo "$out" | cut -d+ -f2)
like "$(cat "$tmp/site.key")" "PRIVATE+KEY+site-audit+$id+*" "keygen: the file is PRIVATE+KEY+name+id+key, with the printed id"
sum=$(sha256sum <"$tmp/site.key")
run "$LADM" keygen --name site-audit -o "$tmp/site.key"
is "$rc:$out" "2:" "keygen over an existing file: exit 2, nothing printed"
is_err "ledger-admin: $tmp/site.key: File exists" "keygen: refuses to overwrite"
is "$(sha256sum <"$tmp/site.key")" "$sum" "keygen: the existing key is untouched"
(cd "$tmp/cwd" && "$LADM" keygen --name k2 >/dev/null 2>&1)
is "$(stat -c %a "$tmp/cwd/k2.key" 2>&1)" 600 "keygen without -o: NAME.key in the current directory"
run "$LADM" keygen
is "$rc" 2 "keygen without --name: exit 2"
is_err "ledger-admin: keygen needs --name" "keygen without --name: said so"
run "$LADM" keygen --name 'a+b' -o "$tmp/ab.key"
is "$rc" 2 "keygen with '+' in the name: exit 2"
is_err "ledger-admin: key name 'a+b' must be 1 to 128 printable ASCII characters, no spaces or '+'" "keygen: why"
run "$LV" --db "$db" --key "$out"
run "$LADM" frobnicate
is "$rc" 2 "an unknown command: exit 2"
is_err "ledger-admin: unknown command 'frobnicate' (keygen, pubkey, checkpoint, anonymize, prune, policy, stats)" "an unknown command: named"

# ---- ledger-admin pubkey ----
"$LADM" keygen --name pk -o "$tmp/pk.key" >"$tmp/pk.pub" 2>/dev/null
run "$LADM" pubkey --key "$tmp/pk.key"
is "$rc:$out" "0:$(cat "$tmp/pk.pub")" "pubkey: the verifier key keygen printed, from the secret key"
run env PHIKIT_LEDGER_KEY="$tmp/pk.key" "$LADM" pubkey
is "$rc:$out" "0:$(cat "$tmp/pk.pub")" "pubkey: the key from PHIKIT_LEDGER_KEY"
run env -u PHIKIT_LEDGER_KEY "$LADM" pubkey
is "$rc:$out" "2:" "pubkey without a key: exit 2"
is_err "ledger-admin: a signing key is needed (--key or PHIKIT_LEDGER_KEY)" "pubkey without a key: said so"
chmod 644 "$tmp/pk.key"
run "$LADM" pubkey --key "$tmp/pk.key"
is "$rc:$out" "2:" "pubkey of a key others can read: refused, nothing printed"

# ---- ledger-admin checkpoint ----

run "$LADM" checkpoint --db "$db"
is "$rc" 2 "checkpoint without a key: exit 2"
is_err "ledger-admin: a signing key is needed (--key or PHIKIT_LEDGER_KEY)" "checkpoint without a key: said so"
run "$LADM" checkpoint --db "$db" --key "$akey" --checkpoint-out "$tmp/ck2.txt"
is "$rc" 0 "checkpoint: exit 0"
is "$(sed -n 1,3p "$tmp/out" | sed -n 2p)" 8 "checkpoint: signs the current head (size 8)"
is "$(cat "$tmp/ck2.txt")" "$out" "checkpoint --checkpoint-out: the same note appended to the file"
is "$(q "SELECT note FROM checkpoints ORDER BY id DESC LIMIT 1")" "$out" "checkpoint: stored in the ledger"

# ---- ledger-admin stats ----

run "$LADM" stats --db "$db"
r=$(q "SELECT ts FROM entries ORDER BY seq LIMIT 1")
l=$(q "SELECT ts FROM entries ORDER BY seq DESC LIMIT 1")
run "$LV" --db "$db" --json
root=$(field "$out" .root)
run "$LADM" stats --db "$db"
is "$rc" 0 "stats: exit 0"
is_out "origin       $origin
entries      8
runs         1
checkpoints  5 (latest covers 8)
erased       0 payloads
first        $r
last         $l
root         $root" "stats: the ledger in numbers"
run "$LADM" stats --db "$db" --json
is_out "{\"entries\":8,\"runs\":1,\"checkpoints\":5,\"last_checkpoint_size\":8,\"erased\":0,\"first_ts\":\"$r\",\"last_ts\":\"$l\",\"root\":\"$root\",\"origin\":\"$origin\"}" \
	"stats --json"
run "$LADM" stats --db "$tmp/none.db"
is "$rc" 4 "stats of a missing database: exit 4"
is_err "ledger-admin: cannot open database '$tmp/none.db': No such file or directory" "stats of a missing database: said so"

# ---- ledger-verify: verdicts ----

rm -f "$db"
"$LA" --db "$db" --run V1 <<<'{"v":1}' >/dev/null
run "$LV" --db "$db"
is "$rc" 1 "no checkpoint, no key: exit 1 (nothing trusted verified it)"
is_out "ledger consistent, NOT verified (no --key): 1 entry, 1 run, no signed checkpoint" "no checkpoint, no key: says so"
run "$LV" --db "$db" --key "$avkey"
is "$rc" 1 "no checkpoint, with a key: exit 1"
is_out "ledger INVALID: no checkpoint: nothing signed by the given key covers this ledger" "no checkpoint, with a key: INVALID"
printf '%s\n' '{"v":2}' '{"v":3}' | "$LA" --db "$db" --run V2 --key "$akey" >/dev/null
"$LA" --db "$db" --run V1 <<<'{"v":4}' >/dev/null
id=$(echo "$avkey" | cut -d+ -f1,2)
run "$LV" --db "$db" --self-asserted
is "$rc" 0 "--self-asserted: exit 0"
is_out "ledger consistent, NOT verified (no --key): 4 entries, 2 runs, checkpoint 3 self-asserted by $id; 1 entry after it not yet signed" \
	"without --key: consistent, NOT verified, self-asserted"
run "$LV" --db "$db" --key "$avkey"
is "$rc" 0 "with --key: exit 0"
is_out "ledger OK: 4 entries, 2 runs, checkpoint 3 signed by $id; 1 entry after it not yet signed" \
	"with --key: OK, signed by, the unsigned tail counted"
echo "$avkey" >"$tmp/audit.pub"
run "$LV" --db "$db" --key "$tmp/audit.pub"
is "$rc:$out" "0:ledger OK: 4 entries, 2 runs, checkpoint 3 signed by $id; 1 entry after it not yet signed" \
	"--key FILE holding the verifier key"
run env PHIKIT_DB="$db" "$LV" --key "$avkey"
is "$rc" 0 "PHIKIT_DB names the database to verify"
run "$LV" --db "$db" --key "$avkey" --json
is "$rc" 0 "--json: exit 0"
is "$(field "$out" '[.valid, .verified, .type, .entries, .runs, .erased, .checkpoint.size, .checkpoint.signer, .error] | tostring')" \
	"[true,true,\"ledger\",4,2,0,3,\"$id\",null]" "--json: valid, verified, type, entries, runs, erased, checkpoint, error"
like "$(field "$out" .root)" "$hex64" "--json: the root, hex"
is "$(field "$out" 'keys_unsorted | join(",")')" "valid,verified,type,entries,runs,erased,checkpoint,root,error" "--json: the fields, in order"
run "$LV" --db "$db" --json
is "$(field "$out" '[.valid, .verified] | tostring')" "[true,false]" "--json without a key: valid, not verified"

newkey other
ovkey=$vkey
run "$LV" --db "$db" --key "$ovkey"
is "$rc" 1 "another key: exit 1"
is_out "ledger INVALID: checkpoint 3 (size 3) is not signed by the given key; it is signed by $id" \
	"another key: INVALID, names the signer"
run "$LV" --db "$db" --key "$ovkey" --json
is "$(field "$out" '[.valid, .verified, .error.seq, .error.message] | tostring')" \
	"[false,false,null,\"checkpoint 3 (size 3) is not signed by the given key; it is signed by $id\"]" \
	"--json: the failure"
run "$LV" --db "$db" --key "$ovkey" --key "$avkey"
is "$rc" 0 "two keys, one of them the signer's: exit 0"

# usage and unreadable
run "$LV" --db "$db" --key nonsense
is "$rc:$out" "2:" "a bad --key: exit 2"
is_err "ledger-verify: --key 'nonsense' is neither a verifier key (name+id+key) nor a readable file" "a bad --key: said so"
run "$LV" --db "$db" --key "$tmp/plain.yaml"
is "$rc" 2 "a --key file without a verifier key: exit 2"
is_err "ledger-verify: $tmp/plain.yaml: not a verifier key (name+id+key)" "a --key file without a verifier key: said so, without quoting the file"
run "$LV" --db "$db" --key "$akey"
is "$rc" 2 "the secret key given as --key: exit 2"
secret=$(cut -d+ -f5 "$akey")
ok "$([[ $err != *"$secret"* ]]; echo $?)" "the secret key given as --key: its secret is not printed"
is_err "ledger-verify: $akey: this is a signing key; give the verifier key (name+id+key)" \
	"the secret key given as --key: said what it is"
run "$LV" --db "$db" extra
is "$rc" 2 "--db and a bundle: exit 2"
run "$LV" --bogus
is "$rc" 2 "an unknown option: exit 2"
run "$LV" --db "$tmp/none.db"
is "$rc" 4 "a missing database: exit 4"
is_err "ledger-verify: cannot open database '$tmp/none.db': No such file or directory" "a missing database: said so"
mkdir -p "$tmp/dir.db"
run "$LV" --db "$tmp/dir.db"
is "$rc:$out" "4:" "a directory: exit 4"
is_err "ledger-verify: database '$tmp/dir.db' is not a regular file" "a directory: said so"
: >"$tmp/empty.db"
run "$LV" --db "$tmp/empty.db"
is "$rc" 4 "an empty file: exit 4"
is_err "ledger-verify: database '$tmp/empty.db' is empty: not a phikit ledger" "an empty file: said so"
echo hello >"$tmp/junk.db"
run "$LV" --db "$tmp/junk.db"
is "$rc" 4 "not a database: exit 4"
is_err "ledger-verify: database '$tmp/junk.db': read schema: file is not a database" "not a database: said so"
sqlite3 "$tmp/other.db" "CREATE TABLE t(x)"
run "$LV" --db "$tmp/other.db"
is "$rc" 4 "another SQLite database: exit 4"
is_err "ledger-verify: database '$tmp/other.db' is not a phikit ledger" "another SQLite database: said so"
run "$LV" --db "$db" --since "$tmp/none.txt"
is "$rc" 4 "an unreadable --since: exit 4"
is_err "ledger-verify: $tmp/none.txt: No such file or directory" "an unreadable --since: said so"
run "$LV" "$tmp/none.json"
is "$rc" 4 "a missing bundle: exit 4"

# ---- anonymize: payloads erased, every proof still good ----

rm -f "$db"
printf '%s\n' '{"secret":"ZEBRA-PAYLOAD-1"}' '{"secret":"ZEBRA-PAYLOAD-2"}' |
	"$LA" --db "$db" --run victim --key "$akey" >/dev/null
"$LA" --db "$db" --run other --key "$akey" <<<'{"keep":"KEEP-ME"}' >/dev/null
is "$(cat "$db"* | grep -ao ZEBRA-PAYLOAD-. | sort -u | tr '\n' ' ')" "ZEBRA-PAYLOAD-1 ZEBRA-PAYLOAD-2 " "before: the raw payloads are in the database files"
run "$LADM" anonymize --db "$db" --run victim --reason 'patient "request"' --actor dpo
is "$rc:$out" "2:" "anonymize without the ledger's key: exit 2, nothing done"
is_err "ledger-admin: an erasure is signed with the ledger's key, so that no one without it can erase: give --key (or PHIKIT_LEDGER_KEY)" \
	"anonymize without the key: said why"
run "$LADM" anonymize --db "$db" --run victim --reason 'patient "request"' --key "$akey" --actor dpo
is "$rc" 0 "anonymize: exit 0"
is_out "anonymized run 'victim': 2 payloads erased" "anonymize: how many payloads went"
is "$(q "SELECT seq || ' ' || run_id || ' ' || kind || ' ' || actor FROM entries WHERE seq = 3")" \
	"3 phikit:policy policy.bind $(id -un)" "the first ledger-admin erasure binds the database's policy first"
is "$(q "SELECT json_extract(payload, '$.policy.sha256') FROM entries WHERE seq = 3")" \
	"$(sha256sum "$tmp/plain.yaml" | cut -d' ' -f1)" "the bound policy is the one the command ran under"
is "$(q "SELECT seq || ':' || quote(payload) FROM entries WHERE run_id = 'victim' AND seq < 4 ORDER BY seq" | tr '\n' ' ')" \
	"0:NULL 1:NULL " "anonymize: the run's payloads are NULL"
is "$(q "SELECT payload FROM entries WHERE seq = 4" | jq -c '.anonymize')" \
	'{"erased":2,"reason":"patient \"request\"","run_id":"victim"}' "an anonymize entry says why, and how many"
origin=$(q "SELECT value FROM meta WHERE key = 'origin'")
is "$(q "SELECT payload FROM entries WHERE seq = 4" | jq -r '.authorization' | head -7)" \
	"phikit erasure v1
origin $origin
kind anonymize
run victim
seq 4
erased 2" "its authorization: the erasure's scope, as a note signed with the ledger's key"
is "$(q "SELECT payload FROM entries WHERE seq = 4" | jq -r '.authorization' | sed -n 8p | cut -d' ' -f1,2)" \
	"— audit" "signed by the ledger's key"
is "$(q "SELECT run_seq, actor, kind FROM entries WHERE seq = 4")" "2|dpo|anonymize" "the anonymize entry belongs to the run, by --actor"
is "$(q "SELECT payload FROM entries WHERE seq = 2")" '{"keep":"KEEP-ME","run_id":"other"}' "other runs keep their payloads"
is "$(cat "$db"* | grep -ac ZEBRA-PAYLOAD)" 0 "the raw payload bytes are gone from the database files"
run "$LV" --db "$db" --key "$avkey"
is "$rc" 0 "after anonymize: ledger-verify exit 0"
is_out "ledger OK: 5 entries, 3 runs, checkpoint 5 signed by $id; 2 payloads erased" "after anonymize: OK, erased payloads reported"
run "$TEX" --db "$db" --run victim -o "$tmp/victim.json"
is "$rc" 0 "export after anonymize: exit 0"
is_err "trace-export: 3 entries of run 'victim' written to '$tmp/victim.json'" "export: says what it wrote"
is "$(stat -c %a "$tmp/victim.json")" 600 "the bundle is created 0600"
is "$(jq -c '[.entries[] | [(.payload | type), .erased_by]]' "$tmp/victim.json")" \
	'[["null",4],["null",4],["string",null]]' "the bundle: erased payloads null, with the entry that erased them"
run "$LV" --key "$avkey" "$tmp/victim.json"
is "$rc" 0 "the export still verifies"
is_out "bundle OK: run victim, 3 entries, checkpoint 5 signed by $id; 2 payloads erased" "the export: OK, erased payloads reported"
run "$LV" "$tmp/victim.json"
is "$rc" 1 "the export without --key: exit 1 (a forgotten key does not pass)"
is_out "bundle consistent, NOT verified (no --key): run victim, 3 entries, checkpoint 5 self-asserted by $id; 2 payloads erased" \
	"the export without --key: NOT verified"
like "$err" "*not verified: no trusted key was given, so its checkpoints are only self-asserted; pass --key VERIFIER-KEY (or --self-asserted to accept that)*" \
	"the export without --key: says which option accepts that"
run "$LV" --self-asserted "$tmp/victim.json"
is "$rc" 0 "the export, --self-asserted: exit 0"
run "$LV" --key "$avkey" --json "$tmp/victim.json"
is "$(field "$out" '[.valid, .verified, .type, .run_id, .entries, .erased, .checkpoint.size] | tostring')" \
	'[true,true,"bundle","victim",3,2,5]' "the export, --json"
run "$LADM" anonymize --db "$db" --run nope --reason x --key "$akey"
is "$rc" 2 "anonymize of an unknown run: exit 2"
is_err "ledger-admin: no run 'nope' in the ledger" "anonymize of an unknown run: said so"
run "$LADM" anonymize --db "$db" --run victim
is "$rc" 2 "anonymize without --reason: exit 2"
is_err "ledger-admin: anonymize needs --run and --reason" "anonymize without --reason: said so"
is "$(q "SELECT count(*) FROM entries")" 5 "refused erasures append nothing"

# ---- who may erase: the bound policy's anonymize role ----
me=$(id -un)
adb=$tmp/access.db
"$LA" --db "$adb" --run r-acc --key "$akey" <<<'{"x":"KEEP-UNLESS-ALLOWED"}' >/dev/null
cat >"$tmp/acc-no.yaml" <<YAML
name: acc-no
extends: $tmp/plain.yaml
access:
  roles:
    privacy: {users: [someone-else]}
  actions:
    anonymize: [privacy]
YAML
run "$LADM" anonymize --db "$adb" --run r-acc --reason x -p "$tmp/acc-no.yaml" --key "$akey"
is "$rc:$out" "1:" "anonymize without the role: exit 1, nothing done"
is_err "ledger-admin: refused: $me may not anonymize (access.actions.anonymize: privacy)" \
	"anonymize without the role: said so, with the role it needs"
is "$(q_db "$adb" "SELECT kind || ' ' || run_id || ' ' || actor FROM entries ORDER BY seq DESC LIMIT 1")" \
	"access.refusal access $me" "the refusal is logged, in the run 'access' (which no anonymize erases)"
is "$(q_db "$adb" "SELECT payload FROM entries ORDER BY seq DESC LIMIT 1" | jq -c '[.action, .rule, .unix_user]')" \
	"[\"anonymize\",\"role\",\"$me\"]" "the refusal says what, which rule, who"
is "$(q_db "$adb" "SELECT count(*) FROM entries WHERE payload IS NULL")" 0 "nothing was erased"
run "$LADM" prune --db "$adb" --before 2000-01-01 -p "$tmp/acc-no.yaml" --key "$akey"
is "$rc" 1 "prune without the role: exit 1"
is "$(q_db "$adb" "SELECT kind || ' ' || run_id FROM entries ORDER BY seq DESC LIMIT 1")" \
	"access.refusal access" "a prune refusal is logged too"
run "$LV" --db "$adb" --key "$avkey"
is "$rc" 0 "the refusals verify like any entry"
sed "s/someone-else/$me/" "$tmp/acc-no.yaml" >"$tmp/acc-yes.yaml"
acc_no=$(cat "$tmp/plain.yaml" "$tmp/acc-no.yaml" | sha256sum | cut -c1-12)
acc_yes=$(cat "$tmp/plain.yaml" "$tmp/acc-yes.yaml" | sha256sum | cut -c1-12)
run "$LADM" anonymize --db "$adb" --run r-acc --reason x -p "$tmp/acc-yes.yaml" --key "$akey"
is "$rc:$out" "2:" "a policy of the caller's own that would allow it: refused, exit 2, nothing done"
like "$err" "ledger-admin: this database's queue runs under policy 'acc-no' (sha256 $acc_no..., bound at entry 1, from $tmp/acc-no.yaml); this command was given 'acc-no' (sha256 $acc_yes..., from $tmp/acc-yes.yaml): give the bound policy with -p, or have its admin change it with ledger-admin policy" \
	"the refusal names both policies and how to change the bound one"
run "$LADM" policy --db "$adb"
is "$rc:$out" "0:policy acc-no sha256 $(cat "$tmp/plain.yaml" "$tmp/acc-no.yaml" | sha256sum | cut -d' ' -f1)
file $tmp/acc-no.yaml
bound at entry 1" "ledger-admin policy: shows the bound policy"
run "$LADM" policy --db "$adb" -p "$tmp/acc-yes.yaml" --key "$akey"
is "$rc:$out" "0:policy acc-no sha256 $(cat "$tmp/plain.yaml" "$tmp/acc-yes.yaml" | sha256sum | cut -d' ' -f1) bound in place of acc-no" \
	"ledger-admin policy -p: the bound policy changed (acc-no gives no one the policy action: anyone may)"
is "$(q_db "$adb" "SELECT payload FROM entries WHERE kind = 'policy.bind' ORDER BY seq DESC LIMIT 1" | jq -r '.previous_sha256 == "'"$(cat "$tmp/plain.yaml" "$tmp/acc-no.yaml" | sha256sum | cut -d' ' -f1)"'" and .by == "'"$me"'"')" \
	true "the change is a policy.bind entry naming the policy it replaced and who"
run "$LADM" anonymize --db "$adb" --run r-acc --reason x -p "$tmp/acc-yes.yaml" --key "$akey"
is "$rc:$out" "0:anonymized run 'r-acc': 1 payload erased" "anonymize with the role: done"
cat >"$tmp/acc-admin.yaml" <<YAML
name: acc-admin
extends: $tmp/plain.yaml
access:
  roles:
    admins: {users: [someone-else]}
  actions:
    policy: [admins]
YAML
run "$LADM" policy --db "$adb" -p "$tmp/acc-admin.yaml" --key "$akey"
is "$rc" 0 "a policy that names its admins is bound"
run "$LADM" policy --db "$adb" -p "$tmp/plain.yaml" --key "$akey"
is "$rc" 1 "then only they may change it: exit 1"
is_err "ledger-admin: refused: $me may not policy (access.actions.policy: admins)" "the refusal names the role"

# ---- prune: never inside the retention period ----

limit=$(date -u -d "@$(($(date +%s) - 2196 * 86400))" +%F)
run "$LADM" prune --db "$db" --before "$(date -u +%F)" --key "$akey"
is "$rc" 2 "prune inside the default six years: exit 2"
is_err "ledger-admin: refusing to prune: '$(date -u +%F)' is within the retention period (2196 days); the latest date allowed is $limit" \
	"prune inside the retention period: the exact refusal"
run "$LADM" prune --db "$db" --before 2026-13-01 --key "$akey"
is "$rc" 2 "prune --before a date that is not one: exit 2"
is_err "ledger-admin: --before '2026-13-01' is not a date (YYYY-MM-DD)" "prune: not a date"
run "$LADM" prune --db "$db"
is_err "ledger-admin: prune needs --before" "prune without --before"
printf 'name: short\nversion: 1\nledger:\n  retention: 1d\n' >"$tmp/r1.yaml"
today=$(date -u +%F)
run "$LADM" prune --db "$db" -p "$tmp/r1.yaml" --before 2000-01-01 --key "$akey"
is "$rc:$out" "2:" "a shorter retention the caller names is not the bound policy's: refused, exit 2"
like "$err" "ledger-admin: this database's queue runs under policy 'plain'*this command was given 'short'*" \
	"the refusal names the bound policy and the one given"
r1db=$tmp/r1.db
"$LA" --db "$r1db" --run kept --key "$akey" <<<'{"x":1}' >/dev/null
run "$LADM" prune --db "$r1db" -p "$tmp/r1.yaml" --before "$today" --key "$akey"
is "$rc" 2 "retention 1d: --before today refused"
is_err "ledger-admin: refusing to prune: '$today' is within the retention period (1 days); the latest date allowed is $(date -u -d yesterday +%F)" \
	"retention 1d: the refusal names the latest date allowed"
is "$(q_db "$r1db" "SELECT group_concat(kind, ' ') FROM entries")" "record policy.bind" \
	"a refused prune appends nothing but the policy it bound"
run "$LADM" prune --db "$r1db" -p "$tmp/r1.yaml" --before 2000-01-01 --key "$akey" --actor keeper
is "$rc" 0 "retention 1d: --before an old date: exit 0"
is_out "pruned: 0 payloads before 2000-01-01 erased" "retention 1d: nothing that old, nothing erased"
is "$(q_db "$r1db" "SELECT run_id, run_seq, actor, kind, json_extract(payload, '$.prune') FROM entries WHERE seq = 2")" \
	'phikit:retention|0|keeper|prune|{"before":"2000-01-01T00:00:00.000000Z","erased":0,"retention_days":1}' \
	"prune appends a prune entry to run phikit:retention"
run "$LADM" prune --db "$r1db" -p "$tmp/r1.yaml" --before "$(date -u -d yesterday +%F)" --key "$akey"
is "$rc:$out" "0:pruned: 0 payloads before $(date -u -d yesterday +%F) erased" \
	"retention 1d: --before yesterday is allowed; today's entries stay"
is "$(q_db "$r1db" "SELECT count(payload) FROM entries")" 4 "no payload erased"
run "$LV" --db "$r1db" --key "$avkey"
is "$rc:$out" "0:ledger OK: 4 entries, 3 runs, checkpoint 4 signed by $id" "after prune: still OK"

done_testing
