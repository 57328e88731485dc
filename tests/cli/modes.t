#!/bin/bash
# Replacement modes, keys, date shifting and years.
. "$(dirname "$0")/lib.sh"

head -c 32 /dev/urandom >"$tmp/k1"; chmod 600 "$tmp/k1"
head -c 32 /dev/urandom >"$tmp/k2"; chmod 600 "$tmp/k2"
rec='{"run_id":"r-1","text":"Pt John Zbigniewski seen 03/14/2024 and 03/24/2024, SSN 869-36-0459."}'

scrub -m mask <<<"$rec"
is "$(field "$out" .text)" "Pt **** *********** seen **/**/**** and **/**/****, SSN ***-**-****." "mask keeps punctuation"

scrub -m pseudonym <<<"$rec"
is "$rc:$err" "2:phi-scrub: pseudonym mode needs a key (--key FILE)" "pseudonym needs a key"
scrub -m pseudonym -k "$tmp/k1" <<<"$rec"; a=$(field "$out" .text)
scrub -m pseudonym -k "$tmp/k1" <<<"$rec"; b=$(field "$out" .text)
scrub -m pseudonym -k "$tmp/k2" <<<"$rec"; c=$(field "$out" .text)
is "$a" "$b" "the same key gives the same tokens, run after run"
[ "$a" != "$c" ]; ok $? "another key gives other tokens"
[[ $a =~ ^Pt\ \[NAME-[0-9a-f]{6}\]\ seen\ \[DATE-[0-9a-f]{6}\]\ and\ \[DATE-[0-9a-f]{6}\],\ SSN\ \[SSN-[0-9a-f]{6}\]\.$ ]]
ok $? "tokens look like [NAME-5c1f9a]"
scrub -m pseudonym -k "$tmp/k1" <<<'{"text":"Pt JOHN   ZBIGNIEWSKI seen"}'
[ "$(field "$out" .text)" = "Pt ${a:3:13} seen" ]
ok $? "case and spacing do not change a token"
PHIKIT_SCRUB_KEY="$tmp/k1" "$bin/phi-scrub" -p "$POLICY" -m pseudonym <<<"$rec" >"$tmp/o"
is "$(jq -r .text "$tmp/o")" "$a" "PHIKIT_SCRUB_KEY names the key file"

chmod 644 "$tmp/k2"
scrub -m pseudonym -k "$tmp/k2" <<<"$rec"
is "$rc:$err" "2:phi-scrub: key file '$tmp/k2' is readable by others (mode 0644); chmod 600 it" "a world-readable key is refused"
printf short >"$tmp/k3"; chmod 600 "$tmp/k3"
scrub -m pseudonym -k "$tmp/k3" <<<"$rec"
is "$rc:$err" "2:phi-scrub: key file '$tmp/k3' holds 5 bytes; it needs at least 16 of secret" "a short key is refused"

scrub --date-shift -k "$tmp/k1" <<<"$rec"
d1=$(field "$out" .text | grep -oE '[0-9]{2}/[0-9]{2}/[0-9]{4}' | head -1)
d2=$(field "$out" .text | grep -oE '[0-9]{2}/[0-9]{2}/[0-9]{4}' | tail -1)
[[ $d1 =~ ^[0-9]{2}/[0-9]{2}/[0-9]{4}$ && $d1 != 03/14/2024 ]]; ok $? "--date-shift moves a date, keeping its layout"
is $(( ($(date -ud "$d2" +%s) - $(date -ud "$d1" +%s)) / 86400 )) 10 "--date-shift keeps the interval"
scrub --date-shift -k "$tmp/k1" <<<"${rec/r-1/r-2}"
[ "$(field "$out" .text | grep -oE '[0-9]{2}/[0-9]{2}/[0-9]{4}' | head -1)" != "$d1" ]
ok $? "another run_id, another offset"
scrub --date-shift <<<"$rec"
is "$rc" 2 "--date-shift needs a key"

scrub --keep-year <<<"$rec"
is "$(field "$out" .text)" "Pt [NAME] seen [DATE] 2024 and [DATE] 2024, SSN [SSN]." "--keep-year keeps the year"

scrub <<<'{"text":"Jackson, MS 39201; Alstead, NH 03602; 93 y/o; age: 90; aged 89"}'
is "$(field "$out" .text)" "[CITY], MS 392XX; [CITY], NH 000XX; 90+ y/o; age: 90+; aged 89" \
	"ZIP to three digits, 000 in a restricted area; ages over 89 become 90+"

done_testing
