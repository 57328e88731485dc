#!/bin/bash
# Replacement modes (tag, mask, pseudonym), keys, --keep-year,
# --date-shift, --report, --stats.
. "$(dirname "$0")/lib.sh"

# fixed keys, so the tokens and offsets they give can be checked exactly
printf 'phikit test key one: 0123456789' >"$tmp/k1"
printf 'phikit test key two: 0123456789' >"$tmp/k2"
chmod 600 "$tmp/k1" "$tmp/k2"
rec='{"run_id":"r-1","text":"Pt John Zbigniewski seen 03/14/2024 and 03/24/2024, SSN 869-36-0459."}'
counts='"NAME":1,"DATE":2,"SSN":1'

scrub <<<"$rec"
is_out '{"run_id":"r-1","text":"Pt [NAME] seen [DATE] and [DATE], SSN [SSN].",'"$(ann "$counts" 4)"'}' "tag mode, the default"
scrub -m tag <<<"$rec"
is_out '{"run_id":"r-1","text":"Pt [NAME] seen [DATE] and [DATE], SSN [SSN].",'"$(ann "$counts" 4)"'}' "-m tag"

scrub -m mask <<<"$rec"
is_out '{"run_id":"r-1","text":"Pt **** *********** seen **/**/**** and **/**/****, SSN ***-**-****.",'"$(ann "$counts" 4 mask)"'}' \
	"-m mask: letters and digits starred, punctuation kept"
scrub --mode=mask <<<'{"t":"Pt José Álvarez seen, call (857) 261-9798"}'
is_out '{"t":"Pt **** ******* seen, call (***) ***-****",'"$(ann '"NAME":1,"PHONE":1' 2 mask)"'}' \
	"--mode=mask: one star per character, not per byte"

scrub -m mask <<<'{"t":"Jackson, MS 30636-9320; a 96-year-old"}'
is "$(jq -r .t "$tmp/out")" "*******, MS 306XX; a 90+-year-old" "-m mask: ZIP and age follow Safe Harbor whatever the mode"

# pseudonyms
scrub -m pseudonym <<<"$rec"
is "$rc" 2 "pseudonym mode without a key: exit 2"
is_err "phi-scrub: pseudonym mode needs a key (--key FILE)" "pseudonym mode without a key: said so"
is_out "" "pseudonym mode without a key: nothing written"

want1='{"run_id":"r-1","text":"Pt [NAME-8a8cb1] seen [DATE-0541ab] and [DATE-4ff45e], SSN [SSN-80a82a].",'"$(ann "$counts" 4 pseudonym)"'}'
scrub -m pseudonym -k "$tmp/k1" <<<"$rec"
is_out "$want1" "-m pseudonym -k: tokens [CATEGORY-6 hex] from the key"
scrub -m pseudonym --key="$tmp/k1" <<<"$rec"
is_out "$want1" "the same key gives the same tokens, run after run"
run env PHIKIT_SCRUB_KEY="$tmp/k1" "$PHI_SCRUB" -p "$POLICY" -m pseudonym <<<"$rec"
is_out "$want1" "PHIKIT_SCRUB_KEY names the key file"
scrub -m pseudonym -k "$tmp/k2" <<<"$rec"
is_out '{"run_id":"r-1","text":"Pt [NAME-10c1e0] seen [DATE-5b7d1d] and [DATE-86ad12], SSN [SSN-63d13d].",'"$(ann "$counts" 4 pseudonym)"'}' \
	"another key gives other tokens"
scrub -m pseudonym -k "$tmp/k1" <<<'{"a":"Pt JOHN   ZBIGNIEWSKI seen","b":"SSN 869-36-0459"}'
is_out '{"a":"Pt [NAME-8a8cb1] seen","b":"SSN [SSN-80a82a]",'"$(ann '"NAME":1,"SSN":1' 2 pseudonym)"'}' \
	"case and spacing do not change a token; nor does the field it is in"

scrub -m pseudonym -k "$tmp/k1" <<<'{"t":"Jackson, MS 30636-9320; a 96-year-old"}'
is "$(jq -r .t "$tmp/out")" "[CITY-ee2eca], MS 306XX; a 90+-year-old" \
	"-m pseudonym: ZIP and age follow Safe Harbor whatever the mode"

# key files: regular, private, long enough
chmod 644 "$tmp/k2"
scrub -m pseudonym -k "$tmp/k2" <<<"$rec"
is "$rc:$out" "2:" "a key file readable by others: exit 2, nothing written"
is_err "phi-scrub: key file '$tmp/k2' is readable by others (mode 0644); chmod 600 it" "and it says chmod 600"
chmod 640 "$tmp/k2"
scrub -m pseudonym -k "$tmp/k2" <<<"$rec"
is_err "phi-scrub: key file '$tmp/k2' is readable by others (mode 0640); chmod 600 it" "group-readable is refused too"
is "$rc" 2 "group-readable: exit 2"
printf 'fifteen bytes!!' >"$tmp/k3"
chmod 600 "$tmp/k3"
scrub -m pseudonym -k "$tmp/k3" <<<"$rec"
is "$rc:$out" "2:" "a 15-byte key: exit 2, nothing written"
is_err "phi-scrub: key file '$tmp/k3' holds 15 bytes; it needs at least 16 of secret" "a 15-byte key: said so"
scrub -m pseudonym -k "$tmp/none" <<<"$rec"
is "$rc" 2 "a missing key file: exit 2"
is_err "phi-scrub: key file '$tmp/none': No such file or directory" "a missing key file: said so"
mkdir "$tmp/kdir"
chmod 700 "$tmp/kdir"
scrub -m pseudonym -k "$tmp/kdir" <<<"$rec"
is_err "phi-scrub: key file '$tmp/kdir' is not a regular file" "a directory is no key file"
is "$rc" 2 "a directory as key: exit 2"

