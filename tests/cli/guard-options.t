#!/bin/bash
# guard-check's command line: help, version, usage errors (exit 2,
# nothing read), files and "-".
. "$(dirname "$0")/lib.sh"

run "$GUARD_CHECK" --help
is "$rc" 0 "--help: exit 0"
like "$out" "usage: guard-check *" "--help: usage on stdout"
is "$err" "" "--help: nothing on stderr"
run "$GUARD_CHECK" --version
is "$out:$rc" "guard-check (phikit) 0.1.0:0" "--version"
guard --bogus </dev/null
is "$rc" 2 "an unknown option: exit 2"
like "$err" "*usage: guard-check*" "an unknown option: usage on stderr"
guard -j 0 </dev/null
is "$rc:$err" "2:guard-check: bad --jobs '0' (1 to 64)" "-j 0"
guard --on-error=maybe </dev/null
is "$rc:$err" "2:guard-check: --on-error takes stop or skip, not 'maybe'" "--on-error=maybe"
guard -f text </dev/null
is "$rc:$err" "2:guard-check: bad field path 'text' (try .text or .messages[].content)" "-f without the leading dot"
guard --max-line 0 </dev/null
is "$rc:$err" "2:guard-check: bad --max-line '0'" "--max-line 0"
run "$GUARD_CHECK" -p "$tmp/none.yaml" </dev/null
is "$rc:$err" "2:guard-check: $tmp/none.yaml: No such file or directory" "a missing policy: exit 2"
PHIKIT_POLICY=$POLICY run "$GUARD_CHECK" <<<'{"text":"ok"}'
is "$rc" 0 "PHIKIT_POLICY names the default policy"

# files, "-", a missing file
printf '%s\n' '{"text":"a"}' >"$tmp/a.jsonl"
printf '%s\n' '{"text":"b"}' >"$tmp/b.jsonl"
guard "$tmp/a.jsonl" - "$tmp/b.jsonl" <<<'{"text":"stdin"}'
is "$(jq -r .text <"$tmp/out" | tr '\n' ' ')" "a stdin b " "files and - in order"
guard "$tmp/a.jsonl" "$tmp/missing.jsonl" "$tmp/b.jsonl"
is "$rc" 4 "a missing file: exit 4"
is "$err" "guard-check: $tmp/missing.jsonl: No such file or directory" "a missing file: said so"
is "$(masked "$out")" '{"text":"a",'"$(gann allow '')"'}' "a missing file: what came before is written, nothing after"
printf '%s\n' '{"text":"a"}' '{"text":"b' >"$tmp/c.jsonl"
guard "$tmp/c.jsonl"
is "$err" "guard-check: error (at $tmp/c.jsonl:2): unterminated string at byte 11" "bad input in a file names the file"
done_testing
