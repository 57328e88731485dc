#!/bin/bash
# Concurrency: 4 ledger-append processes x 10,000 records into one database
# at once give exactly 40,000 entries in one valid, signed tree, each
# writer's records all there in order, no error. Twice: writers fed in
# bursts through pipes (their batches interleave), and writers racing
# for the lock on files with small batches.
. "$(dirname "$0")/lib.sh"
ledger_init
cd "$tmp" || exit 1

W=4 N=10000
newkey conc
key=$tmp/conc.key
id=$(echo "$vkey" | cut -d+ -f1,2)

for w in $(seq 1 $W); do
	seq 0 $((N - 1)) | sed "s/.*/{\"w\":$w,\"i\":&}/" >"$tmp/in.$w"
	split -l 100 -d -a 3 "$tmp/in.$w" "$tmp/chunk.$w."
done
# bursts of 100 records, a pause between them
bursts() { for c in "$tmp/chunk.$1."*; do cat "$c"; sleep 0.01; done; }

check() {	# check NAME DB: what every phase must end with
	local name=$1 db=$2 w bad
	is "$(sqlite3 "$db" "SELECT count(*) FROM entries")" $((W * N)) "$name: exactly $((W * N)) entries"
	is "$(sqlite3 "$db" "SELECT min(seq) || '-' || max(seq) || ' ' || count(DISTINCT seq) FROM entries")" \
		"0-$((W * N - 1)) $((W * N))" "$name: seq 0 to $((W * N - 1)), no gap, no duplicate"
	run "$LV" --db "$db" --key "$vkey"
	is "$rc" 0 "$name: ledger-verify --key exits 0"
	is_out "ledger OK: $((W * N)) entries, $W runs, checkpoint $((W * N)) signed by $id" \
		"$name: one valid tree, signed up to its last entry"
	is "$(sqlite3 "$db" "SELECT group_concat(run_id || ':' || n || ':' || lo || '-' || hi, ' ') FROM
	    (SELECT run_id, count(*) AS n, min(run_seq) AS lo, max(run_seq) AS hi FROM entries
	     GROUP BY run_id ORDER BY run_id)")" \
		"$(for w in $(seq 1 $W); do printf 'w%s:%s:0-%s ' "$w" $N $((N - 1)); done | sed 's/ $//')" \
		"$name: each writer's run has all $N of its records, run_seq 0 to $((N - 1))"
	bad=0
	for w in $(seq 1 $W); do
		# in the order they were given, each at the place it was passed on with
		[ "$(sqlite3 "$db" "SELECT group_concat(json_extract(payload, '$.i'), ',') FROM
		    (SELECT payload FROM entries WHERE run_id = 'w$w' ORDER BY run_seq)")" = \
		  "$(seq -s, 0 $((N - 1)))" ] || bad=$((bad + 1))
		[ "$(jq -r '"\(.phikit.ledger.seq) \(.phikit.ledger.leaf_hash)"' "$tmp/out.$w" | sort)" = \
		  "$(sqlite3 "$db" "SELECT seq || ' ' || lower(hex(leaf_hash)) FROM entries WHERE run_id = 'w$w'" | sort)" ] ||
			bad=$((bad + 1))
	done
	is "$bad" 0 "$name: each writer's records in its order, passed on with the seq and leaf hash logged"
	is "$(cat "$tmp"/err.*)" "" "$name: nothing on any writer's stderr"
	is "$(cat "$tmp"/rc.* | tr -d '\n')" "$(printf '0%.0s' $(seq 1 $W))" "$name: every writer exits 0"
}

# The databases are made first (empty input): the writers below race on
# an existing ledger. Racing to create one is tested apart, at the end.
# ---- 1: pipes, in bursts ----
db=$tmp/p.db
"$LA" --db "$db" </dev/null
t0=$SECONDS
for w in $(seq 1 $W); do
	( bursts $w | "$LA" --db "$db" --run "w$w" --key "$key" >"$tmp/out.$w" 2>"$tmp/err.$w"
	  echo $? >"$tmp/rc.$w" ) &
done
wait
diag_t1=$((SECONDS - t0))
check "pipes" "$db"
switches=$(sqlite3 "$db" "SELECT run_id FROM entries ORDER BY seq" | uniq | wc -l)
ok "$([ "$switches" -ge $((W * 2)) ]; echo $?)" "pipes: the writers' batches did interleave ($switches runs of one writer)"

# ---- 2: files, small batches, racing for the lock ----
db=$tmp/f.db
"$LA" --db "$db" </dev/null
rm -f "$tmp"/rc.* "$tmp"/out.* "$tmp"/err.*
t0=$SECONDS
for w in $(seq 1 $W); do
	( "$LA" --db "$db" --run "w$w" --key "$key" --batch 10 "$tmp/in.$w" >"$tmp/out.$w" 2>"$tmp/err.$w"
	  echo $? >"$tmp/rc.$w" ) &
done
wait
diag_t2=$((SECONDS - t0))
check "files, --batch 10" "$db"
is "$(sqlite3 "$db" "SELECT count(*) FROM checkpoints")" $((W * N / 10)) "files, --batch 10: a checkpoint per transaction"
echo "# pipes: ${diag_t1}s, files: ${diag_t2}s"

# ---- 3: four writers creating the same new database at once ----
# Each try: 4 writers, one record each, on a database that does not exist yet.
lost=0 errs=
for t in $(seq 1 30); do
	rm -f "$tmp/new.db" "$tmp/new.db-wal" "$tmp/new.db-shm"
	for w in 1 2 3 4; do
		"$LA" --db "$tmp/new.db" --run "w$w" <<<'{"n":1}' >/dev/null 2>>"$tmp/new.err" &
	done
	wait
	[ "$(sqlite3 "$tmp/new.db" "SELECT count(*) FROM entries")" = 4 ] || lost=$((lost + 1))
done
is "$lost" 0 "a new database: 4 writers starting at once all append, in each of 30 tries"
ok "$([ ! -s "$tmp/new.err" ]; echo $?)" "a new database: no writer reports an error"
[ ! -s "$tmp/new.err" ] || _diag "stderr:" "$(sort "$tmp/new.err" | uniq -c | sed "s|$tmp/||")"

done_testing
