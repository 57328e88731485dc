#!/bin/bash
# What ledger-verify catches that the triggers cannot stop: each kind of
# tampering, done with sqlite3 (the relevant trigger dropped first) or an
# editor on an exported bundle, must give exit 1 and the exact first failure.
. "$(dirname "$0")/lib.sh"
ledger_init
cd "$tmp" || exit 1

newkey audit
avkey=$vkey
akey=$tmp/audit.key
aid=$(echo "$avkey" | cut -d+ -f1,2)
newkey other
ovkey=$vkey
okey=$tmp/other.key
oid=$(echo "$ovkey" | cut -d+ -f1,2)

# The ledger tampered with below: runs A and B interleaved, a signed
# checkpoint per batch of 3 (sizes 3, 6, 7), the notes saved in ck.txt.
#   seq 0 A0, 1 B0, 2 A1, 3 A2, 4 B1, 5 A3, 6 B2
base=$tmp/base.db
for r in A B A A B A B; do echo "{\"run_id\":\"$r\",\"note\":\"record of $r\"}"; done >"$tmp/in"
"$LA" --db "$base" --key "$akey" --checkpoint-out "$tmp/ck.txt" --batch 3 "$tmp/in" >/dev/null
run "$LV" --db "$base" --key "$avkey" --since "$tmp/ck.txt"
is "$rc:$out" "0:ledger OK: 7 entries, 2 runs, checkpoint 7 signed by $aid; extends the saved checkpoint 7" \
	"the untouched ledger verifies"
ok "$([ ! -s "$base-wal" ]; echo $?)" "(no WAL left beside it with anything in it: copies of the file are whole)"

db=$tmp/t.db
fresh() { rm -f "$db" "$db-wal" "$db-shm"; cp "$base" "$db"; }
q() { sqlite3 "$db" "$@"; }

# tampered NAME WANT [VERIFY-ARGS...]: ledger-verify on $db gives exit 1 and WANT
tampered() {
	local name=$1 want=$2
	shift 2
	run "$LV" --db "$db" "$@"
	is "$rc" 1 "$name: exit 1"
	is_out "ledger INVALID: $want" "$name: the first failure, exactly"
}

# ---- the database ----

fresh
q "DROP TRIGGER entries_no_update; UPDATE entries SET payload = '{\"run_id\":\"A\",\"note\":\"forged\"}' WHERE seq = 2"
tampered "an edited payload" "entry 2: its payload does not match payload_sha256 (the payload was edited)" --key "$avkey"
tampered "an edited payload, no key" "entry 2: its payload does not match payload_sha256 (the payload was edited)"
run "$LV" --db "$db" --key "$avkey" --json
is "$(field "$out" '[.valid, .verified, .error.seq, .error.message] | tostring')" \
	'[false,false,2,"entry 2: its payload does not match payload_sha256 (the payload was edited)"]' \
	"an edited payload, --json: the entry's seq and the message"

fresh
q "DROP TRIGGER entries_no_update; UPDATE entries SET payload = '{\"run_id\":\"A\",\"note\":\"forged\"}',
   payload_sha256 = '$(printf '%s' '{"run_id":"A","note":"forged"}' | sha256sum | cut -d' ' -f1)' WHERE seq = 2"
tampered "an edited payload with its payload_sha256 recomputed" \
	"entry 2: its fields do not hash to its leaf hash (an entry field was edited)" --key "$avkey"

fresh
q "DROP TRIGGER entries_no_update; UPDATE entries SET actor = 'mallory' WHERE seq = 3"
tampered "an edited entry field (actor)" "entry 3: its fields do not hash to its leaf hash (an entry field was edited)" --key "$avkey"

fresh
q "DROP TRIGGER entries_no_update; UPDATE entries SET ts = '2020-01-01T00:00:00.000000Z' WHERE seq = 0"
tampered "an edited entry field (ts)" "entry 0: its fields do not hash to its leaf hash (an entry field was edited)" --key "$avkey"

fresh
q "DROP TRIGGER entries_no_update; UPDATE entries SET ts = 'yesterday' WHERE seq = 4"
tampered "a malformed entry field" "entry 4: field 'ts' is malformed" --key "$avkey"