# --keep-year
scrub --keep-year <<<"$rec"
is_out '{"run_id":"r-1","text":"Pt [NAME] seen [DATE] 2024 and [DATE] 2024, SSN [SSN].",'"$(ann "$counts" 4)"'}' \
	"--keep-year keeps the year after the tag"
scrub --keep-year <<<'{"t":"seen June 11, 2024 and 5 March 2020; since March 2019"}'
is_out '{"t":"seen [DATE] 2024 and [DATE] 2020; since [DATE] 2019",'"$(ann '"DATE":3' 3)"'}' \
	"--keep-year: dates written in words"
scrub --keep-year <<<'{"t":"DOB: 03/05/1920, admitted 03/14/2024"}'
unlike "$out" "*1920*" "--keep-year never keeps a birth year that shows an age over 89"

# --date-shift: by whole days from the key and run_id, layout kept
scrub --date-shift <<<"$rec"
is "$rc:$out" "2:" "--date-shift without a key: exit 2, nothing written"
is_err "phi-scrub: date shifting needs a key (--key FILE)" "--date-shift without a key: said so"
scrub --date-shift -k "$tmp/k1" <<<"$rec"
is_out '{"run_id":"r-1","text":"Pt [NAME] seen 10/28/2023 and 11/07/2023, SSN [SSN].",'"$(ann "$counts" 4)"'}' \
	"--date-shift: dates moved, ten days apart as before, the layout kept"
scrub --date-shift -k "$tmp/k1" <<<'{"run_id":"r-1","text":"seen 03/14/2024, on March 24, 2024, and 2024-04-03"}'
is "$(jq -r .text "$tmp/out")" "seen 10/28/2023, on November 7, 2023, and 2023-11-17" \
	"--date-shift: every layout moves by the same days in one run"
d1=$(date -ud 2023-10-28 +%s) d2=$(date -ud 2023-11-17 +%s)
is $(( (d2 - d1) / 86400 )) 20 "--date-shift: 20 days apart before, 20 after"
scrub --date-shift -k "$tmp/k1" <<<'{"run_id":"r-1","text":"seen June 11, 2024"}'
is "$(jq -r .text "$tmp/out")" "seen January 25, 2024" "--date-shift: a date after a name cue is shifted too"
scrub --date-shift -k "$tmp/k1" <<<"${rec/r-1/r-2}"
is "$(jq -r .text "$tmp/out")" "Pt [NAME] seen 05/18/2024 and 05/28/2024, SSN [SSN]." \
	"--date-shift: another run_id, another offset"
scrub --date-shift -k "$tmp/k2" <<<"$rec"
isnt "$(jq -r .text "$tmp/out")" "Pt [NAME] seen 10/28/2023 and 11/07/2023, SSN [SSN]." \
	"--date-shift: another key, another offset"
scrub --date-shift -k "$tmp/k1" <<<'{"a":"seen 03/14/2024"}
{"b":"seen 03/24/2024"}'
is "$(jq -r '.a // .b' "$tmp/out" | tr '\n' ' ')" "seen 10/16/2023 seen 10/26/2023 " \
	"--date-shift: records without a run_id share one offset per key"
scrub --date-shift -k "$tmp/k1" <<<'{"t":"diagnosed in 2019, age 45, BP 117/62"}'
is_out '{"t":"diagnosed in 2019, age 45, BP 117/62",'"$(ann '' 0)"'}' "--date-shift: years and numbers stay"

# --report: where, never what
scrub --report <<<'{"text":"call (857) 261-9798 now","m":[{"c":"SSN 869-36-0459"}]}'
is_out '{"text":"call [PHONE] now","m":[{"c":"SSN [SSN]"}],"phikit":{"scrub":{"policy":"hipaa","policy_sha256":"'"$POLICY_SHA"'","mode":"tag","fields":["."],"counts":{"PHONE":1,"SSN":1},"total":2,"findings":[{"category":"PHONE","rule":"phone.cue","path":".text","offset":5,"length":14},{"category":"SSN","rule":"ssn.cue","path":".m[0].c","offset":4,"length":11}],"input_sha256":"IN","content_sha256":"OUT"}}}' \
	"--report: category, rule, path, offset and length of each"
unlike "$out" "*261-9798*" "--report: the phone number is not in the output"
unlike "$out" "*869-36-0459*" "--report: the SSN is not in the output"
scrub --report <<<'{"t":"caf\u00e9 SSN 869-36-0459"}'
is "$(jq -c '.phikit.scrub.findings' "$tmp/out")" '[{"category":"SSN","rule":"ssn.cue","path":".t","offset":10,"length":11}]' \
	"--report: offsets are bytes of the decoded string"
scrub --report <<<'{"t":"nothing"}'
is "$(jq -c '.phikit.scrub.findings' "$tmp/out")" '[]' "--report: an empty list when nothing was found"

# --stats: counts to stderr at the end
scrub --stats <<<'{"t":"SSN 869-36-0459"}
{"t":"call (857) 261-9798, SSN 869-36-0459"}
{"t":"x"}'
is_err "phi-scrub: 3 records PHONE=1 SSN=2" "--stats: records and counts per category on stderr"
is "$(wc -l <"$tmp/out")" 3 "--stats: the records still written"

done_testing
