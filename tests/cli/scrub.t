#!/bin/bash
# phi-scrub on records: what is removed, what stays, what is added.
. "$(dirname "$0")/lib.sh"

note='Pt Georgianna Waters, MRN: 00303027, DOB 1994-03-05, SSN 869-36-0459, lives at 1270 Woodlands Avenue, North Houston, MS 30636-9320, phone (857) 261-9798, georgianna.w@example.org, portal https://portal.example.org/p/1 from 4.179.227.175. Card 4111 1111 1111 1111, NPI 1234567893, DEA AB1234563, VIN 1HGCM82633A004352. A 96-year-old on metformin 500 mg, HbA1c 7.6%, BP 117/62, ICD-10 N18.30, CPT 99213, LOINC 2160-0, NDC 0002-8215-01, diagnosed in 2019, age 45.'
scrub <<<"{\"id\":\"n1\",\"text\":\"$note\"}"
is "$rc" 0 "a clinical note scrubs, exit 0"
is "$(field "$out" .text)" 'Pt [NAME], MRN: [MRN], DOB [DATE], SSN [SSN], lives at [ADDRESS], MS 306XX, phone [PHONE], [EMAIL], portal [URL] from [IP]. Card [CARD], NPI [NPI], DEA [DEA], VIN [VEHICLE]. A 90+-year-old on metformin 500 mg, HbA1c 7.6%, BP 117/62, ICD-10 N18.30, CPT 99213, LOINC 2160-0, NDC 0002-8215-01, diagnosed in 2019, age 45.' \
	"every identifier replaced (the town with its street), every clinical fact kept"
is "$(field "$out" '.phikit.scrub | [.policy, .mode, .total] | join(" ")')" "hipaa tag 15" \
	"annotation: policy, mode, total"
is "$(field "$out" '.phikit.scrub.counts | to_entries | map("\(.key)=\(.value)") | join(",")')" \
	"NAME=1,ADDRESS=1,ZIP=1,DATE=1,AGE=1,PHONE=1,EMAIL=1,SSN=1,MRN=1,CARD=1,DEA=1,NPI=1,VEHICLE=1,URL=1,IP=1" \
	"annotation: counts per category"

scrub <<<'{"b":[1, 2.50,true,null] ,  "a":"nothing here",  "c":{"d":-0.0e1}}'
is "$out" '{"b":[1, 2.50,true,null] ,  "a":"nothing here",  "c":{"d":-0.0e1},"phikit":{"scrub":{"policy":"hipaa","policy_sha256":"'"$(field "$out" .phikit.scrub.policy_sha256)"'","mode":"tag","counts":{},"total":0}}}' \
	"untouched bytes pass verbatim; a clean record still gets its annotation"
is "$(field "$out" .phikit.scrub.policy_sha256)" "$(sha256sum "$POLICY" | cut -d' ' -f1)" \
	"policy_sha256 is the SHA-256 of the policy file"

scrub <<<'{"phikit":{"ledger":{"seq":3}},"text":"call 617-555-0142"}'
is "$out" '{"phikit":{"ledger":{"seq":3},"scrub":{"policy":"hipaa","policy_sha256":"'"$(field "$out" .phikit.scrub.policy_sha256)"'","mode":"tag","counts":{"PHONE":1},"total":1}},"text":"call [PHONE]"}' \
	"an existing phikit object keeps its members and gains scrub"
scrub <<<'{"phikit":"x","text":"a"}'
is "$rc:$out" "3:" "a phikit that is no object is bad input, nothing written"
is "$err" 'phi-scrub: error (at <stdin>:1): "phikit" is not an object' "and said so"

scrub <<<'{"text":"Dear Dr. Lind, Patient: WILKINSON, TRACEY seen. Wife Eva at bedside.","note":"Tracey called; Lind agreed."}'
is "$(field "$out" '.text + " | " + .note')" 'Dear Dr. [NAME], Patient: [NAME], [NAME] seen. Wife [NAME] at bedside. | [NAME] called; [NAME] agreed.' \
	"names by title, label, LAST, FIRST and relation; repeated in another field"
scrub <<<'{"text":"Parkinson disease and Crohn'"'"'s disease; Foley catheter; patient will follow up"}'
is "$(field "$out" .text)" "Parkinson disease and Crohn's disease; Foley catheter; patient will follow up" \
	"eponyms and English words stay"
scrub <<<'{"text":"pt john doe seen today, sister jane at bedside"}'
is "$(field "$out" .text)" "pt [NAME] seen today, sister [NAME] at bedside" "a lowercase note"
scrub <<<'{"text":"Patient José Álvarez-Ruiz reports pain; son Łukasz and Ludwig van Beethoven present"}'
is "$(field "$out" .text)" "Patient [NAME] reports pain; son [NAME] and [NAME] present" \
	"diacritics, hyphens, particles"

scrub -f '.messages[].content' <<<'{"messages":[{"role":"user","content":"SSN 869-36-0459"}],"meta":"SSN 869-36-0459"}'
is "$(field "$out" '.messages[0].content + " | " + .meta')" "SSN [SSN] | SSN 869-36-0459" \
	"--field narrows the scope"
scrub -f 'text' <<<'{}'
is "$rc" 2 "a bad --field is a usage error"
is "$err" "phi-scrub: bad field path 'text' (try .text or .messages[].content)" "and says how"

scrub --report <<<'{"text":"call 617-555-0142 now"}'
is "$(field "$out" '.phikit.scrub.findings | tostring')" '[{"category":"PHONE","rule":"phone.cue","path":".text","offset":5,"length":12}]' \
	"--report: category, rule, path, offset, length"
case $out in *617-555-0142*) ok 1 "--report never writes the value";; *) ok 0 "--report never writes the value";; esac

scrub --stats <<<'{"text":"SSN 869-36-0459"}'
is "$err" "phi-scrub: 1 records SSN=1" "--stats counts to stderr"

printf '{"a":"x"}\r\n{"b":"y"}\r\n' >"$tmp/crlf"
scrub <"$tmp/crlf"
is "$rc:$(printf '%s\n' "$out" | wc -l)" "0:2" "CRLF line endings accepted"
: >"$tmp/empty"
scrub <"$tmp/empty"
is "$rc:$out" "0:" "empty input: nothing out, exit 0"

for j in 1 3; do
	"$bin/phi-scrub" -j $j -p "$POLICY" "$top/examples/notes.jsonl" >"$tmp/j$j"
done
cmp -s "$tmp/j1" "$tmp/j3"
ok $? "threads keep the input order: -j 3 writes what -j 1 writes"

"$bin/phi-scrub" -h >"$tmp/h"
is "$?:$(head -c 22 "$tmp/h")" "0:usage: phi-scrub [-hV]" "-h prints usage to stdout, exit 0"
"$bin/phi-scrub" --version >"$tmp/v"
is "$?:$(cat "$tmp/v")" "0:phi-scrub (phikit) 0.1.0" "--version"
"$bin/phi-scrub" --bogus 2>/dev/null </dev/null
is "$?" 2 "an unknown option is exit 2"

scrub <<<'{"run_id":"2024-03-14","text":"Seen with Smith-Jones, Mr. Lee on 2024-03-14"}'
is "$(field "$out" '.run_id + " | " + .text')" "2024-03-14 | Seen with [NAME], Mr. [NAME] on [DATE]" \
	"run_id is an identifier, kept; a title is no first name of LAST, FIRST"
scrub <<<"$out"
is "$rc" 0 "phi-scrub accepts its own output"

done_testing