# an edited field with its leaf hash recomputed: the stored tree nodes above it differ
fresh
e=$(entry_json "$db" 5 | jq -cS '.actor = "mallory"')
q "DROP TRIGGER entries_no_update; UPDATE entries SET actor = 'mallory', leaf_hash = X'$(leafhash "$e")' WHERE seq = 5"
tampered "an edited entry, leaf hash recomputed" \
	"entry 5: the tree nodes stored with it are not the tree's (proofs from this ledger would fail)" --key "$avkey"

fresh
q "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE seq = 3"
tampered "a deleted entry in the middle" "entry 3 is missing (the next entry is 4): deleted or renumbered" --key "$avkey"
run "$LV" --db "$db" --key "$avkey" --json
is "$(field "$out" .error.seq)" 3 "a deleted entry, --json: its seq"

fresh
q "DROP TRIGGER entries_no_delete; DROP TRIGGER entries_no_update;
   DELETE FROM entries WHERE seq = 3; UPDATE entries SET seq = seq - 1 WHERE seq > 3"
tampered "a deleted entry, the rest renumbered" "entry 3: its fields do not hash to its leaf hash (an entry field was edited)" --key "$avkey"

# reordered: rows 3 (A2) and 4 (B1) swap everything but seq
fresh
q "DROP TRIGGER entries_no_update; DROP INDEX entries_run;
   CREATE TEMP TABLE t AS SELECT * FROM entries WHERE seq IN (3, 4);
   UPDATE entries SET (run_id, run_seq, run_prev, ts, actor, kind, payload_sha256, leaf_hash, nodes, payload) =
     (SELECT run_id, run_seq, run_prev, ts, actor, kind, payload_sha256, leaf_hash, nodes, payload
      FROM t WHERE t.seq = 7 - entries.seq) WHERE seq IN (3, 4)"
is "$(q "SELECT group_concat(run_id || run_seq, ' ') FROM (SELECT run_id, run_seq FROM entries ORDER BY seq)")" \
	"A0 B0 A1 B1 A2 A3 B2" "(reordered: B1 now before A2)"
tampered "reordered entries" "entry 3: its fields do not hash to its leaf hash (an entry field was edited)" --key "$avkey"

# reordered payloads only
fresh
q "DROP TRIGGER entries_no_update;
   CREATE TEMP TABLE t AS SELECT seq, payload FROM entries WHERE seq IN (3, 4);
   UPDATE entries SET payload = (SELECT payload FROM t WHERE t.seq = 7 - entries.seq) WHERE seq IN (3, 4)"
tampered "two payloads swapped" "entry 3: its payload does not match payload_sha256 (the payload was edited)" --key "$avkey"

# a truncated tail
fresh
q "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE seq >= 5"
tampered "a truncated tail" "checkpoint 6 covers more than the 5 entries the ledger holds (its tail was truncated)" --key "$avkey"
tampered "a truncated tail, no key" "checkpoint 6 covers more than the 5 entries the ledger holds (its tail was truncated)"
run "$LV" --db "$db" --key "$avkey" --json
is "$(field "$out" .error.seq)" 5 "a truncated tail, --json: the first entry missing"
# ... and its checkpoints with it: only a checkpoint saved elsewhere shows it
q "DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints WHERE size > 5"
run "$LV" --db "$db" --key "$avkey"
is "$rc:$out" "0:ledger OK: 5 entries, 2 runs, checkpoint 3 signed by $aid; 2 entries after it not yet signed" \
	"tail and checkpoints truncated: the database alone looks fine"
tampered "a truncated tail, against the saved checkpoint" \
	"the saved checkpoint covers 7 entries but the ledger holds 5 (rolled back or truncated)" --key "$avkey" --since "$tmp/ck.txt"

