#!/bin/bash
# guard-check's modes (annotate, --fix, --drop-denied, --fail, --stats),
# tool permissions and limits, and the same output whatever the threads.
. "$(dirname "$0")/lib.sh"

# The pattern rules under test: the classifier's rules (*-model), which
# often agree with them, are tested on their own in guard-model.t.
verdict() { printf '%s\n' "$1" | jq -r '.phikit.guard | .verdict + " " + ([.violations[].rule | select(endswith("-model") | not)] | join(","))'; }

D="This is not a diagnosis or medical advice. Consult a licensed healthcare provider."
cat >"$tmp/in" <<IN
{"id":1,"text":"Gout flares can follow a rich meal."}
{"id":2,"text":"You have gout. $D"}
{"id":3,"text":"Parking is in garage B."}
{"id":4,"text":"Gout flares can follow a rich meal. Talk to your doctor."}
IN

# --fix: missing disclaimers appended (warn), what cannot be fixed stays denied
guard --fix <"$tmp/in"
is "$rc" 0 "--fix: exit 0"
is "$(jq -r '.text' <"$tmp/out" | sed -n 1p)" "Gout flares can follow a rich meal. This is not a diagnosis or medical advice. Consult a licensed healthcare provider." \
	"--fix appends both disclaimers"
is "$(jq -r '.phikit.guard | .verdict + " " + ([.violations[] | "\(.rule):\(.severity):\(.offset):\(.length)"] | join(","))' <"$tmp/out" | sed -n 1p)" \
	"warn not-medical-advice:warn:36:42,consult-provider:warn:79:39" "--fix: each fix is a warn with the span it added"
is "$(jq -r '.text' <"$tmp/out" | sed -n 4p)" "Gout flares can follow a rich meal. Talk to your doctor. This is not a diagnosis or medical advice." \
	"--fix appends only what is missing"
is "$(verdict "$(sed -n 2p "$tmp/out")")" "deny diagnosis" "--fix: a diagnosis is still denied"
is "$(masked "$(sed -n 3p "$tmp/out")")" '{"id":3,"text":"Parking is in garage B.",'"$(gann allow '')"'}' "--fix leaves a clean record byte for byte"

# --drop-denied, --fail, --stats
guard --drop-denied <"$tmp/in"
is "$(jq -c .id <"$tmp/out" | tr '\n' ' ')" "3 " "--drop-denied: denied records are not written"
guard --fail <"$tmp/in"
is "$rc" 1 "--fail: exit 1 when anything was denied"
is "$(wc -l <"$tmp/out")" 4 "--fail still writes every record, annotated"
guard --fail <<<'{"text":"Parking is in garage B."}'
is "$rc" 0 "--fail: exit 0 when nothing was denied"
guard --fail --fix --stats <"$tmp/in"
is "$rc" 1 "--fail --fix: the diagnosis still fails the run"
is "$err" "guard-check: 4 records allow=1 warn=2 ask=0 deny=1" "--stats: the verdicts on stderr"
guard --stats --drop-denied <"$tmp/in"
is "$err" "guard-check: 4 records allow=1 warn=0 ask=0 deny=3 dropped=3" "--stats counts what was dropped"

# tool calls: the HIPAA-001..003 rules and the default
tool() {	# tool WANT RECORD
	guard <<<"$2"
	is "$(verdict "$out")" "$1" "$1: $2"
}
tool "deny HIPAA-001" '{"tool":"bulk_export","agent":"etl","args":{"table":"patients","format":"csv"}}'
tool "allow " '{"tool":"bulk_export","agent":"etl","args":{"table":"patients","mode":"de-identified"}}'
tool "deny HIPAA-001" '{"tool":"db_dump"}'
tool "deny HIPAA-002" '{"tool":"web_search","agent":"clinical-summarizer","args":{"q":"gout"}}'
tool "allow " '{"tool":"web_search","agent":"marketing-bot","args":{"q":"gout"}}'
tool "ask HIPAA-003" '{"tool":"deploy","agent":"ci","args":{"env":"production"}}'
tool "allow " '{"tool":"deploy","agent":"ci","args":{"env":"staging"}}'
tool "allow " '{"tool":"ehr_lookup","agent":"clinical-assistant","args":{"id":"p-1"}}'
tool "ask HIPAA-003" '{"tool":"deploy","args" : { "env" :  "prod" }}'
# the shapes the APIs send calls in, each call on its own
oai() { printf '{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[%s]}}]%s}' "$1" "${2:-}"; }
call() { printf '{"id":"c%s","type":"function","function":{"name":"%s","arguments":%s}}' "$1" "$2" "$(jq -Rc . <<<"$3")"; }
tool "deny HIPAA-001" "$(oai "$(call 1 export_raw_data '{"table":"patients"}')")"
tool "allow " "$(oai "$(call 1 export_raw_data '{"table":"patients","mode":"de-identified"}')")"
tool "deny HIPAA-002" "$(oai "$(call 1 web_search '{"q":"gout"}')" ',"agent":"clinical-summarizer"')"
tool "deny phi-in-output,phi-in-output" "$(oai "$(call 1 web_search '{"q":"Marisol Quintero MRN 004418273"}')")"
tool "ask HIPAA-003" "$(oai "$(call 1 deploy '{"env":"production"}')")"
tool "allow " "$(oai "$(call 1 ehr_lookup '{"id":"p-1"}')")"
tool "deny HIPAA-001" "$(oai "$(call 1 ehr_lookup '{"id":"p-1"}'),$(call 2 db_dump '{}')")"
guard <<<"$(oai "$(call 1 ehr_lookup '{"id":"p-1"}'),$(call 2 db_dump '{}')")"
is "$(field "$out" '.phikit.guard.violations[0].field')" ".choices[0].message.tool_calls[1]" \
	"each call is checked on its own, and the violation names the call"
