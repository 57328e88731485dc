#!/bin/bash
# Bad input: exit 3, an error naming the input and line, and nothing of
# the bad line — nor, by default, of anything after it — on stdout.
. "$(dirname "$0")/lib.sh"

good='{"text":"SSN 869-36-0459"}'
good_out='{"text":"SSN [SSN]",'"$(ann '"SSN":1' 1)"'}'

# bad NAME WANT-ERROR [ARGS...] <FILE: a good line, the bad one, a good line
bad() {
	local name=$1 want=$2
	shift 2
	scrub "$@" <"$tmp/in"
	is "$rc" 3 "$name: exit 3"
	is_err "phi-scrub: error (at <stdin>:2): $want" "$name: the message names the line"
	is_out "$good_out" "$name: the line before written; nothing of it, nothing after"
}
around() {	# around BYTES: the bad line between two good ones, in $tmp/in
	{ printf '%s\n' "$good"; printf '%s\n' "$1"; printf '%s\n' "$good"; } >"$tmp/in"
}

around '{"text":"869-36-0459",}'
bad "malformed JSON" "expected a key at byte 23"
around '{"text":"869-36-0459"'
bad "an unclosed object" "expected ',' or '}' at byte 22"
around '[1,2]'
bad "a non-object line" "not a JSON object"
around '"869-36-0459"'
bad "a bare string" "not a JSON object"
around "$(printf '{"text":"869-36-0459 \xff"}')"
bad "invalid UTF-8" "invalid UTF-8 at byte 22"
around "$(printf '{"text":"869-36-0459 \xc0\xaf"}')"
bad "overlong UTF-8" "invalid UTF-8 at byte 22"
around '{"text":"869-36-0459 \ud800"}'
bad "a lone surrogate escape" "lone UTF-16 surrogate at byte 22"
around "$(printf '{"text":"869-36-0459\t"}')"
bad "a raw tab in a string" "control character in string at byte 21"
around '{"text":"869-36-0459"} {}'
bad "trailing bytes" "trailing bytes after the object at byte 24"
{ printf '%s\n' "$good"; printf '{"text":"869-36-0459 \0"}\n'; printf '%s\n' "$good"; } >"$tmp/in"
bad "a NUL byte" "NUL byte at byte 22"
{ printf '%s\n\n%s\n' "$good" "$good"; } >"$tmp/in"
bad "an empty line" "empty line"
{ printf '%s\n{"a":' "$good"; head -c 100000 /dev/zero | tr '\0' '['; printf '\n%s\n' "$good"; } >"$tmp/in"
bad "nesting 100000 deep" "nesting deeper than 512 levels"
bad "nesting 100000 deep, 4 threads" "nesting deeper than 512 levels" -j 4
{ printf '%s\n{"text":"' "$good"; head -c 2000 /dev/zero | tr '\0' x; printf ' 869-36-0459"}\n%s\n' "$good"; } >"$tmp/in"
bad "a line over --max-line" "line longer than 1024 bytes" --max-line 1K
bad "a line over --max-line, 4 threads" "line longer than 1024 bytes" --max-line=1K -j 4

# an escaped NUL is valid JSON, and scrubbed around
scrub <<<'{"text":"869-36-0459\u0000x"}'
is_out '{"text":"[SSN]\u0000x",'"$(ann '"SSN":1' 1)"'}' "an escaped NUL (\\u0000) is valid and kept"

# line endings and empty input
printf '%s\r\n%s\r\n' "$good" '{"a":"x"}' >"$tmp/in"
scrub <"$tmp/in"
is "$rc" 0 "CRLF line endings: exit 0"
is_out "$good_out
{\"a\":\"x\",$(ann '' 0)}" "CRLF line endings: records written with LF"
printf '%s' "$good" >"$tmp/in"
scrub <"$tmp/in"
is "$rc" 0 "no final newline: exit 0"
is_out "$good_out" "no final newline: the last record still written, with one"
scrub </dev/null
is "$rc" 0 "empty input: exit 0"
is_out "" "empty input: no output"
is_err "" "empty input: no message"

# --max-line counts the line, not its ending
printf '{"t":"abcd"}\n' >"$tmp/in"
scrub --max-line 12 <"$tmp/in"
is "$rc" 0 "a 12-byte line under --max-line 12: exit 0"
printf '{"t":"abcd"}\r\n' >"$tmp/in"
scrub --max-line 12 <"$tmp/in"
is "$rc" 0 "a 12-byte line ended by CRLF under --max-line 12: exit 0"
scrub --max-line 11 <"$tmp/in"
is "$rc:$out" "3:" "a 12-byte line under --max-line 11: refused"
is_err "phi-scrub: error (at <stdin>:1): line longer than 11 bytes" "and said so"

# --on-error=skip: the bad lines dropped and counted, the rest written
{ printf '%s\n' "$good"; printf '{"text":"oops"\n'; printf '%s\n' "$good"; printf '[1]\n'; printf '%s\n' "$good"; } >"$tmp/in"
for j in 1 4; do
	scrub --on-error=skip -j $j <"$tmp/in"
	is "$rc" 3 "--on-error=skip -j $j: still exit 3"
	is_out "$good_out
$good_out
$good_out" "--on-error=skip -j $j: every good line written, in order"
	is_err "phi-scrub: error (at <stdin>:2): expected ',' or '}' at byte 15
phi-scrub: error (at <stdin>:4): not a JSON object
phi-scrub: 2 bad lines skipped" "--on-error=skip -j $j: each bad line reported, then counted"
done
around '{"text":"oops"'
scrub --on-error=skip <"$tmp/in"
is_err "phi-scrub: error (at <stdin>:2): expected ',' or '}' at byte 15
phi-scrub: 1 bad line skipped" "--on-error=skip: '1 bad line skipped'"
is_out "$good_out
$good_out" "--on-error=skip: the good lines around it written"
{ printf '%s\n{"text":"' "$good"; head -c 2000 /dev/zero | tr '\0' x; printf ' 869-36-0459"}\n%s\n' "$good"; } >"$tmp/in"
scrub --on-error=skip --max-line 1K <"$tmp/in"
is "$rc" 3 "--on-error=skip with an over-long line: exit 3"
is_out "$good_out
$good_out" "--on-error=skip: the line after an over-long one is read"
scrub --on-error=stop <"$tmp/in" --max-line 1K
is "$rc:$(masked "$out")" "3:$good_out" "--on-error=stop is the default behaviour"

# stop means stop, with threads too: nothing after the bad line
for i in $(seq 1 1000); do
	if [ "$i" = 300 ]; then echo '{"x":'; else echo "{\"i\":$i}"; fi
done >"$tmp/in"
for j in 1 4; do
	scrub -j $j <"$tmp/in"
	is "$rc:$(wc -l <"$tmp/out"):$(tail -n 1 "$tmp/out" | jq .i)" "3:299:299" \
		"-j $j: a bad line 300 of 1000: lines 1 to 299 written, nothing after"
	is_err "phi-scrub: error (at <stdin>:300): unexpected end of line at byte 6" "-j $j: line 300 named"
done

done_testing
