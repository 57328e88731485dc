#!/bin/bash
# shellcheck disable=SC2016 # jq filters take values as $variables, in single quotes
# Interop: the ledger verifies with code that owes nothing to us. Go's
# golang.org/x/mod/sumdb/note opens our checkpoints and signs them to the
# same bytes with a key from ledger-admin keygen, and sumdb/tlog checks our
# inclusion and consistency proofs (tests/interop/verify.go); an auditor's
# Python script of the standard library alone (tests/interop/verify.py)
# and openssl check an exported bundle by phikit-ledger(5). Every one of
# them must also refuse an edited bundle.
#
# Go is required: without it this test fails, unless PHIKIT_SKIP_GO=1 says
# to skip the Go checks (scripts/install-deps installs golang-go and
# golang-golang-x-mod-dev).
. "$(dirname "$0")/lib.sh"

interop=$top/tests/interop
unset PHIKIT_DB PHIKIT_LEDGER_KEY PHIKIT_LEDGER_ORIGIN
cd "$tmp" || exit 1

skip() {	# skip REASON NAME
	n=$((n + 1))
	echo "ok $n - $2 # skip $1"
}

# ---- Go, built once, offline, from Debian's packages ----
gopath=${PHIKIT_GOPATH:-/usr/share/gocode}
have_go=0
if command -v go >/dev/null 2>&1 && [ -d "$gopath/src/golang.org/x/mod/sumdb/note" ]; then
	run env GO111MODULE=off GOPATH="$gopath" GOCACHE="$tmp/gocache" GOFLAGS= \
		go build -o "$tmp/vgo" "$interop/verify.go"
	ok "$rc" "verify.go builds with the Go standard library and x/mod alone" || _diag "" "$err"
	[ "$rc" -eq 0 ] && have_go=1
elif [ "${PHIKIT_SKIP_GO:-}" = 1 ]; then
	skip "PHIKIT_SKIP_GO=1: no Go toolchain or x/mod" "verify.go builds"
else
	ok 1 "Go and golang.org/x/mod are installed (go, $gopath/src/golang.org/x/mod)"
	echo "#   the interop checks need Go: run scripts/install-deps (golang-go," \
		"golang-golang-x-mod-dev), or set PHIKIT_SKIP_GO=1 to skip them"
fi

gov() {	# gov NAME GLOB ARGS...: verify.go must say OK, then GLOB
	local name=$1 want=$2
	shift 2
	if [ "$have_go" -eq 0 ]; then
		skip "no Go" "$name"
		return
	fi
	run "$tmp/vgo" "$@"
	like "$rc:$out" "0:go interop OK: $want" "$name" || _diag "" "$err"
}

gonot() {	# gonot GLOB NAME ARGS...: verify.go must fail, saying GLOB
	local want=$1 name=$2
	shift 2
	if [ "$have_go" -eq 0 ]; then
		skip "no Go" "$name"
		return
	fi
	run "$tmp/vgo" "$@"
	like "$rc:$out" "1:go interop FAIL: $want" "$name"
}

pyv() {	# pyv NAME BUNDLE: verify.py must say OK
	run python3 "$interop/verify.py" "$2"
	like "$rc:$out" "0:python verify OK: *" "$1" || _diag "" "$err"
}

pynot() {	# pynot WANT NAME BUNDLE
	run python3 "$interop/verify.py" "$3"
	like "$rc:$err" "1:python verify FAIL: *$1*" "$2"
}

LA() { "$bin/ledger-append" --db t.db -p p.yaml --key k.key --checkpoint-out ck.txt "$@"; }

# ---- a ledger: three runs over several invocations and batches ----
run "$bin/ledger-admin" keygen --name audit-key -o k.key
ok "$rc" "keygen"
vkey=$out
printf '%s\n' "$vkey" >k.pub
printf 'name: t\n' >p.yaml
rec() { printf '{"run_id":"%s","n":%d,"text":"%s"}\n' "$@"; }
{ rec r1 1 'first'; rec r2 1 'caf\u00e9 \"q\"'; rec r1 2 'x'; rec r3 1 'y'; rec r2 2 'z'; } |
	LA --actor alice --batch 2 >/dev/null
