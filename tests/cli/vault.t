#!/bin/bash
# The vault: phi-scrub --vault keeps the originals encrypted, phi-restore
# puts them back into answers for the users the policy allows, and
# ledger-admin anonymize/prune --vault shred a run's key. The round trip,
# who may, what never lands anywhere but phi-restore's output, erasure,
# and the faults: key files, a tampered vault, bad input.
. "$(dirname "$0")/lib.sh"
ledger_init
cd "$tmp" || exit 1

PR=$bin/phi-restore
me=$(id -un)
db=$tmp/l.db
v=$tmp/v.db
q() { sqlite3 "$db" "$@"; }
# a fixed scrubbing key: the tokens are the same every run, so the one the
# altered-token test changes the case of has letters in it (a random key
# gave one of digits only about once in sixteen runs)
printf 'vault.t scrubbing key, 32 bytes.' >"$tmp/sk"
head -c 32 /dev/urandom >"$tmp/vk"
head -c 32 /dev/urandom >"$tmp/vk2"
chmod 600 "$tmp/sk" "$tmp/vk" "$tmp/vk2"
vscrub() { run "$PHI_SCRUB" -p "$POLICY" -m pseudonym -k "$tmp/sk" "$@"; }
printf 'extends: %s\naccess:\n  roles:\n    clinicians: {users: [%s]}\n  actions:\n    reidentify: [clinicians]\n' \
	"$POLICY" "$me" >"$tmp/ok.yaml"
printf 'extends: %s\naccess:\n  roles:\n    clinicians: {users: [no-such-user-x]}\n  actions:\n    reidentify: [clinicians]\n' \
	"$POLICY" >"$tmp/no.yaml"
