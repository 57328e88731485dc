# tests/cli/lib.sh — sourced by every tests/cli/*.t: TAP output, running
# phi-scrub and capturing what it does, exact comparisons.
#
#   plan N                  optional: "1..N" up front
#   ok STATUS NAME          passes when STATUS is 0
#   is GOT WANT NAME        string equality
#   isnt GOT UNWANTED NAME
#   like GOT GLOB NAME      a shell pattern: like "$err" "*chmod 600*" ...
#   unlike GOT GLOB NAME
#   run CMD...              runs CMD; sets rc, out, err (trailing newlines
#                           stripped) and keeps the raw bytes in $tmp/out
#                           and $tmp/err
#   scrub ARGS...           run phi-scrub -p the HIPAA preset ARGS...
#   is_out WANT NAME        the exact bytes of stdout: WANT then one newline
#                           (nothing at all when WANT is empty)
#   is_err WANT NAME        the same for stderr
#   ann COUNTS TOTAL [MODE] the phikit annotation phi-scrub adds with the
#                           preset: ann '"SSN":1' 1
#   field JSON-LINE FILTER  jq -r FILTER on one line
#   done_testing            the plan if none was given; exit status
#
# $top is the source tree, $bin its programs, $POLICY the preset, $n the
# number of the last test (a test that skips prints "ok $((n+1)) # skip"
# and counts it). Each test runs with a fresh temporary directory, $tmp,
# removed at exit.

top=${PHIKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PHIKIT_BIN:-$top/bin}
POLICY=$top/policies/hipaa.yaml
PHI_SCRUB=$bin/phi-scrub
tmp=$(mktemp -d "${TMPDIR:-/tmp}/phikit-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C
unset PHIKIT_POLICY PHIKIT_SCRUB_KEY PHIKIT_VAULT_KEY_FILE

n=0 failed=0 _planned=

plan() { _planned=$1; echo "1..$1"; }

_diag() {	# _diag LABEL TEXT: TEXT as TAP comments, line by line
	printf '%s\n' "$2" | sed "s/^/#   $1 /"
}

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ] 2>/dev/null; then
		echo "ok $n - $2"
		return 0
	fi
	echo "not ok $n - $2"
	failed=$((failed + 1))
	return 1
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		_diag "got: " "$1"
		_diag "want:" "$2"
		return 1
	fi
}