ok $? "first load (three batches)"
cp ck.txt ck-old.txt
{ rec r1 3 'tab\tnl\n'; rec r3 2 'raw é ✓ <&>'; rec r2 3 'w'; } | LA --actor bob >/dev/null
{ for i in 4 5 6 7 8 9; do rec r1 "$i" "more $i"; done; rec r3 3 'last'; } |
	LA --batch 3 --kind note >/dev/null
ok $? "two more loads"
run "$bin/ledger-admin" anonymize --db t.db --key k.key --run r2 --reason 'patient request'
ok "$rc" "run r2 anonymized: its payloads are null"
"$bin/ledger-admin" checkpoint --db t.db --key k.key --checkpoint-out ck.txt >/dev/null
ok $? "a checkpoint of the head, appended to the --checkpoint-out file"
notes=$(grep -c '^— audit-key ' ck.txt)
ok $(( notes < 5 )) "the --checkpoint-out file holds a note per batch ($notes)"

run "$bin/trace-export" --db t.db --run r1 --since ck-old.txt -o r1.json
ok "$rc" "export r1 with a consistency proof from the saved checkpoint"
run "$bin/trace-export" --db t.db --run r2 -o r2.json
ok "$rc" "export r2 (anonymized)"
run "$bin/trace-export" --db t.db --run r3 -o r3.json
ok "$rc" "export r3"
is "$(jq '[.entries[] | select(.payload == null)] | length' r2.json)" 3 \
	"r2's bundle has its three records' payloads null"
run "$bin/ledger-verify" --key "$vkey" --since ck-old.txt r1.json
ok "$rc" "ledger-verify: r1.json OK, extending the saved checkpoint" || _diag "" "$out $err"
for b in r2 r3; do
	run "$bin/ledger-verify" --key "$vkey" "$b.json"
	ok "$rc" "ledger-verify: $b.json OK" || _diag "" "$out $err"
done
s0=$(jq '.entries[0].entry.seq' r1.json)	# where r1's entries are in the log
s1=$(jq '.entries[1].entry.seq' r1.json)
s2=$(jq '.entries[2].entry.seq' r1.json)
old=$(tail -n 4 ck-old.txt | head -n 1)	# the saved checkpoint's tree size

# ---- Go: note.Open, tlog.CheckRecord, tlog.CheckTree, note.NewSigner ----
gov "Go: r1 bundle OK; its consistency proof checked even without -since" \
	"bundle run r1: 9 entries (0 erased) in checkpoint * signed by audit-key+*; extends the bundle's own claim*" \
	-key "$vkey" r1.json
gov "Go: r1 bundle OK, extending the saved checkpoint (tlog.CheckTree)" \
	"*; extends the saved checkpoint of size $old" -key k.pub -since ck-old.txt r1.json
gov "Go: r2 bundle OK: 3 erased payloads and the anonymize entry" \
	"bundle run r2: 4 entries (3 erased) *" -key "$vkey" r2.json
gov "Go: r3 bundle OK" "bundle run r3: 3 entries (0 erased) *" -key "$vkey" r3.json
gov "Go: every note in the --checkpoint-out file opens (note.Open)" \
	"$notes checkpoint notes open *" -key "$vkey" -checkpoint ck.txt
gov "Go: our signer key loads with note.NewSigner; Go signs each note to our bytes" \
	"note.NewSigner loads audit-key+* and signs $notes notes byte-identically" \
	-key "$vkey" -signer k.key -note ck.txt
gov "Go: the saved checkpoint file opens" "*" -key "$vkey" -checkpoint ck-old.txt
jq . r1.json >pretty.json
gov "Go: the bundle re-indented by jq still verifies (the leaf is rebuilt, not copied)" \
	"*" -key "$vkey" pretty.json

