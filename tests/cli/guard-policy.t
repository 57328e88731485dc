#!/bin/bash
# The policy sections guard-check reads: each mistake is an error at
# file:line:column and exit 2, before any input is read; terms, layering
# with extends, and turning a base rule off.
. "$(dirname "$0")/lib.sh"

# The pattern rules under test: the classifier's rules (*-model), which
# often agree with them, are tested on their own in guard-model.t.
verdict() { printf '%s\n' "$1" | jq -r '.phikit.guard | .verdict + " " + ([.violations[].rule | select(endswith("-model") | not)] | join(","))'; }

perr() {	# perr NAME WANT-ERROR: policy in $tmp/p.yaml
	run "$GUARD_CHECK" -p "$tmp/p.yaml" </dev/null
	is "$rc" 2 "$1: exit 2"
	is "$err" "guard-check: $tmp/p.yaml:$2" "$1: where and what"
}
pol() { cat >"$tmp/p.yaml"; }

pol <<'Y'
name: t
prohibited_outputs: []
Y
perr "an unknown top-level key" "2:1: unknown key (name, version, description, extends, scrub, terms, prohibited_output, required_disclosure, permissions, limits, ledger, access, hitl, llm)"
pol <<'Y'
prohibited_output:
  - id: a
    severity: deny
    pattern: x
Y
perr "a rule without a citation" "2:9: a prohibited_output rule needs a citation, a severity, and a pattern, detect: phi or a classifier"
pol <<'Y'
prohibited_output:
  - id: a
    citation: c
    severity: block
    pattern: x
Y
perr "an unknown severity" "4:15: severity must be warn, ask or deny"
pol <<'Y'
prohibited_output:
  - id: a
    citation: c
    severity: deny
    pattern: '(x'
Y
perr "a bad pattern" "5:14: pattern: bad pattern at offset 2: missing closing parenthesis"
pol <<'Y'
prohibited_output:
  - id: a
    citation: c
    severity: deny
    pattern: '{{nope}}'
Y
perr "an unknown term" "5:14: unknown term (a {{name}} must be defined in terms)"
pol <<'Y'
prohibited_output:
  - id: a
    citation: c
    severity: deny
    detect: phi
    categories: [SSN, SOCIAL]
Y
perr "an unknown category" "6:23: unknown category (NAME, ADDRESS, CITY, ZIP, DATE, AGE, PHONE, FAX, EMAIL, SSN, MRN, HEALTH_PLAN, ACCOUNT, CARD, LICENSE, DEA, NPI, VEHICLE, DEVICE, URL, IP, BIOMETRIC, PHOTO, ID)"
pol <<'Y'
prohibited_output:
  - id: a
    citation: c
    severity: deny
    pattern: x
    colour: red
Y
perr "an unknown key in a rule" "6:5: unknown key in a prohibited_output rule (id, kind, citation, description, severity, pattern, unless_before, unless_sentence, except, triggers, anchor, caseless, enabled, quoted, detect, categories, names, attribution, classifier, label, threshold)"
pol <<'Y'
prohibited_output:
  - id: a
    citation: c
    severity: deny
    anchor: trigger
    pattern: x
Y
perr "anchored without triggers" "2:9: a rule is anchored on triggers but has no pattern or no triggers"
pol <<'Y'
prohibited_output:
  - id: a
    citation: c
    severity: deny
    anchor: start
    triggers: [x]
    pattern: x
Y
perr "an unknown anchor" "5:13: anchor must be trigger or scan"
pol <<'Y'
required_disclosure:
  - id: d
    citation: c
    when: x
    requires: y
    text: z
    action: shout
Y
perr "an unknown action" "7:13: action must be deny or append"
pol <<'Y'
required_disclosure:
  - id: d
    citation: c
    when: x
    text: z
    action: deny
Y
perr "a disclosure without requires" "2:9: a required_disclosure rule needs when, requires, text, action and a citation"
pol <<'Y'
permissions:
  default: warn
Y
perr "a default of warn" "2:12: default must be allow, ask or deny, not 'warn'"
pol <<'Y'
permissions:
  rules:
    - id: p
      when: {tool: x, user: y}
      behavior: deny
      reason: r
Y
perr "an unknown key in when" "4:23: unknown key in when (tool, agent, args_pattern)"
pol <<'Y'
permissions:
  rules:
    - id: p
      when: {tool: x}
      behavior: deny
Y
perr "a permission without a reason" "3:11: a permissions rule needs when, behavior and a reason"
pol <<'Y'
limits:
  long_output: squash
Y
perr "an unknown long_output" "2:16: long_output must be truncate or deny"
pol <<'Y'
limits:
  max_run_cost: -1
Y
perr "a negative budget" "2:17: max_run_cost must be a number from 0 up"
pol <<'Y'
limits:
  max_runs: 0
Y
perr "max_runs of 0" "2:13: max_runs must be a whole number in range"
pol <<'Y'
terms:
  Big: x
Y
perr "a term name in capitals" "2:3: a term name must be lowercase letters, digits, _"

# layering: a site policy extends the preset, replaces a rule, turns one off
cat >"$tmp/site.yaml" <<Y
extends: $POLICY
terms:
  mydrug: 'zorbitol'
prohibited_output:
  - id: efficacy-claim
    enabled: false
  - id: claim-model
    enabled: false
  - id: site-drug
    kind: prescribing
    citation: "site formulary policy 7"
    severity: ask
    pattern: '\b{{mydrug}}\b'
Y
D="This is not a diagnosis or medical advice. Consult a licensed healthcare provider."
run "$GUARD_CHECK" -p "$tmp/site.yaml" <<<'{"text":"This supplement is clinically proven to cure arthritis. '"$D"'"}'
is "$(verdict "$out")" "allow " "a site policy turns a base rule off"
run "$GUARD_CHECK" -p "$tmp/site.yaml" <<<'{"text":"Ask about Zorbitol. You have gout. '"$D"'"}'
is "$(verdict "$out")" "deny diagnosis,site-drug" "a site rule with its own term joins the base rules"
is "$(field "$out" '.phikit.guard.policy')" "hipaa" "the annotation names the policy (a site policy without a name keeps its base's)"
cat >"$tmp/p.yaml" <<Y
extends: $POLICY
prohibited_output:
  - id: no-such-rule
    enabled: false
Y
perr "turning off a rule that is not there" "3:9: no prohibited_output rule with this id to disable"

# every rule of the preset carries a citation, and phi-scrub still loads it
missing=$(python3 -c '
import sys, yaml
p = yaml.safe_load(open(sys.argv[1]))
rules = p["prohibited_output"] + p["required_disclosure"] + p["permissions"]["rules"]
print(len(rules), [r["id"] for r in rules if not str(r.get("citation", "")).strip()])' "$POLICY")
is "$missing" "18 []" "all 18 guard rules of hipaa.yaml carry a citation"
run "$PHI_SCRUB" -p "$POLICY" <<<'{"text":"ok"}'
is "$rc" 0 "phi-scrub loads the preset with its guard sections"
done_testing
