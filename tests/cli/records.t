#!/bin/bash
# Records: every byte outside a rewritten string is copied through (key
# order, numbers, white space); the phikit annotation is added or merged;
# records stay one per line, in order.
. "$(dirname "$0")/lib.sh"

scrub <<<'{"b":[1, 2.50,true,null] ,  "a":"nothing here",  "c":{"d":-0.0e1,"e":1E+2}}'
is "$rc" 0 "a record without PHI: exit 0"
is_out '{"b":[1, 2.50,true,null] ,  "a":"nothing here",  "c":{"d":-0.0e1,"e":1E+2},'"$(ann '' 0)"'}' \
	"a record without PHI: bytes unchanged, an empty annotation added"

scrub <<<'{"z":1,"text":"SSN 869-36-0459","a":[ 2.50 , {"x":"call (857) 261-9798"} ],"n":null}'
is_out '{"z":1,"text":"SSN [SSN]","a":[ 2.50 , {"x":"call [PHONE]"} ],"n":null,'"$(ann '"PHONE":1,"SSN":1' 2)"'}' \
	"PHI in nested strings: only those strings rewritten, key order and spacing kept"

scrub <<<'{}'
is_out "{$(ann '' 0)}" "an empty object gets the annotation alone"
scrub <<<' { } '
is_out " { $(ann '' 0)} " "white space around and inside the record kept"

scrub <<<'{"a":"caf\u00e9 \/ok","t":"SSN 869\u002d36\u002d0459 caf\u00e9 \/"}'
is_out '{"a":"caf\u00e9 \/ok","t":"SSN [SSN] café /",'"$(ann '"SSN":1' 1)"'}' \
	"escapes: an untouched string keeps them; a rewritten one is decoded, scrubbed, written as jq -c does"

scrub <<<'{"t":"SSN 869-36-0459","t":"SSN 869-36-0459"}'
is_out '{"t":"SSN [SSN]","t":"SSN [SSN]",'"$(ann '"SSN":2' 2)"'}' "duplicate keys: both values scrubbed"

# the reserved key "phikit"
scrub <<<'{"phikit":{"ledger":{"seq":3}},"text":"call (857) 261-9798"}'
is_out '{"phikit":{"ledger":{"seq":3},"scrub":{"policy":"hipaa","policy_sha256":"'"$POLICY_SHA"'","mode":"tag","fields":["."],"counts":{"PHONE":1},"total":1,"input_sha256":"IN","content_sha256":"OUT"}},"text":"call [PHONE]"}' \
	"an existing phikit object keeps its place and members, and gains scrub"
scrub <<<'{"phikit":{"scrub":{"old":1},"z":1}}'
is_out '{"phikit":{"scrub":{"policy":"hipaa","policy_sha256":"'"$POLICY_SHA"'","mode":"tag","fields":["."],"counts":{},"total":0,"input_sha256":"IN","content_sha256":"OUT"},"z":1}}' \
	"an earlier phikit.scrub is replaced in place"
scrub <<<'{"phikit":{"ledger":{"seq":3,"w":2.50,"e":1E+2}}}'
is_out '{"phikit":{"ledger":{"seq":3,"w":2.50,"e":1E+2},"scrub":{"policy":"hipaa","policy_sha256":"'"$POLICY_SHA"'","mode":"tag","fields":["."],"counts":{},"total":0,"input_sha256":"IN","content_sha256":"OUT"}}}' \
	"other programs' phikit members are kept byte for byte (number spelling too)"
scrub <<<'{"phikit":{"ledger":{"n":123456789012345678901234567890}}}'
is "$rc" 0 "a phikit member holding a large integer is valid JSON: exit 0"
is_out '{"phikit":{"ledger":{"n":123456789012345678901234567890},"scrub":{"policy":"hipaa","policy_sha256":"'"$POLICY_SHA"'","mode":"tag","fields":["."],"counts":{},"total":0,"input_sha256":"IN","content_sha256":"OUT"}}}' \
	"a large integer in phikit is kept"
for v in '"x"' '[]' 'null' '3' 'true'; do
	scrub <<<'{"text":"SSN 869-36-0459","phikit":'"$v"'}'
	is "$rc" 3 "phikit $v: bad input, exit 3"
	is_err 'phi-scrub: error (at <stdin>:1): "phikit" is not an object' "phikit $v: said so"
	is_out "" "phikit $v: nothing written"
done
scrub <<<'{"phikit":{"note":"SSN 869-36-0459, Dr. Lind"},"text":"x"}'
unlike "$out" "*869-36-0459*" "PHI placed under phikit by the input is never passed on"
unlike "$out" "*Lind*" "a name placed under phikit by the input is never passed on"

# run_id, when present, is an identifier, kept as it is
scrub <<<'{"run_id":"r-42/a.b:c@d+e=f_g","text":"x"}'
is_out '{"run_id":"r-42/a.b:c@d+e=f_g","text":"x",'"$(ann '' 0)"'}' "a valid run_id is kept"
# identifiers and keys travel into annotations, exports and reports: one
# that carries PHI withholds the record (DESIGN.md)
withheld="holds what looks like PHI"
for r in 2024-03-14 RUN-123-45-6789 'mrn:004418273'; do
	scrub <<<'{"run_id":"'"$r"'","text":"x"}'
	is "$rc:$out" "3:" "a run_id that carries an identifier ($r): withheld, exit 3"
