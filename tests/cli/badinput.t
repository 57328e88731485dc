#!/bin/bash
# Bad input: a clear error with the line number, exit 3, and nothing of the
# bad line (nor, by default, anything after it) on stdout.
. "$(dirname "$0")/lib.sh"

good='{"text":"SSN 869-36-0459"}'
bad() {	# bad NAME INPUT-FILE WANT-ERROR
	scrub <"$2"
	is "$rc" 3 "$1: exit 3"
	is "$err" "$3" "$1: message names the line"
	is "$out" '{"text":"SSN [SSN]","phikit":{"scrub":{"policy":"hipaa","policy_sha256":"'"$(sha256sum "$POLICY" | cut -d' ' -f1)"'","mode":"tag","counts":{"SSN":1},"total":1}}}' \
		"$1: the good line before it written, nothing after"
}
line() { printf '%s\n' "$good"; printf "$1"; printf '\n%s\n' "$good"; }

line '{"text":"869-36-0459",}' >"$tmp/in"; bad "malformed JSON" "$tmp/in" 'phi-scrub: error (at <stdin>:2): expected a key at byte 23'
line '[1,2]' >"$tmp/in"; bad "a non-object line" "$tmp/in" 'phi-scrub: error (at <stdin>:2): not a JSON object'
line '{"text":"869-36-0459 \xff"}' >"$tmp/in"; bad "invalid UTF-8" "$tmp/in" 'phi-scrub: error (at <stdin>:2): invalid UTF-8 at byte 22'
line '{"text":"869-36-0459\\u0000x"}' >"$tmp/in"
scrub <"$tmp/in"
is "$rc" 0 "an escaped NUL (\\u0000) in a string is valid JSON"
printf '%s\n{"text":"869-36-0459 \0"}\n%s\n' "$good" "$good" >"$tmp/in"
bad "a raw NUL byte" "$tmp/in" 'phi-scrub: error (at <stdin>:2): NUL byte at byte 22'
line '' >"$tmp/in"; bad "an empty line" "$tmp/in" 'phi-scrub: error (at <stdin>:2): empty line'
line '{"run_id":"has space","text":"869-36-0459"}' >"$tmp/in"
bad "a run_id that is no identifier" "$tmp/in" 'phi-scrub: error (at <stdin>:2): run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -'

{ printf '%s\n{"text":"' "$good"; head -c 2000 /dev/zero | tr '\0' 'x'; printf ' 869-36-0459"}\n%s\n' "$good"; } >"$tmp/in"
scrub --max-line 1K <"$tmp/in"
is "$rc:$err" "3:phi-scrub: error (at <stdin>:2): line longer than 1024 bytes" "a line over --max-line is refused"
case $out in *869-36-0459*|*xxxx*) ok 1 "nothing of the long line leaks";; *) ok 0 "nothing of the long line leaks";; esac

{ printf '{"a":'; head -c 100000 /dev/zero | tr '\0' '['; printf '\n'; } >"$tmp/in"
scrub <"$tmp/in"
is "$rc:$err" "3:phi-scrub: error (at <stdin>:1): nesting deeper than 512 levels" "nesting 100,000 deep: an error, no crash"

line '{"text":"oops"' >"$tmp/in"
scrub --on-error=skip <"$tmp/in"
is "$rc" 3 "--on-error=skip still exits 3"
is "$(printf '%s\n' "$out" | wc -l)" 2 "--on-error=skip writes the good lines around the bad one"
is "$err" "$(printf 'phi-scrub: error (at <stdin>:2): expected %s at byte 15\nphi-scrub: 1 bad line skipped' "',' or '}'")" \
	"--on-error=skip reports the line and counts it"
scrub --on-error=maybe </dev/null
is "$rc" 2 "--on-error takes stop or skip"

"$bin/phi-scrub" -p "$POLICY" "$top/examples/notes.jsonl" >&- 2>"$tmp/err"
is "$?" 4 "a closed stdout is exit 4"
case $(cat "$tmp/err") in *"write error: Bad file descriptor"*) ok 0 "and is reported";; *) ok 1 "and is reported";; esac

"$bin/phi-scrub" -p "$POLICY" /nonexistent 2>"$tmp/err" >/dev/null
is "$?:$(cat "$tmp/err")" "4:phi-scrub: /nonexistent: No such file or directory" "an unreadable input file is exit 4"

done_testing
