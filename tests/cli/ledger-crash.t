#!/bin/bash
# Crash safety: ledger-append killed with SIGKILL at random points, again
# and again, on one database. After every kill the ledger verifies with the
# key, extends every checkpoint it wrote out, and holds every record that
# had been passed downstream, at the seq and with the leaf hash it was
# passed on with.
. "$(dirname "$0")/lib.sh"
ledger_init
cd "$tmp" || exit 1

ROUNDS=${PHIKIT_CRASH_ROUNDS:-30}
db=$tmp/c.db
newkey crash
key=$tmp/crash.key
id=$(echo "$vkey" | cut -d+ -f1,2)

"$LA" --db "$db" --run seed --key "$key" <<<'{"seed":1}' >/dev/null

# records, as fast as they are read (odd rounds) or trickling (even rounds:
# the batch closes because input is not ready, not on its count)
fast() { seq "$1" $(($1 + 999999)) | sed 's/.*/{"i":&,"pad":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}/'; }
slow() { local i=$1; while :; do echo "{\"i\":$i}"; i=$((i + 1)); [ $((i % 7)) -ne 0 ] || sleep 0.002; done; }

bad_verify=0 bad_missing=0 bad_since=0 total_out=0 kills=0 detail=
RANDOM=$$
for r in $(seq 1 "$ROUNDS"); do
	if [ $((r % 2)) -eq 1 ]; then
		"$LA" --db "$db" --key "$key" --checkpoint-out "$tmp/ck.txt" --batch 5 \
			< <(fast $((r * 1000000))) >"$tmp/out.$r" 2>"$tmp/err.$r" &
	else
		"$LA" --db "$db" --key "$key" --checkpoint-out "$tmp/ck.txt" --batch 5 \
			< <(slow $((r * 1000000))) >"$tmp/out.$r" 2>"$tmp/err.$r" &
	fi
	pid=$!
	sleep "0.0$((RANDOM % 9 + 1))$((RANDOM % 10))"
	kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
	wait "$pid" 2>/dev/null

	# every complete line passed on: seq, leaf hash, and the record's own number
	sed -n '/}$/p' "$tmp/out.$r" |
		jq -r '"\(.phikit.ledger.seq) \(.phikit.ledger.leaf_hash) \(.i)"' >"$tmp/passed" 2>/dev/null
	total_out=$((total_out + $(wc -l <"$tmp/passed")))
	sqlite3 "$db" "SELECT seq || ' ' || lower(hex(leaf_hash)) || ' ' || json_extract(payload, '$.i')
	    FROM entries WHERE json_extract(payload, '$.i') >= $((r * 1000000))" >"$tmp/logged"
	missing=$(sort "$tmp/passed" | comm -23 - <(sort "$tmp/logged") | wc -l)
	if [ "$missing" -ne 0 ]; then
		bad_missing=$((bad_missing + 1))
		detail="$detail round $r: $missing passed on but not in the ledger;"
	fi
	"$LV" --db "$db" --key "$vkey" >"$tmp/v" 2>&1
	v=$?
	if [ "$v" -ne 0 ] || ! grep -q "^ledger OK: .* signed by $id$" "$tmp/v"; then
		bad_verify=$((bad_verify + 1))
		detail="$detail round $r: ledger-verify $v: $(cat "$tmp/v");"
	fi
	if [ -s "$tmp/ck.txt" ] && ! "$LV" --db "$db" --key "$vkey" --since "$tmp/ck.txt" >"$tmp/v" 2>&1; then
		bad_since=$((bad_since + 1))
		detail="$detail round $r: --since: $(cat "$tmp/v");"
	fi
done

[ -z "$detail" ] || _diag "failures:" "$detail"
is "$kills" "$ROUNDS" "ledger-append was killed in each of $ROUNDS rounds"
ok "$([ "$total_out" -gt 0 ]; echo $?)" "records were passed on before the kills ($total_out in all)"
is "$bad_verify" 0 "after every kill: ledger-verify --key exits 0, signed by the key"
is "$bad_missing" 0 "after every kill: every record passed on is in the ledger, same seq, same leaf hash"
is "$bad_since" 0 "after every kill: the ledger extends the last checkpoint written out"
run "$LV" --db "$db" --key "$vkey" --json
is "$(field "$out" '[.valid, .verified] | tostring')" "[true,true]" "at the end: valid and verified"
is "$(field "$out" .entries)" "$(sqlite3 "$db" "SELECT count(*) FROM entries")" "at the end: every entry counted"
run "$LA" --db "$db" --run after --key "$key" <<<'{"after":1}'
is "$rc" 0 "ledger-append goes on appending after the crashes"
is "$(field "$out" .phikit.ledger.seq)" "$(sqlite3 "$db" "SELECT max(seq) FROM entries")" "at the end of the log"

done_testing