tool "deny HIPAA-001" '{"choices":[{"message":{"function_call":{"name":"db_dump","arguments":"{}"}}}]}'
tool "deny HIPAA-001" "$(oai "$(call 1 export_raw_data 'not json at all')")"
# the Responses API: function calls and built-in tools
tool "deny HIPAA-001" '{"output":[{"type":"message","content":[{"type":"output_text","text":"Exporting now."}]},{"type":"function_call","call_id":"c1","name":"exportPatients","arguments":"{}"}]}'
tool "deny HIPAA-002" '{"agent":"phi-intake","output":[{"type":"web_search_call","id":"ws_1","status":"completed"}]}'
# names as the policy's rules read them: case, spacing, camelCase, separators
for name in Export_Raw_Data 'export_raw_data ' exportRawData export-raw-data 'EXPORT RAW DATA'; do
	tool "deny HIPAA-001" "$(oai "$(call 1 "$name" '{}')")"
	tool "deny HIPAA-001" "{\"tool\":\"$name\"}"
done
# the argument's value decides, not a mention of the word
tool "deny HIPAA-001" '{"tool":"bulk_export","args":{"deidentified":false}}'
tool "allow " '{"tool":"bulk_export","args":{"deidentified":true}}'
tool "deny HIPAA-001" '{"tool":"bulk_export","args":{"note":"NOT de-identified"}}'
tool "deny HIPAA-001" '{"tool":"bulk_export","args":"raw, not de-identified"}'
tool "allow " '{"tool":"bulk_export","args":"de-identified"}'
tool "deny HIPAA-001" '{"tool":"exportPatients","args":{"ward":"4B"}}'
tool "allow " '{"tool":"exportPatients","args":{"ward":"4B","de_identified":true}}'
tool "allow " '{"tool":"reportExporter_status"}'
tool "ask HIPAA-003" '{"tool":"deploy","args":{"env":"prod_us"}}'
tool "ask HIPAA-003" '{"tool":"rollout","args":{"target":"eu-production"}}'
tool "allow " '{"tool":"deploy","args":{"env":"products-staging"}}'
guard <<<'{"tool":"web_search","agent":"phi-intake","args":{}}'
is "$(field "$out" '.phikit.guard.violations[0] | .kind + " | " + .reason')" \
	"permission | a query can carry PHI to a search provider with no business associate agreement" "a permission violation carries its reason"

# precedence and default, with a policy of our own
cat >"$tmp/perm.yaml" <<'Y'
name: perm
permissions:
  default: ask
  rules:
    - {id: ok-read, when: {tool: '^read'}, behavior: allow, reason: reads are fine}
    - {id: no-secret, when: {args_pattern: 'secret'}, behavior: deny, reason: never secrets}
    - {id: slow-read, when: {tool: '^read_big'}, behavior: ask, reason: big reads are reviewed}
Y
ptool() { run "$GUARD_CHECK" -p "$tmp/perm.yaml" <<<"$2"; is "$(verdict "$out")" "$1" "precedence: $1: $2"; }
ptool "allow " '{"tool":"read_file","args":{}}'
ptool "deny no-secret" '{"tool":"read_file","args":{"p":"secret"}}'
ptool "deny no-secret,slow-read" '{"tool":"read_big","args":{"p":"secret"}}'
ptool "ask slow-read" '{"tool":"read_big","args":{}}'
ptool "ask permissions.default" '{"tool":"write_file","args":{}}'
ptool "allow " '{"text":"no tool here"}'

# limits, with a policy of our own
cat >"$tmp/lim.yaml" <<'Y'
name: lim
limits:
  max_output_chars: 10
  long_output: truncate
  truncate_marker: "…[cut]"
  cost_field: cost
  max_run_cost: 1.5
  max_run_records: 3
  max_runs: 2
  citation: "45 CFR 164.502(b)"