printf 'extends: %s\n' "$POLICY" >"$tmp/none.yaml"
restore() { run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$v" --vault-key "$tmp/vk" "$@"; }
# an answer quoting each record's scrubbed text, and the text alone
answers() { jq -c '{run_id, choices: [{message: {role: "assistant", content: ("Summary: " + .text)}}]}' "$@"; }

# ---- the round trip ----

cat >"$tmp/in" <<'EOF'
{"run_id":"r1","text":"Patient Ingrid Hartvigsson, SSN 219-09-9999, phone 617-555-0147."}
{"run_id":"r1","text":"Hartvigsson called back from 617-555-0147; email ingrid.h@example.org."}
{"run_id":"r2","text":"Mr. Bartholomew Quennell-Ashby, MRN 4471923, seen 03/14/2021."}
EOF
vscrub --vault "$v" --vault-key "$tmp/vk" "$tmp/in"
is "$rc:$err" "0:" "phi-scrub --vault: exit 0, nothing on stderr"
cp "$tmp/out" "$tmp/scrubbed"
is "$(stat -c %a "$v")" 600 "the vault is created mode 0600"
like "$(jq -r .text "$tmp/scrubbed" | tr '\n' ' ')" '*\[NAME-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]\]*\[SSN-*\[PHONE-*' \
	"the records carry pseudonym tokens"
is "$(sqlite3 "$v" "SELECT run_id, count(*) FROM vault_values GROUP BY run_id")" "r1|5
r2|3" "one row per distinct token of each run (a value seen twice is stored once)"
is "$(sqlite3 "$v" "SELECT count(*) FROM vault_runs WHERE length(wrapped) = 72")" 2 \
	"one wrapped data key per run (nonce, key, tag: 72 bytes)"

answers "$tmp/scrubbed" >"$tmp/ans"
restore "$tmp/ans"
is "$rc" 0 "phi-restore: exit 0"
jq -r '.choices[0].message.content' "$tmp/out" >"$tmp/got"
jq -r '"Summary: " + .text' "$tmp/in" >"$tmp/orig"
ok "$(cmp -s "$tmp/got" "$tmp/orig"; echo $?)" "the round trip: the answers come back with the originals, exactly"
is "$(jq -c .phikit.restore "$tmp/out" | tr '\n' ' ')" \
	'{"restored":3,"altered":0,"not_found":0,"ambiguous":0,"erased":0} {"restored":3,"altered":0,"not_found":0,"ambiguous":0,"erased":0} {"restored":3,"altered":0,"not_found":0,"ambiguous":0,"erased":0} ' \
	"phikit.restore counts each record's tokens"
is "$(jq -c 'del(.phikit) | del(.choices)' "$tmp/out" | tr '\n' ' ')" '{"run_id":"r1"} {"run_id":"r1"} {"run_id":"r2"} ' \
	"every other member is passed through"
is "$(q "SELECT run_id, actor, kind, json_extract(payload, '$.records'), json_extract(payload, '$.restored'), json_extract(payload, '$.unix_user') FROM entries ORDER BY seq")" \
	"r1|$me|vault.restore|2|6|$me
r2|$me|vault.restore|1|3|$me" "one vault.restore entry per run: who, which run, how many values"
run "$LV" --db "$db" --self-asserted
is "$rc" 0 "ledger-verify accepts the vault.restore entries"

# tokens a model altered
tok=$(jq -r .text "$tmp/scrubbed" | head -1 | grep -o '\[NAME-[0-9a-f]*\]' | head -1)
like "$tok" '\[NAME-*[a-f]*\]' "the token whose case is changed has a letter in its hash"
low=$(printf '%s' "$tok" | tr -d '[]' | tr 'A-Z' 'a-z')
up=$(printf '%s' "$tok" | tr 'a-z' 'A-Z')
printf '{"run_id":"r1","choices":[{"message":{"content":"%s, %s, %s and [NAME-000000]."}}]}\n' \
	"$tok" "$low" "$up" >"$tmp/alt"
restore "$tmp/alt"
is "$(jq -r '.choices[0].message.content' "$tmp/out")" "Ingrid Hartvigsson, Ingrid Hartvigsson, Ingrid Hartvigsson and [NAME-000000]." \
	"tokens with brackets dropped or case changed are restored; an unknown one stays"
is "$(jq -c .phikit.restore "$tmp/out")" '{"restored":3,"altered":2,"not_found":1,"ambiguous":0,"erased":0}' \
	"altered and not_found are counted"

# -f: only the fields named
printf '{"run_id":"r1","text":"%s","note":"%s"}\n' "$tok" "$tok" >"$tmp/f"
restore -f .note "$tmp/f"
is "$(jq -r '.text + " | " + .note' "$tmp/out")" "$tok | Ingrid Hartvigsson" "-f: only the fields named are restored"
restore "$tmp/f"
is "$(jq -r '.note' "$tmp/out")" "$tok" "by default only the answer fields (and a record's text)"

# ---- none of the originals anywhere but phi-restore's output ----

run "$LA" --db "$db" --run r1 "$tmp/scrubbed"
cp "$tmp/out" "$tmp/logged"
run "$GUARD_CHECK" -p "$POLICY" "$tmp/scrubbed"
cp "$tmp/out" "$tmp/guarded"
leaks=0
for f in "$v" "$db" "$tmp/scrubbed" "$tmp/ans" "$tmp/logged" "$tmp/guarded" $(ls "$tmp"/*.db-* 2>/dev/null); do
	for s in Hartvigsson Ingrid 219-09-9999 617-555-0147 ingrid.h@example.org Bartholomew Quennell 4471923 03/14/2021; do
		grep -aqF "$s" "$f" && { leaks=$((leaks + 1)); echo "# $s in $f"; }
	done
done
is "$leaks" 0 "no original value in the vault file, the ledger database, or any output but phi-restore's"

# ---- who may ----

run "$PR" -p "$tmp/no.yaml" --db "$tmp/l-no.db" --vault "$v" --vault-key "$tmp/vk" "$tmp/ans"
is "$rc:$out" "1:" "a user without the reidentify role: exit 1, nothing restored"
is_err "phi-restore: refused: $me may not reidentify (access.actions.reidentify: clinicians)" "the refusal says why"
is "$(sqlite3 "$tmp/l-no.db" "SELECT run_id, kind, json_extract(payload, '$.action'), json_extract(payload, '$.rule'), json_extract(payload, '$.unix_user') FROM entries")" \
	"access|access.refusal|reidentify|role|$me" "the refusal is in the ledger"
run "$PR" -p "$tmp/none.yaml" --db "$tmp/l-none.db" --vault "$v" --vault-key "$tmp/vk" "$tmp/ans"
is "$rc:$out" "1:" "a policy that names no reidentify role allows no one"
is_err "phi-restore: refused: $me may not reidentify (the policy names no role in access.actions.reidentify, so no one may)" \
	"that refusal says why"
is "$(sqlite3 "$tmp/l-none.db" "SELECT kind, json_extract(payload, '$.rule') FROM entries")" "access.refusal|no-role" \
	"and is logged"

# ---- a restored record holds PHI again ----

restore "$tmp/ans"
head -1 "$tmp/out" >"$tmp/restored"
printf 'extends: %s\nledger:\n  require_scrubbed: true\n' "$POLICY" >"$tmp/req.yaml"
run "$LA" -p "$tmp/req.yaml" --db "$tmp/l-req.db" "$tmp/restored"
is "$rc:$out" "3:" "ledger-append under require_scrubbed refuses a record with phikit.restore"
is_err "ledger-append: error (at $tmp/restored:1): record carries phikit.restore: phi-restore put its original values back, so it holds PHI again and is not logged as scrubbed" \
	"and says why"
run "$GUARD_CHECK" -p "$POLICY" "$tmp/restored"
is "$(jq -c '.phikit.guard.violations[] | select(.rule == "reidentified")' "$tmp/out")" \
	'{"rule":"reidentified","kind":"phi","citation":"45 CFR 164.514(c)","severity":"deny","reason":"phi-restore put the original values back (phikit.restore)"}' \
	"guard-check reports a restored record as a violation"
is "$(jq -r .phikit.guard.verdict "$tmp/out")" deny "its verdict is deny"

# ---- erasure: anonymize --run shreds the run's key ----

newkey adm
run "$LADM" anonymize --db "$db" -p "$tmp/ok.yaml" --run r1 --reason "patient request" --key "$tmp/adm.key" --vault "$v"
is "$rc" 0 "anonymize --vault: exit 0"
like "$out" "anonymized run 'r1': * payloads erased
vault $v: 1 run key destroyed" "it says the run's key was destroyed"
is "$(sqlite3 "$v" "SELECT run_id, wrapped IS NULL, why FROM vault_runs ORDER BY run_id")" "r1|1|anonymize
r2|0|" "the run's wrapped key is gone, a tombstone says why; the other run is untouched"
is "$(sqlite3 "$v" "SELECT count(*) FROM vault_values WHERE run_id = 'r1'")" 0 "its sealed values are deleted too"
restore "$tmp/ans"
is "$rc" 0 "restoring after anonymize: exit 0"
is "$(jq -r '.choices[0].message.content' "$tmp/out" | head -2)" "$(jq -r '.choices[0].message.content' "$tmp/ans" | head -2)" \
	"the erased run's tokens stay tokens"
like "$(jq -c .phikit.restore "$tmp/out" | head -1)" '{"restored":0,"altered":0,"not_found":0,"ambiguous":0,"erased":3,"why":"run erased from the vault (20*anonymize): its values are gone"}' \
	"phikit.restore says they were erased, and when and how"
is "$(jq -r '.choices[0].message.content' "$tmp/out" | tail -1)" "$(sed -n 3p "$tmp/orig")" "the other run still restores"
like "$err" "phi-restore: run 'r1' was erased from the vault (20*Z anonymize): 6 tokens not restored" \
	"stderr says why nothing of the run was restored"
run "$LV" --db "$db" --self-asserted
is "$rc" 0 "the ledger still verifies after the erasure"
vscrub --vault "$v" --vault-key "$tmp/vk" "$tmp/in"
is "$rc" 3 "phi-scrub refuses to store values again under an erased run"
is_err "phi-scrub: error (at $tmp/in:1): run 'r1' was erased from the vault (${err#*vault (}" "and says so"
like "$err" "*run 'r1' was erased from the vault (20*anonymize): its values are not stored again" "naming the erasure"

# prune --vault: every run the vault made before the date
printf 'extends: %s\nledger:\n  retention: 1d\n' "$tmp/ok.yaml" >"$tmp/short.yaml"
sqlite3 "$v" "UPDATE vault_runs SET created = '2020-01-01T00:00:00Z' WHERE run_id = 'r2'"
printf '{"n":1}\n' | "$LA" --db "$tmp/l-prune.db" >/dev/null
run "$LADM" prune --db "$tmp/l-prune.db" -p "$tmp/short.yaml" --before 2021-01-01 --key "$tmp/adm.key" --vault "$v"
is "$rc" 0 "prune --vault: exit 0"
is "$(printf '%s\n' "$out" | tail -1)" "vault $v: 1 run key destroyed" "the runs made before the date lose their keys"
is "$(sqlite3 "$v" "SELECT count(*) FROM vault_runs WHERE wrapped IS NOT NULL")" 0 "no key is left"
run "$LADM" anonymize --db "$db" -p "$tmp/ok.yaml" --run r1 --reason x --key "$tmp/adm.key" --vault "$tmp/missing.db"
is "$rc" 2 "anonymize with a vault that is not there: exit 2"
is "$(q "SELECT count(*) FROM entries WHERE kind = 'anonymize'")" 1 "and the ledger is not touched"

# ---- key files ----

v2=$tmp/v2.db
vscrub --vault "$v2" --vault-key "$tmp/vk" "$tmp/in"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$v2" --vault-key "$tmp/missing" "$tmp/ans"
is "$rc:$out" "2:" "a missing vault key file: exit 2"
is_err "phi-restore: vault key file '$tmp/missing': No such file or directory" "it says which"
chmod 644 "$tmp/vk2"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$v2" --vault-key "$tmp/vk2" "$tmp/ans"
is "$rc" 2 "a vault key file others can read: exit 2"
is_err "phi-restore: vault key file '$tmp/vk2' is readable by others (mode 0644); chmod 600 it" "it says chmod 600"
vscrub --vault "$v2" --vault-key "$tmp/vk2" "$tmp/in"
is "$rc:$out" "2:" "phi-scrub refuses it too, before writing a record"
chmod 600 "$tmp/vk2"
printf 'short' >"$tmp/vk3"
chmod 600 "$tmp/vk3"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$v2" --vault-key "$tmp/vk3" "$tmp/ans"
is "$rc" 2 "a vault key file too short to be a key: exit 2"
is_err "phi-restore: vault key file '$tmp/vk3' holds 5 bytes; it needs at least 16 of secret" "it says so"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$v2" --vault-key "$tmp/vk2" "$tmp/ans"
is "$rc:$out" "2:" "another key than the vault's: exit 2, nothing restored"
is_err "phi-restore: vault '$v2' was made with another vault key (--vault-key, PHIKIT_VAULT_KEY_FILE)" "it says so"
vscrub --vault "$v2" --vault-key "$tmp/vk2" "$tmp/in"
is "$rc:$out" "2:" "phi-scrub will not add values under another key"
PHIKIT_VAULT_KEY_FILE=$tmp/vk run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$v2" "$tmp/ans"
is "$rc" 0 "PHIKIT_VAULT_KEY_FILE names the key file"
is "$(jq -r '.choices[0].message.content' "$tmp/out" | tail -1)" "$(sed -n 3p "$tmp/orig")" "and it restores"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$v2" "$tmp/ans"
is "$rc" 2 "no vault key at all: exit 2"
is_err "phi-restore: the vault key is required: --vault-key FILE or PHIKIT_VAULT_KEY_FILE" "it says how to give one"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault-key "$tmp/vk" "$tmp/ans"
is "$rc" 2 "no --vault: exit 2"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$tmp/nothere.db" --vault-key "$tmp/vk" "$tmp/ans"
is "$rc" 2 "a vault that does not exist: exit 2"
scrub -m tag --vault "$v2" --vault-key "$tmp/vk" "$tmp/in"
is "$rc:$out" "2:" "--vault without pseudonyms: exit 2"
is_err "phi-scrub: --vault keeps the values pseudonyms replace: it needs -m pseudonym" "it says why"
vscrub --vault "$v2" "$tmp/in"
is "$rc" 2 "--vault without a vault key: exit 2"
is_err "phi-scrub: --vault needs the vault key: --vault-key FILE or PHIKIT_VAULT_KEY_FILE" "it says how to give one"

# ---- a tampered vault fails closed ----

cp "$v2" "$tmp/t.db"
sqlite3 "$tmp/t.db" "UPDATE vault_values SET sealed = substr(sealed, 1, 30) || x'00' || substr(sealed, 32) WHERE run_id = 'r2' AND token LIKE '[NAME-%'"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$tmp/t.db" --vault-key "$tmp/vk" "$tmp/ans"
is "$rc" 4 "a changed sealed value: exit 4"
is_err "phi-restore: error (at $tmp/ans:3): vault: a sealed value of run 'r2' does not authenticate (the vault was altered, or a row was moved): nothing is trusted" \
	"it says the vault was altered"
is "$(wc -l <"$tmp/out")" 2 "the records before are written, that one and none after"
cp "$v2" "$tmp/t.db"
sqlite3 "$tmp/t.db" "UPDATE vault_values SET sealed = (SELECT sealed FROM vault_values WHERE run_id = 'r2' AND token LIKE '[DATE-%') WHERE run_id = 'r2' AND token LIKE '[NAME-%'"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$tmp/t.db" --vault-key "$tmp/vk" "$tmp/ans"
is "$rc" 4 "a sealed value moved to another token does not authenticate: exit 4"
cp "$v2" "$tmp/t.db"
sqlite3 "$tmp/t.db" "UPDATE vault_runs SET wrapped = (SELECT wrapped FROM vault_runs WHERE run_id = 'r1') WHERE run_id = 'r2'"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$tmp/t.db" --vault-key "$tmp/vk" "$tmp/ans"
is "$rc" 4 "one run's wrapped key under another run: exit 4"
is_err "phi-restore: error (at $tmp/ans:3): vault: the data key of run 'r2' does not authenticate (the vault was altered): nothing of it is trusted" \
	"it says the run's key does not authenticate"
printf 'not a database at all, not at all' >"$tmp/junk.db"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$tmp/junk.db" --vault-key "$tmp/vk" "$tmp/ans"
isnt "$rc" 0 "a file that is not a vault: refused"
sqlite3 "$tmp/empty.db" "CREATE TABLE t (x)"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$tmp/empty.db" --vault-key "$tmp/vk" "$tmp/ans"
is "$rc" 2 "a database that is not a vault: exit 2"

# ---- bad input ----

v=$v2

good=$(tail -1 "$tmp/ans")
printf '%s\n%s\n%s\n' "$good" '{"choices":[{"message":{"content":"[NAME-abcdef]"}}]}' "$good" >"$tmp/norun"
restore "$tmp/norun"
is "$rc" 3 "phi-restore: a record without run_id: exit 3"
is_err "phi-restore: error (at $tmp/norun:2): record has no run_id: its tokens are looked up under the run phi-scrub kept them in" \
	"the message names the line"
is "$(wc -l <"$tmp/out")" 1 "the line before is written, nothing after"
printf '%s\n%s\n%s\n' "$good" '{"run_id":"r2","text":' "$good" >"$tmp/badjson"
restore --on-error=skip "$tmp/badjson"
is "$rc:$(wc -l <"$tmp/out")" "3:2" "malformed JSON with --on-error=skip: exit 3, the others written"
like "$err" "phi-restore: error (at $tmp/badjson:2): *" "the message names the line"
printf '%s\n' '{"run_id":"bad id","text":"x"}' >"$tmp/badrun"
restore "$tmp/badrun"
is "$rc" 3 "a run_id that is not an identifier: exit 3"
printf '%s\n' '{"text":"Ingrid Hartvigsson"}' >"$tmp/norun2"
vscrub --vault "$v2" --vault-key "$tmp/vk" "$tmp/norun2"
is "$rc:$out" "3:" "phi-scrub --vault: a record without run_id: exit 3"
is_err "phi-scrub: error (at $tmp/norun2:1): record has no run_id: with --vault every record needs one, the run its values are kept under" \
	"the message names the line, and no value"

# ---- a token two values share is ambiguous ----

for i in $(seq 1 20000); do printf '{"run_id":"amb","text":"mail u%d@mail.example.org"}\n' "$i"; done >"$tmp/many"
head -c 32 /dev/zero | tr '\0' 'k' >"$tmp/fixed"
chmod 600 "$tmp/fixed"
run "$PHI_SCRUB" -p "$POLICY" -m pseudonym -k "$tmp/fixed" --vault "$tmp/amb.db" --vault-key "$tmp/vk" "$tmp/many"
is "$rc" 0 "20000 values into one run"
dup=$(jq -r .text "$tmp/out" | sort | uniq -d | head -1 | sed 's/^mail //')
isnt "$dup" "" "two of them share a token (24 bits)"
is "$(sqlite3 "$tmp/amb.db" "SELECT ambiguous FROM vault_values WHERE token = '$dup'")" 1 "the vault marks it ambiguous"
printf '{"run_id":"amb","text":"write to %s"}\n' "$dup" >"$tmp/ambq"
run "$PR" -p "$tmp/ok.yaml" --db "$db" --vault "$tmp/amb.db" --vault-key "$tmp/vk" "$tmp/ambq"
is "$(jq -r .text "$tmp/out")" "write to $dup" "an ambiguous token is left as it is"
is "$(jq -c .phikit.restore "$tmp/out")" '{"restored":0,"altered":0,"not_found":0,"ambiguous":1,"erased":0}' "and counted"

# ---- a record is passed on only once its values are committed ----

# interactive: each record comes out while phi-scrub still runs, and by
# then another connection (a phi-restore downstream) finds its token
rm -f "$tmp/live.db"*
is "$(python3 - "$PHI_SCRUB" "$POLICY" "$tmp/sk" "$tmp/live.db" "$tmp/vk" <<'EOF'
import json, re, sqlite3, subprocess, sys
scrub, pol, sk, db, vk = sys.argv[1:]
p = subprocess.Popen([scrub, "-p", pol, "-m", "pseudonym", "-k", sk, "--vault", db,
    "--vault-key", vk], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
seen = []
for i, name in enumerate(["Ingrid Hartvigsson", "Bartholomew Quennell-Ashby", "Marisol Quintero"]):
    p.stdin.write(json.dumps({"run_id": "live", "text": "Patient %s, MRN %07d." % (name, 4471923 + i)}).encode() + b"\n")
    p.stdin.flush()
    out = json.loads(p.stdout.readline())
    toks = re.findall(r"\[[A-Z]+-[0-9a-f]{6}\]", out["text"])
    c = sqlite3.connect(db)
    have = {t for (t,) in c.execute("SELECT token FROM vault_values WHERE run_id = 'live'")}
    c.close()
    seen.append("%d/%d" % (len([t for t in toks if t in have]), len(toks)))
p.stdin.close()
seen.append(str(p.wait()))
print(" ".join(seen))
EOF
)" "2/2 2/2 2/2 0" "each record is written only once its values are committed: another connection finds them while phi-scrub still runs"

# the vault's disk fills mid-stream: exit 4, and every record that was
# passed on has its values in the vault (none after the failure)
for i in $(seq 1 6000); do printf '{"run_id":"full-%d","text":"mail p%d.q%d@mail.example.org, MRN %07d"}\n' $((i / 500)) "$i" "$i" "$i"; done >"$tmp/fill"
rm -f "$tmp/full.db"*
(
	ulimit -f 600
	trap '' XFSZ
	"$PHI_SCRUB" -p "$POLICY" -m pseudonym -k "$tmp/sk" --vault "$tmp/full.db" --vault-key "$tmp/vk" \
		"$tmp/fill" 2>"$tmp/full.err"
	echo $? >"$tmp/full.rc"
) 2>/dev/null | cat >"$tmp/full.out"
is "$(cat "$tmp/full.rc")" 4 "a vault that fills mid-stream: exit 4"
like "$(cat "$tmp/full.err")" "phi-scrub: error (at $tmp/fill:*): vault: *" "the record it stopped at is named, with the vault's error"
is "$(wc -l <"$tmp/full.err" | tr -d ' ')" 1 "said once"
n_out=$(wc -l <"$tmp/full.out" | tr -d ' ')
ok "$([ "$n_out" -gt 0 ] && [ "$n_out" -lt 6000 ]; echo $?)" "the records before it were passed on ($n_out), not the rest"
jq -r '.run_id as $r | .text | scan("\\[[A-Z]+-[0-9a-f]{6}\\]") | $r + "|" + .' "$tmp/full.out" | sort -u >"$tmp/full.want"
sqlite3 "$tmp/full.db" "SELECT run_id || '|' || token FROM vault_values" | sort -u >"$tmp/full.have"
is "$(comm -23 "$tmp/full.want" "$tmp/full.have" | wc -l | tr -d ' ')" 0 \
	"every token of every record passed on is in the vault ($(wc -l <"$tmp/full.want" | tr -d ' ') tokens)"

done_testing