# Go's own documented key (the sumdb/note package doc): our key ids and
# verifier keys, seen from the other side.
printf '%s\n' 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz' >pn.key
chmod 600 pn.key
pnv='PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW'
rec pn 1 'x' | "$bin/ledger-append" --db pn.db -p p.yaml --key pn.key --checkpoint-out pn.txt >/dev/null
"$bin/trace-export" --db pn.db --run pn -o pn.json 2>/dev/null
is "$(jq -r '.verifier_keys[0]' pn.json)" "$pnv" \
	"Go's documented signer key gives Go's documented verifier key here too"
gov "Go: a ledger signed with Go's documented key verifies with its documented verifier key" \
	"*signs 1 notes byte-identically" -key "$pnv" -checkpoint pn.txt -signer pn.key -note pn.txt pn.json

# ---- edits Go must refuse ----
edit() {	# edit OUT FILTER [jq args]: r1.json edited by jq
	local out=$1
	shift
	jq "$@" r1.json >"$out"
}
zero=$(printf '%064d' 0)
flip() { printf '%s' "$1" | tr '0-9a-f' '1-9a-f0'; }	# another hex hash
edit e-payload0.json '.entries[0].payload |= sub("first"; "First")'
edit e-payload.json '.entries[1].payload |= sub("x"; "y")'
gonot "entry $s1: SHA-256 of the payload is not payload_sha256" \
	"Go: an edited payload byte is refused" -key "$vkey" e-payload.json
edit e-proof.json --arg h "$(flip "$(jq -r '.entries[1].inclusion_proof[0]' r1.json)")" \
	'.entries[1].inclusion_proof[0] = $h'
gonot "entry $s1: tlog.CheckRecord: invalid transparency proof" \
	"Go: an edited proof hash is refused" -key "$vkey" e-proof.json
edit e-proof2.json '.entries[1].inclusion_proof |= .[:-1]'
gonot "entry $s1: tlog.CheckRecord: *" "Go: a shortened proof is refused" -key "$vkey" e-proof2.json
edit e-field.json '.entries[1].entry.actor = "mallory"'
gonot "entry $s1: leaf_hash is not *" "Go: an edited entry field is refused" -key "$vkey" e-field.json
edit e-field2.json --arg z "$zero" '.entries[1].entry.actor = "mallory" | .entries[1].leaf_hash = $z'
gonot "entry $s1: *" "Go: an edited entry field with a leaf_hash to match is refused" \
	-key "$vkey" e-field2.json
edit e-ts.json '.entries[1].entry.ts |= sub("Z$"; "0Z")'
gonot "entry $s1: *" "Go: an edited timestamp is refused" -key "$vkey" e-ts.json
edit e-drop.json 'del(.entries[1])'
gonot "entry $s2: run_seq 2 where 1 was expected*" "Go: a dropped entry is refused (the run's chain)" \
	-key "$vkey" e-drop.json
edit e-order.json '.entries |= [.[1], .[0]] + .[2:]'
gonot "entry $s1: run_seq 1 where 0 was expected*" "Go: reordered entries are refused" \
	-key "$vkey" e-order.json
sig=$(jq -r .checkpoint r1.json | sed -n 's/^— audit-key //p')
if [ "${sig:20:1}" = A ]; then c=B; else c=A; fi
edit e-sig.json --arg a "$sig" --arg b "${sig:0:20}$c${sig:21}" '.checkpoint |= (split($a) | join($b))'
isnt "$(jq -r .checkpoint e-sig.json)" "$(jq -r .checkpoint r1.json)" "(the signature edit took)"
gonot "bundle checkpoint: note.Open: invalid signature *" "Go: an edited signature is refused" \
	-key "$vkey" e-sig.json
edit e-size.json '.checkpoint |= sub("\n[0-9]+\n"; "\n1\n")'
gonot "bundle checkpoint: note.Open: invalid signature *" "Go: an edited checkpoint size is refused" \
	-key "$vkey" e-size.json
"$bin/ledger-admin" keygen --name audit-key -o other.key >other.pub 2>/dev/null
gonot "bundle checkpoint: note.Open: *" "Go: another key of the same name is refused" \
	-key other.pub r1.json