Y
lim() { run "$GUARD_CHECK" -p "$tmp/lim.yaml" "$@"; }
lim <<<'{"text":"0123456789abc"}'
is "$(verdict "$out")" "deny limits.max_output_chars" "over max_output_chars: denied without --fix"
lim --fix <<<'{"text":"0123456789abcé"}'
is "$(masked "$out")" '{"text":"0123456789…[cut]","phikit":{"guard":{"verdict":"warn","violations":[{"rule":"limits.max_output_chars","kind":"limit","citation":"45 CFR 164.502(b)","severity":"warn","field":".text","offset":10,"length":4}],"policy":"lim","policy_sha256":"'"$(sha256sum "$tmp/lim.yaml" | cut -d' ' -f1)"'","content_sha256":"OUT"}}}' \
	"--fix truncates to max_output_chars code points and adds the marker"
for i in 1 2 3 4 5; do echo "{\"run_id\":\"r1\",\"text\":\"a$i\"}"; done >"$tmp/run"
lim <"$tmp/run"
is "$(jq -r '.phikit.guard.verdict' <"$tmp/out" | tr '\n' ' ')" "allow allow allow deny deny " "max_run_records: the records past the cap are denied"
is "$(sed -n 4p "$tmp/out" | jq -c '.phikit.guard.violations')" '[{"rule":"limits.max_run_records","kind":"limit","citation":"45 CFR 164.502(b)","severity":"deny"}]' \
	"the cap's violation"
lim -j 4 <"$tmp/run"
is "$(jq -r '.phikit.guard.verdict' <"$tmp/out" | tr '\n' ' ')" "allow allow allow deny deny " "max_run_records counts in input order with 4 threads"
printf '%s\n' '{"run_id":"a","usage":{"cost":1},"text":"x"}' '{"run_id":"b","usage":{"cost":1},"text":"x"}' \
	'{"run_id":"a","usage":{"cost":0.5},"text":"x"}' '{"run_id":"a","usage":{"cost":0.01},"text":"x"}' \
	'{"run_id":"a","text":"x"}' >"$tmp/cost"
lim <"$tmp/cost"
is "$(jq -r '.phikit.guard | .verdict + ":" + ([.violations[].rule] | join(","))' <"$tmp/out" | tr '\n' ' ')" \
	"allow: allow: allow: deny:limits.max_run_cost deny:limits.max_run_records,limits.max_run_cost " "max_run_cost: a run past its budget is denied from then on; both limits reported"
printf '%s\n' '{"run_id":"a","text":"x"}' '{"run_id":"a","text":"x"}' '{"run_id":"b","text":"x"}' \
	'{"run_id":"c","text":"x"}' '{"run_id":"a","text":"x"}' '{"run_id":"a","text":"x"}' >"$tmp/lru"
lim --stats <"$tmp/lru"
is "$(jq -r '.phikit.guard.verdict' <"$tmp/out" | tr '\n' ' ')" "allow allow allow allow allow allow " \
	"max_runs: 2 runs remembered; a forgotten run starts counting again"
is "$err" "guard-check: 6 records allow=6 warn=0 ask=0 deny=0 runs_forgotten=2" "--stats says how many runs were forgotten (c pushed out a, a pushed out b)"
lim <<<'{"run_id":"a","usage":{"cost":"1"},"text":"x"}'
is "$rc" 3 "a cost that is not a number is bad input"
is "$err" "guard-check: error (at <stdin>:1): usage.cost must be a number from 0 up" "... and says so"
lim <<<'{"run_id":"a","usage":[1],"text":"x"}'
is "$err" "guard-check: error (at <stdin>:1): usage must be an object" "usage that is not an object is bad input"

# threads: the same bytes whatever -j
corpus=$top/../shared/corpus/guard-dev.jsonl
[ -r "$corpus" ] || corpus=$top/tests/corpus/guard-heldout.jsonl
"$GUARD_CHECK" -p "$POLICY" -j 1 <"$corpus" >"$tmp/j1"
"$GUARD_CHECK" -p "$POLICY" -j 4 <"$corpus" >"$tmp/j4"
cmp -s "$tmp/j1" "$tmp/j4"; ok $? "-j 4 writes the same bytes as -j 1"
"$GUARD_CHECK" -p "$POLICY" -j 4 --drop-denied --fix <"$corpus" >"$tmp/j4"
"$GUARD_CHECK" -p "$POLICY" -j 1 --drop-denied --fix <"$corpus" >"$tmp/j1"
cmp -s "$tmp/j1" "$tmp/j4"; ok $? "--drop-denied --fix: the same with 1 and 4 threads"
done_testing
