# Shared by the CLI tests: TAP output, running phi-scrub, comparing.
# Each test sources this, calls the helpers, and ends with done_testing.
top=${PHIKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
bin=${PHIKIT_BIN:-$top/bin}
POLICY=$top/policies/hipaa.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0 failed=0

ok() {	# ok CONDITION-STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
	fi
}

is() {	# is GOT WANT NAME
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

# scrub [ARGS...] <input: runs phi-scrub with the preset; sets out, err, rc
scrub() {
	"$bin/phi-scrub" -p "$POLICY" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# field JSON-LINE PATH: a value of the output, with jq
field() { printf '%s\n' "$1" | jq -r "$2"; }

done_testing() {
	echo "1..$n"
	[ "$failed" -eq 0 ]
}