edit e-root.json --arg z "$zero" '.root_hash = $z'
gonot "bundle: tree_size/root_hash *" "Go: an edited root_hash is refused" -key "$vkey" e-root.json
edit e-cons.json --arg h "$(flip "$(jq -r '.consistency.proof[0]' r1.json)")" '.consistency.proof[0] = $h'
gonot "consistency from size $old: tlog.CheckTree: *" "Go: an edited consistency proof is refused" \
	-key "$vkey" -since ck-old.txt e-cons.json
gonot "bundle: -since given but *" "Go: -since with a bundle exported without it is refused" \
	-key "$vkey" -since ck-old.txt r3.json
head -c -3 ck.txt >ck-cut.txt
gonot "*" "Go: a --checkpoint-out file cut short is refused" -key "$vkey" -checkpoint ck-cut.txt
sed '2s/^[0-9]*$/999/' ck.txt >ck-edit.txt
gonot "*note 1: note.Open: invalid signature*" "Go: an edited note in the file is refused" \
	-key "$vkey" -checkpoint ck-edit.txt
gonot "Go derives the verifier key *" "Go: another signer key does not pass for ours" \
	-key "$vkey" -signer other.key -note ck.txt

# ---- the auditor's Python script ----
pyv "python: r1 bundle OK" r1.json
pyv "python: r2 bundle (erased payloads) OK" r2.json
pyv "python: r3 bundle OK" r3.json
pyv "python: the bundle re-indented by jq OK" pretty.json
pynot "entry $s0: payload" "python: an edited payload byte is refused" e-payload0.json
pynot "entry $s1: payload" "python: another edited payload is refused" e-payload.json
pynot "entry $s1: inclusion proof" "python: an edited proof hash is refused" e-proof.json
pynot "entry $s1: inclusion proof" "python: a shortened proof is refused" e-proof2.json
pynot "entry $s1: leaf hash" "python: an edited entry field is refused" e-field.json
pynot "entry $s1: leaf hash" "python: an edited field with a leaf_hash to match is refused" e-field2.json
pynot "entry $s1: leaf hash" "python: an edited timestamp is refused" e-ts.json
pynot "entry $s2: run chain" "python: a dropped entry is refused" e-drop.json
pynot "entry $s1: run chain" "python: reordered entries are refused" e-order.json
pynot "inclusion proof" "python: an edited checkpoint size is refused" e-size.json
lines=$(grep -vc '^[[:space:]]*\(#.*\)\{0,1\}$' "$interop/verify.py")
ok $(( lines > 60 )) "verify.py is a short script: $lines lines"

# ---- phikit-ledger(5)'s own examples, taken from the page so it cannot drift ----
mandoc -Tutf8 "$top/man/phikit-ledger.5" >page.txt 2>/dev/null
example() {	# example NAME: the block between "# NAME: begin" and "# NAME: end", unindented
	awk -v b="# $1: begin" -v e="# $1: end" '
		index($0, b) { on = 1; ind = index($0, b) - 1 }
		on { print substr($0, ind + 1) }
		index($0, e) { on = 0 }' page.txt
}
example verify-bundle >page-verify.py
example verify-signature >recipe.sh
for b in r1 r2 r3 pretty; do
	run python3 page-verify.py "$b.json"
	like "$rc:$out" "0:OK: * entries, tree phikit.ledger/* *" "the page's python script: $b.json OK" ||
		_diag "" "$err"
done
for b in e-payload e-proof e-field e-drop e-order e-size; do
	run python3 page-verify.py "$b.json"
	like "$rc:$err" "1:*AssertionError*" "the page's python script: $b.json refused"
done

# ---- the signature without Go: the page's openssl recipe ----
like "$(cat recipe.sh)" "*openssl pkeyutl -verify*" "the openssl recipe is in phikit-ledger(5)"
sig_ok() {	# sig_ok BUNDLE: the recipe, in a directory of its own
	[ -s recipe.sh ] && rm -rf sig && mkdir sig && cp "$1" sig/bundle.json && printf '%s\n' "$vkey" >sig/audit.pub &&
		(cd sig && sh ../recipe.sh) >sig.out 2>&1
}
if ! command -v openssl >/dev/null 2>&1; then
	for t in r1 r2 e-sig e-size; do skip "openssl not installed" "openssl recipe: $t"; done