# stored tree nodes (seq 3 completes the subtrees of 2 and 4 leaves)
fresh
q "DROP TRIGGER entries_no_update; UPDATE entries SET nodes = (SELECT nodes FROM entries WHERE seq = 1) || zeroblob(32) WHERE seq = 3"
tampered "stored tree nodes edited" "entry 3: the tree nodes stored with it are not the tree's (proofs from this ledger would fail)" --key "$avkey"
fresh
q "DROP TRIGGER entries_no_update; UPDATE entries SET nodes = NULL WHERE seq = 1"
tampered "stored tree nodes removed" "entry 1: the tree nodes stored with it are not the tree's (proofs from this ledger would fail)" --key "$avkey"

# erasure
fresh
q "DROP TRIGGER entries_no_update; UPDATE entries SET payload = NULL WHERE seq = 2"
tampered "an erased payload without an erasure" "entry 2: its payload is gone with no anonymize or prune entry that erased it" --key "$avkey"
fresh
q "INSERT INTO erasures(seq, by_seq) VALUES (2, 4); UPDATE entries SET payload = NULL WHERE seq = 2"
is "$(q "SELECT quote(payload) FROM entries WHERE seq = 2")" NULL "(an erasure row lets the trigger erase a payload)"
tampered "an erasure backed by an ordinary entry" \
	"entry 4 is no anonymize or prune entry, yet payloads are marked erased by it" --key "$avkey"
# an erasure by someone without the ledger's key: their own key signs its authorization
fresh
"$LADM" anonymize --db "$db" --run A --reason "not allowed" --key "$okey" >/dev/null 2>&1
tampered "an anonymize signed with another key than the ledger's" \
	"checkpoint 8 (size 8) is not signed by the given key; it is signed by $oid" --key "$avkey"
q "DELETE FROM checkpoints WHERE size > 7" 2>/dev/null ||
	q "DROP TRIGGER checkpoints_no_delete; DELETE FROM checkpoints WHERE size > 7"
seq_anon=$(q "SELECT seq FROM entries WHERE kind = 'anonymize'")
tampered "... and its checkpoint removed: the erasure itself is not the ledger key's" \
	"erasure entry $seq_anon: its authorization is not signed by the given key" --key "$avkey"
# a legitimate erasure stretched over what it did not cover
fresh
"$LADM" anonymize --db "$db" --run A --reason incident --key "$akey" >/dev/null 2>&1
seq_anon=$(q "SELECT seq FROM entries WHERE kind = 'anonymize'")
run "$LV" --db "$db" --key "$avkey"
is "$rc" 0 "a signed anonymize verifies"
q "INSERT INTO erasures(seq, by_seq) VALUES (1, $seq_anon); UPDATE entries SET payload = NULL WHERE seq = 1"
tampered "an entry of another run erased under run A's erasure" \
	"entry 1: its erasure is outside what entry $seq_anon was authorized to erase" --key "$avkey"
fresh
"$LADM" anonymize --db "$db" --run A --reason incident --key "$akey" >/dev/null 2>&1
q "DROP TRIGGER entries_no_update; UPDATE entries SET payload = json_set(payload, '$.anonymize.erased', 9) WHERE kind = 'anonymize'"
tampered "the erasure's count edited" \
	"entry $seq_anon: its payload does not match payload_sha256 (the payload was edited)" --key "$avkey"
run "$LA" --db "$db" --kind anonymize --actor privacy-officer <<<'{"anonymize":{"erased":1}}'
is "$rc:$out" "2:" "ledger-append will not write an anonymize entry"
is_err "ledger-append: --kind anonymize is reserved: only the program it belongs to writes it (anonymize and prune: ledger-admin; hitl.*: hitl; access.*, policy.*, vault.*)" \
	"... and says who does"
for k in prune hitl.decision hitl.release access.refusal policy.bind vault.restore; do
	run "$LA" --db "$db" --kind "$k" <<<'{"x":1}'
	is "$rc" 2 "ledger-append --kind $k: refused, exit 2"
done