done
is_err "phi-scrub: error (at <stdin>:1): run_id $withheld (MRN): keys and run_ids travel into annotations, exports and reports, so the record is withheld" \
	"... and says why, naming the category, not the value"
scrub <<<'{"text":"x","Marisol Quintero":{"mrn":"004418273"}}'
is "$rc:$out" "3:" "a key that is a name: withheld, exit 3"
is_err "phi-scrub: error (at <stdin>:1): an object key $withheld (NAME): keys and run_ids travel into annotations, exports and reports, so the record is withheld" \
	"... and says why, without the key"
scrub <<<'{"visits":{"2024-03-14":"seen"}}'
is "$rc" 3 "a key that is a date: withheld"
scrub <<<'{"phikit":{"ledger":{"2024-03-14":1}},"text":"x"}'
is "$rc" 0 "keys inside phikit are phikit's own: not searched"
scrub -f .text <<<'{"text":"x","meta":{"123-45-6789":1}}'
is "$rc" 3 "keys are looked at whatever --field narrows the text to"
scrub --report <<<'{"Patient Name":"Marisol Quintero","ok_key":"SSN 219-09-9999"}'
is "$(jq -c '[.phikit.scrub.findings[].path]' "$tmp/out")" '[".{0}",".ok_key"]' \
	"report paths copy only plain field names; another key is shown by its place, .{0}"
cp "$tmp/out" "$tmp/once"
scrub <"$tmp/once"
is "$rc" 0 "phi-scrub accepts its own output"
for v in '"has space"' '""' '42' '"caf\u00e9"' "\"$(printf '%0129d' 0)\""; do
	scrub <<<'{"run_id":'"$v"',"text":"SSN 869-36-0459"}'
	is "$rc:$out" "3:" "run_id $v: bad input, nothing written"
	is_err "phi-scrub: error (at <stdin>:1): run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -" \
		"run_id $v: said so"
done

# scrubbing is idempotent: tags are not scrubbed again
scrub "$top/examples/notes.jsonl"
cp "$tmp/out" "$tmp/once"
scrub <"$tmp/once"
is "$(jq -c 'del(.phikit)' "$tmp/out")" "$(jq -c 'del(.phikit)' "$tmp/once")" \
	"scrubbing scrubbed output changes no text"
is "$(jq -c '.phikit.scrub.total' "$tmp/out" | sort -u)" 0 "and finds nothing in it"

# one line per record, in order, whatever the threads and the output
for i in $(seq 1 3000); do
	printf '{"i":%d,"text":"Pt seen %02d/%02d/2023, call (857) 261-%04d"}\n' "$i" $((i % 12 + 1)) $((i % 28 + 1)) "$i"
done >"$tmp/many"
run "$PHI_SCRUB" -p "$POLICY" -j 1 "$tmp/many"
cp "$tmp/out" "$tmp/j1"
is "$rc:$(wc -l <"$tmp/j1")" "0:3000" "3000 records: 3000 lines"
is "$(jq -r .i "$tmp/j1" | tr '\n' ' ')" "$(seq 1 3000 | tr '\n' ' ')" "3000 records: in input order"
is "$(jq -r .text "$tmp/j1" | sort -u)" "Pt seen [DATE], call [PHONE]" "3000 records: each scrubbed"
run "$PHI_SCRUB" -p "$POLICY" -j 4 "$tmp/many"
cmp -s "$tmp/out" "$tmp/j1"
ok $? "-j 4 writes exactly what -j 1 writes"
"$PHI_SCRUB" -p "$POLICY" -j 4 <"$tmp/many" | cat >"$tmp/piped"
cmp -s "$tmp/piped" "$tmp/j1"
ok $? "to a pipe: the same bytes"

# files as arguments, '-' for standard input
printf '{"t":"SSN 869-36-0459"}\n' >"$tmp/a.jsonl"
printf '{"t":"call (857) 261-9798"}\n' >"$tmp/b.jsonl"
run "$PHI_SCRUB" -p "$POLICY" "$tmp/a.jsonl" - "$tmp/b.jsonl" <<<'{"t":"x"}'
is_out '{"t":"SSN [SSN]",'"$(ann '"SSN":1' 1)"'}
{"t":"x",'"$(ann '' 0)"'}
{"t":"call [PHONE]",'"$(ann '"PHONE":1' 1)"'}' "files and '-' are read in order"
printf '{"t":"x"}\n[1]\n' >"$tmp/c.jsonl"
run "$PHI_SCRUB" -p "$POLICY" "$tmp/a.jsonl" "$tmp/c.jsonl" "$tmp/b.jsonl"
is "$rc" 3 "bad input in the second file: exit 3"
is_err "phi-scrub: error (at $tmp/c.jsonl:2): not a JSON object" "the error names the file and its line"
is_out '{"t":"SSN [SSN]",'"$(ann '"SSN":1' 1)"'}
{"t":"x",'"$(ann '' 0)"'}' "what came before is written, nothing after"

done_testing
