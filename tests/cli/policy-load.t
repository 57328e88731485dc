#!/bin/bash
# Loading a policy: one YAML document, each key once in every mapping,
# no NUL in any string, no byte of the file in any message, time linear
# in its size, bare names in extends found as the preset is.
. "$(dirname "$0")/lib.sh"

# perr NAME WANT: phi-scrub -p $tmp/p.yaml refuses it, exit 2, nothing on
# stdout, exactly "phi-scrub: $tmp/p.yaml:WANT" on stderr
perr() {
	run "$PHI_SCRUB" -p "$tmp/p.yaml" </dev/null
	is "$rc:$out" "2:" "$1: exit 2, nothing written"
	is_err "phi-scrub: $tmp/p.yaml:$2" "$1: where and what"
}
pol() { cat >"$tmp/p.yaml"; }

# ---- a key twice in one mapping, at any depth ----
pol <<'Y'
name: review
hitl:
  approvals_required: 2
  separation_of_duties: true
description: the second hitl below would turn separation of duties off
hitl:
  separation_of_duties: false
Y
perr "a top-level section twice" "6:1: duplicate key in a mapping (first at 2:1)"
pol <<'Y'
hitl:
  separation_of_duties: true
  timeout_s: 60
  separation_of_duties: false
Y
perr "a key twice in a section" "4:3: duplicate key in a mapping (first at 2:3)"
pol <<'Y'
scrub:
  zip:
    mode: truncate
    mode: remove
Y
perr "a key twice two levels down" "4:5: duplicate key in a mapping (first at 3:5)"
pol <<'Y'
scrub:
  rules:
    - id: a
      category: MRN
      pattern: 'A\d{6}'
    - id: b
      category: MRN
      pattern: 'B\d{6}'
      pattern: '.'
Y
perr "a key twice in a rule" "9:7: duplicate key in a mapping (first at 8:7)"
pol <<'Y'
permissions:
  rules:
    - {id: p, when: {tool: x, tool: y}, behavior: deny, reason: r}
Y
perr "a key twice in a flow mapping" "3:31: duplicate key in a mapping (first at 3:22)"
pol <<'Y'
access:
  roles:
    leads: {users: [alice]}
    leads: {users: [mallory]}
Y
perr "a role defined twice" "4:5: duplicate key in a mapping (first at 3:5)"
pol <<'Y'
terms:
  drug: 'a|b'
  drug: '.'
Y
perr "a term defined twice" "3:3: duplicate key in a mapping (first at 2:3)"
pol <<'Y'
name: x
"name": y
Y
perr "a key twice, quoted once" "2:1: duplicate key in a mapping (first at 1:1)"
pol <<'Y'
scrub:
  zip: {mode: remove, mode: truncate}
name: a
name: b
Y
perr "two duplicates: the first in the file is reported" "2:23: duplicate key in a mapping (first at 2:9)"
pol <<'Y'
scrub:
  keep_year: true
  names:
    enabled: false
  keep_year: false
  zip:
    mode: remove
    mode: truncate
Y
perr "a nested duplicate before its parent's: the earlier one" "5:3: duplicate key in a mapping (first at 2:3)"
cat >"$tmp/base.yaml" <<'Y'
name: base
name: other
Y
printf 'extends: base.yaml\n' >"$tmp/p.yaml"
perr "a duplicate in a base policy" "1:10: in extended policy: $tmp/base.yaml:2:1: duplicate key in a mapping (first at 1:1)"
pol <<'Y'
scrub:
  rules:
    - {id: a, category: MRN, pattern: 'A\d{6}'}
    - {id: a, category: MRN, pattern: 'B\d{6}'}
Y
run "$PHI_SCRUB" -p "$tmp/p.yaml" <<<'{"t":"A123456 B123456"}'
is "$rc:$out" '0:{"t":"A123456 [MRN]","phikit":{"scrub":{"policy":"unnamed","policy_sha256":"'"$(sha256sum <"$tmp/p.yaml" | cut -d' ' -f1)"'","mode":"tag","counts":{"MRN":1},"total":1}}}' \
	"the same id in two rules is no duplicate key: the second replaces the first, as before"

# ---- one document ----
pol <<'Y'
name: one
---
name: two
Y
perr "a second document" "2:1: a second YAML document (a policy is one document)"
pol <<'Y'
name: one
hitl:
  separation_of_duties: true
--- # the rest was ignored, unseen
hitl:
  separation_of_duties: false
Y
perr "a second document that would loosen the first" "4:1: a second YAML document (a policy is one document)"
pol <<'Y'
name: one
---
Y
perr "an empty second document" "2:1: a second YAML document (a policy is one document)"
pol <<'Y'
---
name: one
...
Y
run "$PHI_SCRUB" -p "$tmp/p.yaml" <<<'{"t":"x"}'
is "$rc:$(field "$out" .phikit.scrub.policy)" "0:one" "one document between --- and ... loads"
pol <<'Y'
name: one
--- [unclosed
Y
perr "a second document that does not parse: the YAML error" "3:1: did not find expected ',' or ']'"

# ---- no NUL in any string: it would end a pattern (or a name) early ----
pol <<'Y'
scrub:
  rules:
    - id: site-mrn
      category: MRN
      pattern: "H[0-9]{7}\0|[0-9]{6}"
Y
perr "\\0 in a double-quoted pattern" "5:16: a NUL character in a string"
pol <<'Y'
prohibited_output:
  - id: a
    citation: c
    severity: deny
    pattern: "cure\x00s"
Y
perr "\\x00 in a guard pattern" "5:14: a NUL character in a string"
pol <<'Y'
terms:
  drug: "zorbitol\u0000|quintrex"
Y
perr "\\u0000 in a term" "2:9: a NUL character in a string"
pol <<'Y'
scrub:
  names:
    not_names: [Nightingale, "Lis\U00000000ter"]
Y
perr "\\U00000000 in a word list" "3:30: a NUL character in a string"
pol <<'Y'
hitl:
  "timeout_s\0": 60
Y
perr "a NUL in a key" "2:3: a NUL character in a string"
pol <<'Y'
hitl:
  webhook: "https://pager.example.org/\0hook"
  webhook: https://pager.example.org/hook
Y
perr "a NUL before a duplicate: the first in the file" "2:12: a NUL character in a string"
printf 'name: x\0y\n' >"$tmp/p.yaml"
perr "a NUL byte in the file itself" "1:8: control characters are not allowed"
pol <<'Y'
scrub:
  rules:
    - id: site-mrn
      category: MRN
      pattern: "H[0-9]{7}\\b"
Y
run "$PHI_SCRUB" -p "$tmp/p.yaml" <<<'{"t":"H2289011"}'
is "$rc:$(field "$out" .t)" "0:[MRN]" "other escapes in a double-quoted pattern still load"

done_testing
