#!/bin/bash
# guard-check's sentence classifier (lib/gclf, data/guard-sentences.clf):
# the preset's diagnosis-model, prescribing-model and claim-model rules on
# their own (the pattern rules for those kinds turned off), both sides;
# the violation names the rule and the sentence's span, never its text;
# a missing, corrupt or wrong model stops guard-check at start-up.
. "$(dirname "$0")/lib.sh"

D="This is not a diagnosis or medical advice. Consult a licensed healthcare provider."
cat >"$tmp/model.yaml" <<Y
extends: $POLICY
prohibited_output:
  - {id: diagnosis, enabled: false}
  - {id: diagnosis-evidence, enabled: false}
  - {id: prescribing, enabled: false}
  - {id: prescribing-regimen, enabled: false}
  - {id: prescribing-advice, enabled: false}
  - {id: efficacy-claim, enabled: false}
Y
check() {	# check WANT TEXT, with the model's rules alone
	run "$GUARD_CHECK" -p "$tmp/model.yaml" <<<"$(jq -cn --arg t "$2 $D" '{text: $t}')"
	is "$(verdict "$out")" "$1" "$1: $2"
}
check "deny prescribing-model" "Tablet Escitalopram 10 mg at night."
check "deny prescribing-model" "Take 400 mg of ibuprofen every six hours."
check "deny diagnosis-model" "You have gout."
check "deny claim-model" "This herbal tea is clinically proven to cure diabetes."
check "allow " "Take a short walk after meals."
check "allow " "Doctors often prescribe amoxicillin for ear infections."
check "allow " "Pneumonia is an infection of the lungs."
check "allow " "His doctor gave him 5 mg of melatonin last year."
check "allow " "No supplement is clinically proven to cure arthritis."
check "allow " "Is it clinically proven to treat migraine?"
check "allow " "The leaflet says \"take 400 mg of ibuprofen every six hours\"."

# where, and never what: the sentence's span in code points
run "$GUARD_CHECK" -p "$tmp/model.yaml" <<<'{"text":"Café. You have gout. '"$D"'"}'
is "$(field "$out" '.phikit.guard.violations[0] | [.rule, .kind, .citation, .severity, .field, .offset, .length] | map(tostring) | join("|")')" \
	"diagnosis-model|diagnosis|21 U.S.C. 321(h)(1); FD&C Act 520(o)(1)(E)|deny|.text|6|14" \
	"a model's violation: rule, kind, citation, severity, field, sentence span"
unlike "$out" "*gout*gout*" "the sentence's text is not in the annotation"

# a model that is missing, corrupt or not the one named: exit 2 at start-up
site() {	# site MODEL LABEL: a policy whose prescribing-model reads MODEL
	cat >"$tmp/site.yaml" <<Y
extends: $POLICY
prohibited_output:
  - id: prescribing-model
    kind: prescribing
    citation: "21 U.S.C. 353(b)(1)"
    severity: deny
    classifier: $1
    label: $2
    threshold: 0.9
Y
}
site "$tmp/none.clf" prescribing
run "$GUARD_CHECK" -p "$tmp/site.yaml" <<<'{"text":"ok"}'
is "$rc" 2 "a missing model: exit 2"
is "$err" "guard-check: model $tmp/none.clf: No such file or directory" "a missing model: named"
is "$out" "" "a missing model: nothing is passed on"
head -c 200 "$top/data/guard-sentences.clf" >"$tmp/short.clf"
site "$tmp/short.clf" prescribing
run "$GUARD_CHECK" -p "$tmp/site.yaml" <<<'{"text":"ok"}'
is "$rc" 2 "a truncated model: exit 2"
like "$err" "guard-check: model $tmp/short.clf: *" "a truncated model: named"
cp "$top/data/guard-sentences.clf" "$tmp/flip.clf"
printf 'x' | dd of="$tmp/flip.clf" bs=1 seek=5000 conv=notrunc 2>/dev/null
site "$tmp/flip.clf" prescribing
run "$GUARD_CHECK" -p "$tmp/site.yaml" <<<'{"text":"ok"}'
is "$rc" 2 "a corrupt model: exit 2"
is "$err" "guard-check: model $tmp/flip.clf: corrupt (its checksum does not match)" "a corrupt model: named, and why"
echo "not a model" >"$tmp/text.clf"
site "$tmp/text.clf" prescribing
run "$GUARD_CHECK" -p "$tmp/site.yaml" <<<'{"text":"ok"}'
is "$err" "guard-check: model $tmp/text.clf: not a phikit model file" "not a model file: exit 2 ($rc) and why"
site "$top/data/guard-sentences.clf" dosing
run "$GUARD_CHECK" -p "$tmp/site.yaml" <<<'{"text":"ok"}'
is "$rc" 2 "a label the model does not have: exit 2"
is "$err" "guard-check: rule 'prescribing-model': the model $top/data/guard-sentences.clf has no label 'dosing'" \
	"a label the model does not have: the rule and the label named"

# the loader: a classifier rule needs its label and threshold
cat >"$tmp/p.yaml" <<'Y'
prohibited_output:
  - id: m
    citation: "x"
    severity: deny
    classifier: /nonexistent.clf
    threshold: 0.9
Y
run "$GUARD_CHECK" -p "$tmp/p.yaml" </dev/null
is "$err" "guard-check: $tmp/p.yaml:2:9: a classifier rule needs a label and a threshold" "no label: where and what"
cat >"$tmp/p.yaml" <<'Y'
prohibited_output:
  - id: m
    citation: "x"
    severity: deny
    classifier: /nonexistent.clf
    label: prescribing
    threshold: 1.5
Y
run "$GUARD_CHECK" -p "$tmp/p.yaml" </dev/null
is "$rc" 2 "a threshold out of range: exit 2"
is "$err" "guard-check: $tmp/p.yaml:7:16: threshold must be a number between 0 and 1" "a threshold out of range: where and what"
cat >"$tmp/p.yaml" <<'Y'
prohibited_output:
  - id: m
    citation: "x"
    severity: deny
    names: some
    detect: phi
Y
run "$GUARD_CHECK" -p "$tmp/p.yaml" </dev/null
is "$err" "guard-check: $tmp/p.yaml:5:12: names must be cued or all" "names: cued or all"
done_testing
