#!/bin/bash
# Options, help, version, usage errors, I/O errors, streaming.
. "$(dirname "$0")/lib.sh"

usage='usage: phi-scrub [-hV] [-j jobs] [-p policy] [-m tag|mask|pseudonym] [-k keyfile]
                 [-f path]... [--keep-year] [--date-shift] [--report]
                 [--vault db] [--vault-key keyfile] [--on-error=stop|skip]
                 [--max-line bytes] [--stats] [file ...]'

for h in -h --help; do
	run "$PHI_SCRUB" $h
	is "$rc" 0 "$h: exit 0"
	is_out "$usage" "$h: usage on stdout"
	is_err "" "$h: nothing on stderr"
done
for v in -V --version; do
	run "$PHI_SCRUB" $v
	is "$rc" 0 "$v: exit 0"
	is_out "phi-scrub (phikit) 0.1.0" "$v: name, toolkit and version"
done

# usage errors: exit 2, the reason and the usage on stderr, nothing read
run env PATH="$bin:$PATH" phi-scrub --bogus </dev/null
is "$rc:$out" "2:" "an unknown long option: exit 2, nothing on stdout"
is_err "phi-scrub: unrecognized option '--bogus'
$usage" "an unknown long option: named, then the usage"
run env PATH="$bin:$PATH" phi-scrub -x </dev/null
is "$rc" 2 "an unknown short option: exit 2"
is_err "phi-scrub: invalid option -- 'x'
$usage" "an unknown short option: named, then the usage"
run env PATH="$bin:$PATH" phi-scrub -p </dev/null
is "$rc" 2 "a missing argument: exit 2"

u() {	# u WANT-ERROR ARGS...: a usage error
	local want=$1
	shift
	scrub "$@" <<<'{"t":"SSN 869-36-0459"}'
	is "$rc:$out" "2:" "$*: exit 2, nothing written"
	is_err "$want" "$*: said so"
}
u "phi-scrub: unknown mode 'redact' (tag, mask or pseudonym)" -m redact
u "phi-scrub: bad --jobs '0' (1 to 64)" -j 0
u "phi-scrub: bad --jobs '65' (1 to 64)" -j 65
u "phi-scrub: bad --jobs 'two' (1 to 64)" --jobs=two
u "phi-scrub: bad --max-line '0'" --max-line 0
u "phi-scrub: bad --max-line '1G'" --max-line 1G
u "phi-scrub: bad --max-line '-5'" --max-line=-5
u "phi-scrub: --on-error takes stop or skip, not 'maybe'" --on-error=maybe
u "phi-scrub: unknown mode 'redact' (tag, mask or pseudonym)" -f .t -m redact
u "phi-scrub: $tmp/none.yaml: No such file or directory" -f .t -p "$tmp/none.yaml"

# I/O errors: exit 4
printf '{"t":"SSN 869-36-0459"}\n' >"$tmp/in"
for j in 1 4; do
	"$PHI_SCRUB" -p "$POLICY" -j $j <"$tmp/in" >&- 2>"$tmp/err"
	is "$?" 4 "-j $j: a closed stdout: exit 4"
	like "$(cat "$tmp/err")" "*write error: Bad file descriptor" "-j $j: a closed stdout: reported"
	unlike "$(cat "$tmp/err")" "*error (at *" "-j $j: a closed stdout: not blamed on an input line"
	"$PHI_SCRUB" -p "$POLICY" -j $j <"$tmp/in" >/dev/full 2>"$tmp/err"
	is "$?" 4 "-j $j: a full disk: exit 4"
	like "$(cat "$tmp/err")" "*write error: No space left on device" "-j $j: a full disk: reported"
done
yes '{"t":"SSN 869-36-0459"}' | head -n 20000 >"$tmp/many"
for j in 1 4; do
	"$PHI_SCRUB" -p "$POLICY" -j $j "$tmp/many" 2>"$tmp/err" | head -c0
	is "${PIPESTATUS[0]}" 4 "-j $j: a reader that goes away: exit 4"
	like "$(cat "$tmp/err")" "*write error: Broken pipe" "-j $j: a reader that goes away: reported"
done
"$PHI_SCRUB" -h >&- 2>/dev/null
is "$?" 4 "-h to a closed stdout: exit 4"

scrub "$tmp/none.jsonl"
is "$rc:$out" "4:" "an input file that does not exist: exit 4"
is_err "phi-scrub: $tmp/none.jsonl: No such file or directory" "an input file that does not exist: said so"
mkdir "$tmp/dir"
scrub "$tmp/dir"
is "$rc:$out" "4:" "a directory as input: exit 4"
like "$err" "*$tmp/dir*Is a directory" "a directory as input: said so"

# a pipeline never stalls: each record comes out before the next goes in
for j in 1 4; do
	coproc SCRUB { "$PHI_SCRUB" -p "$POLICY" -j $j 2>/dev/null; }
	echo '{"t":"SSN 869-36-0459"}' >&"${SCRUB[1]}"
	line=
	read -t 10 -r line <&"${SCRUB[0]}"
	is "$(masked "$line")" '{"t":"SSN [SSN]",'"$(ann '"SSN":1' 1)"'}' "-j $j: a record is written while the input stays open"
	echo '{"t":"call (857) 261-9798"}' >&"${SCRUB[1]}"
	line=
	read -t 10 -r line <&"${SCRUB[0]}"
	is "$(masked "$line")" '{"t":"call [PHONE]",'"$(ann '"PHONE":1' 1)"'}' "-j $j: and the next one"
	fd=${SCRUB[1]}
	exec {fd}>&-
	wait "$SCRUB_PID"
	is "$?" 0 "-j $j: exit 0 at the end of input"
done

done_testing