else
	sig_ok r1.json
	ok $? "openssl recipe: r1's checkpoint signature verifies" || _diag "" "$(cat sig.out)"
	sig_ok r2.json
	ok $? "openssl recipe: r2's checkpoint signature verifies" || _diag "" "$(cat sig.out)"
	sig_ok e-sig.json
	isnt $? 0 "openssl recipe: an edited signature is refused"
	sig_ok e-size.json
	isnt $? 0 "openssl recipe: an edited checkpoint text is refused"
fi
pyv "python: the signature-edited bundle passes python (no Ed25519 in its stdlib)" e-sig.json

# ---- identifiers, bundle fields, --since files: the edges an auditor relies on ----
# A run_id spelled with the JSON escape "\/" is refused: the leaf holds an
# identifier as written, and a verifier re-encoding it must get those bytes.
printf '{"run_id":"a\\/b","n":1}\n' |
	"$bin/ledger-append" --db esc.db -p p.yaml --key k.key >esc.out 2>esc.err
is "$?:$(cat esc.out)" "3:" "a run_id written with \\/ is refused: exit 3, nothing passed on"
is "$(cat esc.err)" "ledger-append: error (at <stdin>:1): run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -" \
	"a run_id written with \\/ is refused: said so"
# A bundle's unsigned copies (tree_size, root_hash, origin, run_id) must
# agree with the signed checkpoint and the entries; erased_by goes only
# with an erased payload.
for f in "e-root:.root_hash = \"$zero\":the bundle's root_hash is not its checkpoint's" \
	"e-tsize:.tree_size = 1:the bundle's tree_size is not its checkpoint's*" \
	"e-run:.run_id = \"r9\":the bundle's run_id is not its entries' run*" \
	"e-org:del(.origin):the bundle names no origin" \
	"e-eby:.entries[0].erased_by = 9:entry 0: it has erased_by but its payload is present"; do
	name=${f%%:*}; rest=${f#*:}; filter=${rest%%:*}; want=${rest#*:}
	edit "$name.json" "$filter"
	got=$("$bin/ledger-verify" --key "$vkey" "$name.json" 2>&1)
	rc=$?
	# shellcheck disable=SC2053
	if [ "$rc" -eq 1 ] && [[ $got == *$want* ]]; then
		ok 0 "ledger-verify refuses a bundle edited: $filter"
	else
		ok 1 "ledger-verify refuses a bundle edited: $filter"
		_diag "" "exit $rc: $got"
	fi
done
# --since counts the note with the largest tree size in the file, so an
# old note appended again (the ledger's own writers may append to it) does
# not hide a rollback behind the newer ones.
LB() { "$bin/ledger-append" --db rb.db -p p.yaml --key k.key "$@" >/dev/null; }
rec rb 1 a | LB --checkpoint-out rb.txt
cp rb.db rb-old.db
{ rec rb 2 b; rec rb 3 c; } | LB --checkpoint-out rb.txt
rm -f rb.db-wal rb.db-shm && cp rb-old.db rb.db	# rolled back ...
{ rec rb 2 x; rec rb 3 y; rec rb 4 z; } | LB	# ... and appended to again
"$bin/ledger-verify" --db rb.db --key "$vkey" --since rb.txt >/dev/null 2>&1
isnt $? 0 "ledger-verify --since: a rollback behind the saved checkpoint is caught"
head -n 5 rb.txt >rb-first.txt
cat rb-first.txt >>rb.txt	# the oldest note, appended again
"$bin/ledger-verify" --db rb.db --key "$vkey" --since rb.txt >/dev/null 2>&1
isnt $? 0 "ledger-verify --since: still caught with an old note appended to the file"

done_testing