isnt() {
	if [ "$1" != "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		_diag "got, unwanted:" "$1"
		return 1
	fi
}

like() {
	# shellcheck disable=SC2053
	if [[ $1 == $2 ]]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		_diag "got:    " "$1"
		_diag "pattern:" "$2"
		return 1
	fi
}

unlike() {
	# shellcheck disable=SC2053
	if [[ $1 != $2 ]]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		_diag "got:          " "$1"
		_diag "should not be:" "$2"
		return 1
	fi
}

run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

scrub() { run "$PHI_SCRUB" -p "$POLICY" "$@"; }

field() { printf '%s\n' "$1" | jq -r "$2"; }

_is_file() {	# _is_file FILE WANT NAME
	if [ -n "$2" ]; then
		printf '%s\n' "$2" >"$tmp/want"
	else
		: >"$tmp/want"
	fi
	if cmp -s "$1" "$tmp/want"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		_diag "got: " "$(head -c 4000 "$1")"
		_diag "want:" "$(head -c 4000 "$tmp/want")"
		[ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] ||
			echo "#   (got does not end with a newline)"
		return 1
	fi
}

# The content hashes phikit binds into phikit.scrub and phikit.guard are
# checked (tests/cli/binding.py, from lib/bind.h's definition, not phikit's
# code) and masked as "IN" and "OUT", so an exact comparison can be written.
is_out() {
	if grep -q '"content_sha256"' "$tmp/out" 2>/dev/null; then
		if ! "$top/tests/cli/binding.py" <"$tmp/out" >"$tmp/out.masked" 2>"$tmp/binding.err"; then
			ok 1 "$2"
			_diag "binding:" "$(cat "$tmp/binding.err")"
			return 1
		fi
		_is_file "$tmp/out.masked" "$1" "$2"
	else
		_is_file "$tmp/out" "$1" "$2"
	fi
}
# masked LINE...: the lines with their content hashes checked and masked
masked() { printf '%s\n' "$@" | "$top/tests/cli/binding.py"; }
is_err() { _is_file "$tmp/err" "$1" "$2"; }

POLICY_SHA=$(sha256sum "$POLICY" | cut -d' ' -f1)

ann() {	# ann COUNTS TOTAL [MODE [FIELDS]]
	printf '"phikit":{"scrub":%s}' "$(sann "$@")"
}
sann() {	# sann COUNTS TOTAL [MODE [FIELDS]]: phikit.scrub's value
	printf '{"policy":"hipaa","policy_sha256":"%s","mode":"%s","fields":[%s],"counts":{%s},"total":%s,"input_sha256":"IN","content_sha256":"OUT"}' \
		"$POLICY_SHA" "${3:-tag}" "${4:-\".\"}" "$1" "$2"
}

done_testing() {
	if [ -z "$_planned" ]; then
		echo "1..$n"
	elif [ "$_planned" -ne "$n" ]; then
		echo "# planned $_planned tests but ran $n"
		return 1
	fi
	[ "$failed" -eq 0 ]
}

# ---- the audit ledger (tests/cli/ledger*.t) ----
#   ledger_init             $LA $LV $LADM $TEX name the ledger programs; a
#                           policy without require_scrubbed is PHIKIT_POLICY;
#                           no PHIKIT_DB, PHIKIT_LEDGER_* from outside
#   newkey NAME             a signing key in $tmp/NAME.key; $vkey its verifier key
#   leafhash ENTRY-JSON     SHA-256(0x00 || jq -cS ENTRY), hex: the leaf hash as
#                           phikit-ledger(5) defines it, computed without phikit
#   entry_json DB SEQ       the entry at SEQ as a JSON object, from sqlite3
ledger_init() {
	LA=$bin/ledger-append LV=$bin/ledger-verify LADM=$bin/ledger-admin TEX=$bin/trace-export
	printf 'name: plain\nversion: 1\nledger:\n  require_scrubbed: false\n' >"$tmp/plain.yaml"
	export PHIKIT_POLICY=$tmp/plain.yaml
	unset PHIKIT_DB PHIKIT_LEDGER_KEY PHIKIT_LEDGER_ORIGIN PHIKIT_DB_TIMEOUT_MS
}

newkey() {
	vkey=$("$bin/ledger-admin" keygen --name "$1" -o "$tmp/$1.key" 2>/dev/null)
}

leafhash() {
	{ printf '\0'; printf '%s' "$1" | jq -cSj .; } | sha256sum | cut -d' ' -f1
}

entry_json() {
	sqlite3 -json "$1" "SELECT 1 AS v, seq, run_id, run_seq, run_prev, ts, actor, kind,
	    payload_sha256 FROM entries WHERE seq = $2" | jq -cS '.[0]'
}

# guard-check: guard ARGS... runs it with the preset; gann VERDICT
# VIOLATIONS is the phikit.guard annotation it writes with the preset;
# verdict LINE prints "verdict rule,rule..." of one output line.
GUARD_CHECK=$bin/guard-check
guard() { run "$GUARD_CHECK" -p "$POLICY" "$@"; }
gann() {	# gann VERDICT VIOLATIONS-JSON
	printf '"phikit":{"guard":{"verdict":"%s","violations":[%s],"policy":"hipaa","policy_sha256":"%s","content_sha256":"OUT"}}' \
		"$1" "$2" "$POLICY_SHA"
}
verdict() { printf '%s\n' "$1" | jq -r '.phikit.guard | .verdict + " " + ([.violations[].rule] | join(","))'; }

# checked JSON...: each record through phi-scrub and guard-check with the
# preset, as the documented pipeline leaves it (bound annotations).
checked() { printf '%s\n' "$@" | "$bin/phi-scrub" -p "$POLICY" | "$bin/guard-check" -p "$POLICY"; }
# bound VERDICT JSON: the record (no phikit member) with hand-written
# phikit.scrub and phikit.guard bound to its content, as lib/bind.h
# defines it: for the gate's own checks, on records guard-check would refuse.
bound() {
	local h
	h=$(printf '%s' "$2" | sha256sum | cut -d' ' -f1)
	printf '%s,"phikit":{"scrub":{"fields":["."],"input_sha256":"%s","content_sha256":"%s"},"guard":{"verdict":"%s","violations":[],"content_sha256":"%s"}}}\n' \
		"${2%\}}" "$h" "$h" "$1" "$h"
}
