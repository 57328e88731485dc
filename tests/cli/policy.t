#!/bin/bash
# Policies: errors name file:line:column; a site policy layers on the
# preset with extends; a pathological pattern fails closed.
. "$(dirname "$0")/lib.sh"

pol() { cat >"$tmp/$1"; }
with() { local p=$1; shift; run "$PHI_SCRUB" -p "$tmp/$p" "$@"; }

pol unknown-key.yaml <<EOF2
extends: $POLICY
scrub:
  rules:
    - id: x
      category: MRN
      patern: 'x'
EOF2
with unknown-key.yaml </dev/null
is "$rc:$out" "2:" "an unknown key in a rule: exit 2, nothing written"
is_err "phi-scrub: $tmp/unknown-key.yaml:6:7: unknown key in a rule (id, category, pattern, validate, triggers, requires, min_digits, min_digit_run, min_run, anchor, gate, caseless, description, citation)" \
	"an unknown key: file:line:column and the keys a rule takes, not the key itself"

pol unknown-top.yaml <<'EOF2'
name: x
scrubb: {}
EOF2
with unknown-top.yaml </dev/null
is_err "phi-scrub: $tmp/unknown-top.yaml:2:1: unknown key (name, version, description, extends, scrub, terms, prohibited_output, required_disclosure, permissions, limits, ledger, access, hitl, llm)" \
	"an unknown top-level key: file:line:column and the known keys"

pol bad-pattern.yaml <<EOF2
extends: $POLICY
scrub:
  rules:
    - id: y
      category: MRN
      pattern: 'a(b'
EOF2
with bad-pattern.yaml </dev/null
is "$rc:$out" "2:" "a bad pattern: exit 2, nothing written"
is_err "phi-scrub: $tmp/bad-pattern.yaml:6:16: pattern: bad pattern at offset 3: missing closing parenthesis" \
	"a bad pattern: file:line:column, the offset in the pattern, PCRE2's reason"

pol bad-category.yaml <<'EOF2'
scrub:
  rules:
    - {id: z, category: PERSON, pattern: 'x'}
EOF2
with bad-category.yaml </dev/null
is_err "phi-scrub: $tmp/bad-category.yaml:3:25: unknown category (NAME, ADDRESS, CITY, ZIP, DATE, AGE, PHONE, FAX, EMAIL, SSN, MRN, HEALTH_PLAN, ACCOUNT, CARD, LICENSE, DEA, NPI, VEHICLE, DEVICE, URL, IP, BIOMETRIC, PHOTO, ID)" \
	"an unknown category: the categories, not the value"

pol bad-validator.yaml <<'EOF2'
scrub:
  rules:
    - id: v
      category: MRN
      pattern: 'x'
      validate: bogus
EOF2
with bad-validator.yaml </dev/null
is_err "phi-scrub: $tmp/bad-validator.yaml:6:17: unknown validator (none, luhn, card, npi, dea, ssn, date, ipv4, ipv6, vin, age, zip, phone, after_state, phone_any, iban, month_day)" \
	"an unknown validator: the validators, not the value"

pol no-category.yaml <<'EOF2'
scrub:
  rules:
    - id: q
      pattern: x
EOF2
with no-category.yaml </dev/null
is_err "phi-scrub: $tmp/no-category.yaml:3:11: a rule needs a category and a pattern" "a rule without a category: at its id"

pol bad-range.yaml <<'EOF2'
scrub:
  age_over: 300
EOF2
with bad-range.yaml </dev/null
is_err "phi-scrub: $tmp/bad-range.yaml:2:13: age_over must be a whole number in range" "a number out of range"

pol bad-disable.yaml <<EOF2
extends: $POLICY
scrub:
  disable: [nosuch]
EOF2
with bad-disable.yaml </dev/null
is_err "phi-scrub: $tmp/bad-disable.yaml:3:13: no rule with this id to disable" "disabling a rule that does not exist"

