#!/bin/bash
# Policies: errors that name file:line:column, layering with extends, a
# site's own rules, and a pathological pattern that fails closed.
. "$(dirname "$0")/lib.sh"

pol() { cat >"$tmp/$1"; }
run() { "$bin/phi-scrub" -p "$tmp/$1" >"$tmp/out" 2>"$tmp/err"; rc=$?; out=$(cat "$tmp/out"); err=$(cat "$tmp/err"); }

pol bad.yaml <<EOF2
extends: $POLICY
scrub:
  rules:
    - id: x
      category: MRN
      patern: 'x'
EOF2
run bad.yaml </dev/null
is "$rc:$err" "2:phi-scrub: $tmp/bad.yaml:6:7: unknown key 'patern' in a rule" "an unknown key names file:line:column"

pol badpat.yaml <<'EOF2'
name: x
scrub:
  rules:
    - id: y
      category: MRN
      pattern: 'a(b'
EOF2
run badpat.yaml </dev/null
is "$rc:$err" "2:phi-scrub: $tmp/badpat.yaml:6:16: rule 'y': bad pattern at offset 3: missing closing parenthesis" \
	"a bad pattern names file:line:column and the offset"

pol badcat.yaml <<'EOF2'
scrub:
  rules:
    - {id: z, category: PERSON, pattern: 'x'}
EOF2
run badcat.yaml </dev/null
is "$rc:$err" "2:phi-scrub: $tmp/badcat.yaml:3:25: unknown category 'PERSON'" "an unknown category"

pol yaml.yaml <<'EOF2'
scrub: [unclosed
EOF2
run yaml.yaml </dev/null
is "$rc" 2 "malformed YAML is a policy error"
case $err in "phi-scrub: $tmp/yaml.yaml:2:1: "*) ok 0 "and names where";; *) ok 1 "and names where"; echo "# $err";; esac

"$bin/phi-scrub" -p "$tmp/none.yaml" </dev/null 2>"$tmp/err"
is "$?:$(cat "$tmp/err")" "2:phi-scrub: $tmp/none.yaml: No such file or directory" "a missing policy"

pol site.yaml <<EOF2
name: general-hospital
extends: $POLICY
scrub:
  rules:
    - id: site-mrn
      category: MRN
      pattern: '\bH\d{7}\b'
  names:
    not_names: [Nightingale]
EOF2
run site.yaml <<<'{"text":"Re H2289011: Ms. Rivera on Nightingale ward, seen 03/02/2024."}'
is "$rc:$(field "$out" '.text + " " + .phikit.scrub.policy')" \
	"0:Re [MRN]: Ms. [NAME] on Nightingale ward, seen [DATE]. general-hospital" \
	"a site policy extends hipaa: its MRN format, hipaa's rules, its own words"
scrub <<<'{"text":"Re H2289011"}'
is "$(field "$out" .text)" "Re [ID]" "without the site policy it is still removed, as a generic code"
is "$(printf '%s' "$out" | jq -r .phikit.scrub.policy_sha256)" "$(sha256sum "$POLICY" | cut -d' ' -f1)" "sha256 of one file"
run site.yaml <<<'{"text":"x"}'
is "$(field "$out" .phikit.scrub.policy_sha256)" "$(cat "$POLICY" "$tmp/site.yaml" | sha256sum | cut -d' ' -f1)" \
	"sha256 over every file loaded, the base first"

pol off.yaml <<EOF2
extends: $POLICY
scrub:
  zip: {mode: remove}
  disable: [ssn]
EOF2
run off.yaml <<<'{"text":"Jackson, MS 39201 and 869-36-0459"}'
is "$(field "$out" .text)" "[CITY], MS [ZIP] and 869-36-0459" "zip mode remove; a disabled rule no longer fires"

pol evil.yaml <<EOF2
extends: $POLICY
scrub:
  rules:
    - id: evil
      category: ID
      pattern: '(a+)+\$'
EOF2
printf '{"text":"%sb"}\n' "$(head -c 40 /dev/zero | tr '\0' a)" >"$tmp/in"
start=$(date +%s)
run evil.yaml <"$tmp/in"
is "$rc:$out" "2:" "a pathological pattern fails closed: exit 2, nothing written"
is "$err" "phi-scrub: error (at <stdin>:1): rule 'evil': pattern failed closed: match limit exceeded" "and says which rule"
[ $(( $(date +%s) - start )) -lt 10 ]
ok $? "and does not hang"

PHIKIT_POLICY="$tmp/site.yaml" "$bin/phi-scrub" <<<'{"t":"H2289011"}' >"$tmp/out"
is "$(jq -r .t "$tmp/out")" "[MRN]" "PHIKIT_POLICY names the policy"

done_testing
