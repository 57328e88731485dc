#!/bin/bash
# The fault matrix for ledger-verify: hostile bundle files (it reads JSON
# documents, not lines), bad and busy databases, key files, a closed or
# full stdout. A bundle that cannot be read is INVALID (exit 1), and no
# byte of it is quoted back.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"
ledger_init
F_NAME=ledger-verify
newkey fk
akey=$tmp/fk.key avkey=$vkey

"$LA" --db "$tmp/v.db" --run f-1 --key "$akey" <<<"$F_GOOD" >/dev/null
"$TEX" --db "$tmp/v.db" --run f-1 -o "$tmp/good.json" 2>/dev/null

# bundle BYTES NAME WANT: a bundle file holding BYTES (printf format)
bundle() {
	printf "$1" >"$tmp/b.json"
	run "$LV" --key "$avkey" "$tmp/b.json"
	is "$rc" 1 "$2: exit 1"
	is "$out" "bundle INVALID: $3" "$2: said so"
	ok "$(grep -c -- "$F_SECRET" "$tmp/out" "$tmp/err" | grep -vc ':0$')" "$2: nothing of the file quoted"
}
bundle '{"format":"phikit-audit-bundle","x":"SSN '$F_SECRET'",}' "malformed JSON" \
	"$tmp/b.json:1:55: not a JSON document: string or '}' expected"
bundle '["SSN '$F_SECRET'"]' "a non-object document" \
	"not a phikit audit bundle (format phikit-audit-bundle, version 1)"
bundle '{"a":"SSN '$F_SECRET' \xff"}' "invalid UTF-8" \
	"$tmp/b.json:1:22: not a JSON document: invalid UTF-8"
bundle '{"a":"SSN '$F_SECRET' \0"}' "a NUL byte" \
	"$tmp/b.json:1:22: not a JSON document: a control character in a string"
bundle '' "an empty file" "$tmp/b.json:1:0: not a JSON document: '[' or '{' expected near end of file"
bundle '{"a":"SSN '$F_SECRET' \\udc00"}' "a lone surrogate escape" \
	"$tmp/b.json:1:29: not a JSON document: a lone UTF-16 surrogate"
bundle '{"a":"SSN '$F_SECRET'","n":1234567890123456789012345}' "an integer past 64 bits" \
	"$tmp/b.json:1:52: not a JSON document: too big integer"
{ printf '{"a":"SSN %s","b":' "$F_SECRET"; head -c 100000 /dev/zero | tr '\0' '['; } >"$tmp/deep.json"
run "$LV" --key "$avkey" "$tmp/deep.json"
is "$rc:$out" "1:bundle INVALID: $tmp/deep.json:1:2075: not a JSON document: maximum parsing depth reached" \
	"nesting 100,000 deep: INVALID, no crash"
sed 's/$/\r/' "$tmp/good.json" >"$tmp/crlf.json"
run "$LV" --key "$avkey" "$tmp/crlf.json"
is "$rc" 0 "a bundle with CRLF line ends: still valid JSON, still verifies"

# stdout closed or full
"$LV" --key "$avkey" "$tmp/good.json" >&- 2>"$tmp/e1"
is "$?:$(cat "$tmp/e1")" "4:ledger-verify: write error: Bad file descriptor" "a closed stdout: exit 4, said so"
"$LV" --key "$avkey" "$tmp/good.json" >/dev/full 2>"$tmp/e2"
is "$?:$(cat "$tmp/e2")" "4:ledger-verify: write error: No space left on device" "a full disk (/dev/full): exit 4, said so"
is "$(epipe "$LV" --key "$avkey" --db "$tmp/v.db")" "4:ledger-verify: write error: Broken pipe" \
	"a closed pipe (EPIPE): exit 4, said so"

# databases
F_CMD=("$LV" --key "$avkey")
fault_db_bad
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(3)' "$tmp/v.db" >"$tmp/lock.out" &
holder=$!
for i in $(seq 1 50); do [ -s "$tmp/lock.out" ] && break; sleep 0.1; done
PHIKIT_DB_TIMEOUT_MS=300 run "$LV" --db "$tmp/v.db" --key "$avkey"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
is "$rc" 0 "a writer holding the database: verification reads on (WAL), exit 0"

# key files: a verifier key is public, so a readable one is fine; a
# missing one is a usage error
run "$LV" --db "$tmp/v.db" --key "$tmp/none.pub"
is "$rc:$out" "2:" "a missing key file: exit 2"
is "$err" "ledger-verify: --key '$tmp/none.pub' is neither a verifier key (name+id+key) nor a readable file" \
	"a missing key file: said so"
printf '%s\n' "$avkey" >"$tmp/open.pub"
chmod 644 "$tmp/open.pub"
run "$LV" --db "$tmp/v.db" --key "$tmp/open.pub"
is "$rc" 0 "a world-readable verifier key file: accepted (it is public)"

# read-only media, or an auditor's copy in a directory they cannot write:
# SQLite cannot make the WAL's -shm there; with no log left beside it the
# file is read as immutable. Acted out as nobody, in a directory of root's.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && id -u nobody >/dev/null 2>&1; then
	ro=$tmp/ro
	mkdir -p "$ro/bin"
	cp "$LV" "$ro/bin/"
	"$LV" --db "$tmp/v.db" --key "$avkey" >/dev/null 2>&1
	cp "$tmp/v.db" "$ro/copy.db"
	chmod 755 "$tmp" "$ro" "$ro/bin"
	chmod 644 "$ro/copy.db"
	run setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$ro/bin/ledger-verify" --db "$ro/copy.db" --key "$avkey"
	is "$rc" 0 "a copy in a directory its reader cannot write: verified, exit 0"
	like "$out" "ledger OK: *" "... and OK"
	is "$(ls "$ro")" "bin
copy.db" "... and nothing left beside it (no -wal, no -shm)"
else
	for i in 1 2 3; do n=$((n + 1)); echo "ok $n # skip acting as another user needs root, setpriv and a nobody user"; done
fi

done_testing