pol malformed.yaml <<'EOF2'
scrub: [unclosed
EOF2
with malformed.yaml </dev/null
is "$rc" 2 "malformed YAML: exit 2"
is_err "phi-scrub: $tmp/malformed.yaml:2:1: did not find expected ',' or ']'" "malformed YAML: where and what"

run "$PHI_SCRUB" -p "$tmp/none.yaml" </dev/null
is "$rc:$out" "2:" "a missing policy: exit 2"
is_err "phi-scrub: $tmp/none.yaml: No such file or directory" "a missing policy: said so"

pol missing-base.yaml <<'EOF2'
extends: nosuch.yaml
EOF2
with missing-base.yaml </dev/null
is "$rc" 2 "a missing base policy: exit 2"
is_err "phi-scrub: $tmp/missing-base.yaml:1:10: in extended policy: $tmp/nosuch.yaml: No such file or directory" \
	"a missing base: the extends line, then the base's own error"

pol cycle.yaml <<'EOF2'
extends: cycle.yaml
EOF2
with cycle.yaml </dev/null
is "$rc" 2 "extends in a cycle: exit 2, no hang"
like "$err" "*extends nests deeper than 8 files (a cycle?)" "extends in a cycle: the message says so, uncut"

# a site policy on top of the preset
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
site_sha=$(cat "$POLICY" "$tmp/site.yaml" | sha256sum | cut -d' ' -f1)
with site.yaml <<<'{"text":"Re H2289011: Ms. Rivera on Nightingale ward, SSN 869-36-0459, seen 03/02/2024, call (857) 261-9798."}'
is "$rc" 0 "a site policy: exit 0"
is_out '{"text":"Re [MRN]: Ms. [NAME] on Nightingale ward, SSN [SSN], seen [DATE], call [PHONE].","phikit":{"scrub":{"policy":"general-hospital","policy_sha256":"'"$site_sha"'","mode":"tag","fields":["."],"counts":{"NAME":1,"DATE":1,"PHONE":1,"SSN":1,"MRN":1},"total":5,"input_sha256":"IN","content_sha256":"OUT"}}}' \
	"a site policy: its MRN format, the preset's rules, its own words; its name; sha256 over both files, the base first"
scrub <<<'{"text":"Re H2289011"}'
is_out '{"text":"Re [ID]",'"$(ann '"ID":1' 1)"'}' "without the site policy the same code is a generic [ID]"

mkdir "$tmp/policies"
cp "$POLICY" "$tmp/policies/hipaa.yaml"
ln -s "$top/data" "$tmp/data"
printf 'extends: hipaa\n' >"$tmp/policies/site.yaml"
run "$PHI_SCRUB" -p "$tmp/policies/site.yaml" <<<'{"t":"SSN 869-36-0459"}'
is "$rc:$(jq -r .t "$tmp/out")" "0:SSN [SSN]" "extends: a bare name is found beside the extending file"

pol changes.yaml <<EOF2
extends: $POLICY
scrub:
  replace: mask
  keep_year: true
  zip: {mode: remove}
  disable: [ssn, ssn.cue]
EOF2
with changes.yaml <<<'{"t":"Jackson, MS 39201, seen 03/14/2024, SSN 869-36-0459"}'
is "$(jq -r .t "$tmp/out")" "*******, MS *****, seen **/**/**** 2024, SSN 869-36-0459" \
	"a site policy sets the mode, keeps years, removes ZIPs whole, disables rules"
with changes.yaml -m tag <<<'{"t":"seen 03/14/2024"}'
is "$(jq -r .t "$tmp/out")" "seen [DATE] 2024" "-m on the command line beats the policy's mode"

# a pathological pattern fails closed
pol evil.yaml <<EOF2
extends: $POLICY
scrub:
  rules:
    - id: evil-backtrack
      category: ID
      pattern: '(a+)+\$'
EOF2
printf '{"text":"%sb"}\n' "$(head -c 5000 /dev/zero | tr '\0' a)" >"$tmp/in"
for j in 1 4; do
	SECONDS=0
	with evil.yaml -j $j <"$tmp/in"
	is "$rc" 2 "-j $j: a pattern past its match limit: exit 2"
	is_out "" "-j $j: a pattern past its match limit: nothing written"
	is_err "phi-scrub: error (at <stdin>:1): rule 'evil-backtrack': pattern failed closed: match limit exceeded" \
		"-j $j: a pattern past its match limit: the message names the rule"
	ok $((SECONDS > 10)) "-j $j: a pattern past its match limit: no hang"
done
{ echo '{"text":"ok"}'; cat "$tmp/in"; echo '{"text":"SSN 869-36-0459"}'; } >"$tmp/in2"
with evil.yaml --on-error=skip <"$tmp/in2"
is "$rc" 2 "--on-error=skip does not skip a failed rule: exit 2"
is_out '{"text":"ok","phikit":{"scrub":{"policy":"hipaa","policy_sha256":"'"$(cat "$POLICY" "$tmp/evil.yaml" | sha256sum | cut -d' ' -f1)"'","mode":"tag","fields":["."],"counts":{},"total":0,"input_sha256":"IN","content_sha256":"OUT"}}}' \
	"--on-error=skip: the line before written, the failing one and all after withheld"

# PHIKIT_POLICY names the policy when -p is not given
run env PHIKIT_POLICY="$tmp/site.yaml" "$PHI_SCRUB" <<<'{"t":"H2289011"}'
is "$rc:$(jq -r .t "$tmp/out")" "0:[MRN]" "PHIKIT_POLICY names the policy"
run env PHIKIT_POLICY="$tmp/site.yaml" "$PHI_SCRUB" -p "$POLICY" <<<'{"t":"H2289011"}'
is "$(jq -r .t "$tmp/out")" "[ID]" "-p beats PHIKIT_POLICY"

# The ledger section: checked as strictly as the rest.
pol ledger-bad-retention.yaml <<'EOF2'
name: x
ledger:
  retention: 7w
EOF2
with ledger-bad-retention.yaml </dev/null
is_err "phi-scrub: $tmp/ledger-bad-retention.yaml:3:14: retention must be a number of years, months or days (6y, 18m, 90d)" \
	"ledger.retention: a bad period names file:line:column"
pol ledger-bad-key.yaml <<'EOF2'
name: x
ledger:
  require_scrub: true
EOF2
with ledger-bad-key.yaml </dev/null
is "$rc" 2 "ledger: an unknown key is a policy error"
is_err "phi-scrub: $tmp/ledger-bad-key.yaml:3:3: unknown key in ledger (require_scrubbed, retention, content_fields)" \
	"ledger: an unknown key, with file:line:column"
pol ledger-bad-bool.yaml <<'EOF2'
name: x
ledger:
  require_scrubbed: maybe
EOF2
with ledger-bad-bool.yaml </dev/null
is_err "phi-scrub: $tmp/ledger-bad-bool.yaml:3:21: require_scrubbed must be true or false" \
	"ledger.require_scrubbed must be a boolean"
pol ledger-ok.yaml <<EOF2
extends: $POLICY
ledger:
  retention: 90d
EOF2
with ledger-ok.yaml <<<'{"t":"x"}'
is "$rc" 0 "a ledger section over the preset loads"

done_testing