# checkpoints: forged and swapped signatures
note7=$(q "SELECT note FROM checkpoints WHERE size = 7")
sigline=$(printf '%s\n' "$note7" | tail -n 1)
b64=${sigline##* }
c=${b64:20:1}
[ "$c" = A ] && d=B || d=A
printf '%s\n' "$note7" | sed '$d' >"$tmp/forged"
printf '%s\n' "${sigline% *} ${b64:0:20}$d${b64:21}" >>"$tmp/forged"
fresh
q "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = CAST(readfile('$tmp/forged') AS TEXT) WHERE size = 7"
tampered "a forged signature (one byte of it changed)" "checkpoint 7 (size 7) has an invalid signature: forged or altered" --key "$avkey"
tampered "a forged signature, no key" "checkpoint 7 (size 7) has an invalid signature: forged or altered"

fresh
printf '%s\n' "$note7" | sed '2s/7/8/' >"$tmp/edited"
q "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = CAST(readfile('$tmp/edited') AS TEXT) WHERE size = 7"
tampered "a checkpoint's text edited (size 7 made 8)" "checkpoint 7 (size 8) has an invalid signature: forged or altered" --key "$avkey"

# the same checkpoint text, signed by another key
cp "$base" "$tmp/copy.db"
"$LADM" checkpoint --db "$tmp/copy.db" --key "$okey" >"$tmp/other-note"
is "$(sed -n 1,3p "$tmp/other-note")" "$(printf '%s\n' "$note7" | sed -n 1,3p)" "(another key signs the same checkpoint text)"
fresh
q "DROP TRIGGER checkpoints_no_update; UPDATE checkpoints SET note = CAST(readfile('$tmp/other-note') AS TEXT) WHERE size = 7"
tampered "a swapped signature (another key's)" "checkpoint 7 (size 7) is not signed by the given key; it is signed by $oid" --key "$avkey"
tampered "a swapped signature, no key" "checkpoint 7 (size 7) is signed by no key the ledger lists"
# ... with the other key listed in the ledger too, only --key tells
q "INSERT INTO keys(vkey) VALUES ('$ovkey')"
run "$LV" --db "$db" --self-asserted
is "$rc" 0 "a swapped signature whose key the ledger lists: self-asserted, exit 0 with --self-asserted"
is_out "ledger consistent, NOT verified (no --key): 7 entries, 2 runs, checkpoint 7 self-asserted by $oid" \
	"... and says it is not verified, naming the signer"
tampered "a swapped signature whose key the ledger lists, with --key" \
	"checkpoint 7 (size 7) is not signed by the given key; it is signed by $oid" --key "$avkey"

# ---- rebuilt wholesale by someone without the key ----

rm -f "$tmp/rebuilt.db"
PHIKIT_LEDGER_ORIGIN=$(q "SELECT value FROM meta WHERE key = 'origin'") \
	"$LA" --db "$tmp/rebuilt.db" --key "$okey" --batch 3 "$tmp/in" >/dev/null
is "$(sqlite3 "$tmp/rebuilt.db" "SELECT group_concat(payload, '|') FROM entries")" \
	"$(q "SELECT group_concat(payload, '|') FROM entries")" "(the rebuilt ledger holds the same records, same origin)"
run "$LV" --db "$tmp/rebuilt.db" --self-asserted
is "$rc:$out" "0:ledger consistent, NOT verified (no --key): 7 entries, 2 runs, checkpoint 7 self-asserted by $oid" \
	"rebuilt: consistent on its own, and not verified"
run "$LV" --db "$tmp/rebuilt.db" --key "$avkey"
is "$rc" 1 "rebuilt, checked with the real key: exit 1"
is_out "ledger INVALID: checkpoint 3 (size 3) is not signed by the given key; it is signed by $oid" \
	"rebuilt: INVALID, names the other signer"
run "$LV" --db "$tmp/rebuilt.db" --since "$tmp/ck.txt"
is "$rc" 1 "rebuilt, against the saved checkpoint without --key: exit 1"
is_out "ledger INVALID: the saved checkpoint (size 7) is signed by no key the ledger lists" \
	"rebuilt: the saved checkpoint is not from its keys"
run "$LV" --db "$tmp/rebuilt.db" --key "$avkey" --since "$tmp/ck.txt"
is "$rc:$out" "1:ledger INVALID: checkpoint 3 (size 3) is not signed by the given key; it is signed by $oid" \
	"rebuilt, with --key and --since: INVALID"
run "$LV" --db "$tmp/rebuilt.db" --key "$ovkey" --since "$tmp/ck.txt"
is "$rc:$out" "1:ledger INVALID: the saved checkpoint (size 7) is not signed by the given key; it is signed by $aid" \
	"rebuilt, trusting the rebuilder's key: the saved checkpoint still gives it away"

# ---- rollback: a checkpoint saved elsewhere, an older copy restored ----

rm -f "$tmp/rb.db" "$tmp/rb-ck.txt"
printf '%s\n' '{"i":1}' '{"i":2}' '{"i":3}' | "$LA" --db "$tmp/rb.db" --run R --key "$akey" >/dev/null
cp "$tmp/rb.db" "$tmp/rb-old.db"
"$TEX" --db "$tmp/rb.db" --run R -o "$tmp/rb-old.json" 2>/dev/null
for i in 4 5 6 7 8; do echo "{\"i\":$i}"; done |
	"$LA" --db "$tmp/rb.db" --run R --key "$akey" --checkpoint-out "$tmp/rb-ck.txt" >/dev/null
run "$LV" --db "$tmp/rb.db" --key "$avkey" --since "$tmp/rb-ck.txt"
is "$rc:$out" "0:ledger OK: 8 entries, 1 run, checkpoint 8 signed by $aid; extends the saved checkpoint 8" \
	"before the rollback: extends the saved checkpoint"
"$TEX" --db "$tmp/rb.db" --run R -o "$tmp/rb-new.json" 2>/dev/null
cp "$tmp/rb-old.db" "$tmp/rb.db"
run "$LV" --db "$tmp/rb.db" --key "$avkey"
is "$rc:$out" "0:ledger OK: 3 entries, 1 run, checkpoint 3 signed by $aid" "rolled back: fine on its own"
run "$LV" --db "$tmp/rb.db" --key "$avkey" --since "$tmp/rb-ck.txt"
is "$rc" 1 "rolled back, against the saved checkpoint: exit 1"
is_out "ledger INVALID: the saved checkpoint covers 8 entries but the ledger holds 3 (rolled back or truncated)" \
	"rolled back: the rollback message"
run "$LV" --db "$tmp/rb.db" --since "$tmp/rb-ck.txt"
is "$rc:$out" "1:ledger INVALID: the saved checkpoint covers 8 entries but the ledger holds 3 (rolled back or truncated)" \
	"rolled back, without --key: caught too"
# rolled back and rebuilt past the saved size with other records
for i in 4 5 6 7 8 9; do echo "{\"i\":$i,\"rewritten\":true}"; done |
	"$LA" --db "$tmp/rb.db" --run R --key "$akey" >/dev/null
run "$LV" --db "$tmp/rb.db" --key "$avkey" --since "$tmp/rb-ck.txt"
is "$rc" 1 "rolled back and rebuilt with the key: exit 1"
is_out "ledger INVALID: the ledger does not extend the saved checkpoint: its first 8 entries hash to another root (rewritten or rolled back and rebuilt)" \
	"rolled back and rebuilt: does not extend the saved checkpoint"

# exports: an old bundle against the newer saved checkpoint; a checkpoint swapped for an older one
run "$LV" --key "$avkey" --since "$tmp/rb-ck.txt" "$tmp/rb-old.json"
is "$rc" 1 "an export older than the saved checkpoint: exit 1"
is_out "bundle INVALID: the saved checkpoint covers 8 entries, the bundle's only 3 (rolled back)" \
	"an export older than the saved checkpoint: rolled back"
jq --argjson c "$(jq .checkpoint "$tmp/rb-old.json")" '.checkpoint = $c' "$tmp/rb-new.json" >"$tmp/swapped.json"
run "$LV" --key "$avkey" "$tmp/swapped.json"
is "$rc" 1 "an export whose checkpoint is swapped for an older signed one: exit 1"
is_out "bundle INVALID: the bundle's tree_size is not its checkpoint's (3)" \
	"an export with an older checkpoint: its tree_size gives it away"
jq --slurpfile o "$tmp/rb-old.json" '.checkpoint = $o[0].checkpoint | .tree_size = $o[0].tree_size |
	.root_hash = $o[0].root_hash' "$tmp/rb-new.json" >"$tmp/swapped.json"
run "$LV" --key "$avkey" "$tmp/swapped.json"
is "$rc" 1 "an export whose checkpoint, size and root are swapped for older ones: exit 1"
is_out "bundle INVALID: entry 0: its inclusion proof does not lead to the checkpoint's root (not in the signed log at that place)" \
	"an export with an older checkpoint: the first entry's proof fails"

# ---- an edited export ----

bundle=$tmp/b.json
"$TEX" --db "$base" --run B -o "$bundle" 2>/dev/null
run "$LV" --key "$avkey" "$bundle"
is "$rc:$out" "0:bundle OK: run B, 3 entries, checkpoint 7 signed by $aid" "the untouched export verifies"

# edited FILTER NAME WANT: the bundle passed through jq FILTER fails with WANT
edited() {
	jq "$1" "$bundle" >"$tmp/e.json" || { ok 1 "$2: jq"; return; }
	run "$LV" --key "$avkey" "$tmp/e.json"
	is "$rc" 1 "$2: exit 1"
	is_out "bundle INVALID: $3" "$2: the first failure, exactly"
}
edited '.entries[1].payload = "{\"run_id\":\"B\",\"note\":\"forged\"}"' "export: an edited payload" \
	"entry 4: its payload does not match payload_sha256 (the payload was edited)"
edited '.entries[1].entry.actor = "mallory"' "export: an edited entry field" \
	"entry 4: its fields do not hash to its leaf_hash (an entry field was edited)"
edited '.entries[2].entry.kind = "hitl.decision"' "export: an edited kind" \
	"entry 6: its fields do not hash to its leaf_hash (an entry field was edited)"
e4=$(jq -cS '.entries[1].entry | .actor = "mallory"' "$bundle")
edited ".entries[1].entry.actor = \"mallory\" | .entries[1].leaf_hash = \"$(leafhash "$e4")\"" \
	"export: an edited entry field, leaf_hash recomputed" \
	"entry 4: its inclusion proof does not lead to the checkpoint's root (not in the signed log at that place)"
h=$(jq -r '.entries[0].inclusion_proof[1]' "$bundle")
h2=$(printf '%s' "$h" | sed 's/^./X/; s/^X/'"$([ "${h:0:1}" = 0 ] && echo 1 || echo 0)"'/')
edited ".entries[0].inclusion_proof[1] = \"$h2\"" "export: a proof hash edited" \
	"entry 1: its inclusion proof does not lead to the checkpoint's root (not in the signed log at that place)"
edited 'del(.entries[0].inclusion_proof[-1])' "export: a proof hash dropped" \
	"entry 1: its inclusion proof does not lead to the checkpoint's root (not in the signed log at that place)"
edited '.entries[2].entry.seq = 5' "export: an entry's seq edited" \
	"entry 5: its fields do not hash to its leaf_hash (an entry field was edited)"
edited 'del(.entries[1])' "export: an entry removed" \
	"entry 6 is entry 2 of its run where 1 was expected (an entry is missing or out of order)"
edited '.entries |= [.[0], .[2], .[1]]' "export: entries reordered" \
	"entry 6 is entry 2 of its run where 1 was expected (an entry is missing or out of order)"
edited '.entries[1].payload = null' "export: a payload removed without an erasure" \
	"entry 4: its payload is gone with no erasure that explains it"
edited '.entries[1].payload = null | .entries[1].erased_by = 2' "export: an erasure that comes before the entry" \
	"entry 4: its payload is gone with no erasure that explains it"
edited '.entries[1].payload = null | .entries[1].erased_by = 6' "export: a payload nulled, 'erased by' an ordinary record" \
	"entry 6 is no anonymize or prune entry, yet payloads are marked erased by it"
edited '.entries[1].payload = null | .entries[1].erased_by = 99' "export: a payload nulled, 'erased by' an entry past the tree" \
	"entry 4: its payload is erased by entry 99, which the bundle does not carry"
# a run really anonymized: its bundle carries the signed authorization
adb=$tmp/anon.db
cp "$base" "$adb"
"$LADM" anonymize --db "$adb" --run A --reason incident --key "$akey" >/dev/null 2>&1
"$TEX" --db "$adb" --run A -o "$tmp/a.json" 2>/dev/null
run "$LV" --key "$avkey" "$tmp/a.json"
is "$rc:$out" "0:bundle OK: run A, 5 entries, checkpoint 9 signed by $aid; 4 payloads erased" \
	"an anonymized run's bundle verifies, its erasures authorized"
"$TEX" --db "$adb" --run B -o "$tmp/b2.json" 2>/dev/null
jq '.entries[0].payload = null | .entries[0].erased_by = 8' "$tmp/b2.json" >"$tmp/e.json"
run "$LV" --key "$avkey" "$tmp/e.json"
is "$rc:$out" "1:bundle INVALID: entry 1: its payload is erased by entry 8, which the bundle does not carry" \
	"export: run A's erasure claimed for run B's entry (the bundle lacks it)"
jq --slurpfile a "$tmp/a.json" '.entries[0].payload = null | .entries[0].erased_by = 8 |
	.erasures = [$a[0].entries[-1]]' "$tmp/b2.json" >"$tmp/e.json"
run "$LV" --key "$avkey" "$tmp/e.json"
is "$rc:$out" "1:bundle INVALID: entry 1: its erasure is outside what entry 8 was authorized to erase" \
	"export: run A's signed erasure carried along to cover run B's entry"
jq '.entries[-1].payload |= (fromjson | .authorization |= sub("erased 4"; "erased 5") | tojson)' \
	"$tmp/a.json" >"$tmp/e.json"
run "$LV" --key "$avkey" "$tmp/e.json"
is "$rc" 1 "export: the erasure's authorization edited: exit 1"
edited '.checkpoint |= (split("\n") | .[1] = "8" | join("\n"))' "export: the checkpoint's size edited" \
	"the bundle's checkpoint (size 8) has an invalid signature: forged or altered"
edited '.checkpoint |= (split("\n") | .[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" | join("\n"))' \
	"export: the checkpoint's root edited" \
	"the bundle's checkpoint (size 7) has an invalid signature: forged or altered"
edited ".checkpoint = \"$(sed -e ':a;N;$!ba' -e 's/\n/\\n/g' "$tmp/other-note")\\n\"" \
	"export: the checkpoint signed by another key" \
	"the bundle's checkpoint (size 7) is not signed by the given key; it is signed by $oid"
edited '.origin = "phikit.ledger/elsewhere"' "export: the origin edited" \
	"the bundle's checkpoint (size 7) is for log '$(jq -r .origin "$bundle")', not this one ('phikit.ledger/elsewhere')"
run "$LV" --key "$avkey" --json "$tmp/e.json"
is "$(field "$out" '[.valid, .type, .error.seq] | tostring')" '[false,"bundle",null]' \
	"export, --json: a checkpoint failure has no entry seq"
jq '.entries[1].entry.actor = "mallory"' "$bundle" >"$tmp/e.json"
run "$LV" --key "$avkey" --json "$tmp/e.json"
is "$(field "$out" '[.valid, .type, .error.seq, .error.message] | tostring')" \
	'[false,"bundle",4,"entry 4: its fields do not hash to its leaf_hash (an entry field was edited)"]' \
	"export, --json: an entry failure has its seq"
sed 's/"note\\":\\"record of B\\"/"note\\":\\"record of X\\"/' "$bundle" >"$tmp/e.json"
run "$LV" --key "$avkey" "$tmp/e.json"
is "$rc:$out" "1:bundle INVALID: entry 1: its payload does not match payload_sha256 (the payload was edited)" \
	"export edited with sed, not jq: the first payload fails"
head -c 500 "$bundle" >"$tmp/e.json"
run "$LV" --key "$avkey" "$tmp/e.json"
is "$rc" 1 "a truncated export: exit 1"
like "$out" "bundle INVALID: $tmp/e.json:*: not a JSON document: *" "a truncated export: not a JSON document"

done_testing
