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
is "$rc:$(masked "$out")" '0:{"t":"A123456 [MRN]","phikit":{"scrub":{"policy":"unnamed","policy_sha256":"'"$(sha256sum <"$tmp/p.yaml" | cut -d' ' -f1)"'","mode":"tag","fields":["."],"counts":{"MRN":1},"total":1,"input_sha256":"IN","content_sha256":"OUT"}}}' \
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
: >"$tmp/p.yaml"
perr "an empty file" "1:1: empty policy"
printf '# nothing but a comment\n' >"$tmp/p.yaml"
perr "a file of comments" "1:1: empty policy"
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

# ---- no message quotes the file: not a key, a value, a pattern, an id ----
# nophi NAME WANT: perr, and neither the name nor the number in $tmp/p.yaml
# appears in the message
nophi() {
	perr "$1" "$2"
	unlike "$err" "*Quintero*" "$1: the name in the file is not quoted"
	unlike "$err" "*0044182*" "$1: the number in the file is not quoted"
}
printf 'root:$y$j9T$Quintero0044182hash:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\n' >"$tmp/shadow"
printf 'extends: %s\n' "$tmp/shadow" >"$tmp/p.yaml"
nophi "extends: a shadow file" "1:10: in extended policy: $tmp/shadow:1:1: unknown key (name, version, description, extends, scrub, terms, prohibited_output, required_disclosure, permissions, limits, ledger, access, hitl, llm)"
pol <<'Y'
Patient Marisol Quintero: MRN 004418273
Y
nophi "a clinical note as a policy" "1:1: unknown key (name, version, description, extends, scrub, terms, prohibited_output, required_disclosure, permissions, limits, ledger, access, hitl, llm)"
printf 'name: Quintero 004418273 \377\n' >"$tmp/p.yaml"
nophi "invalid UTF-8 after PHI" "1:26: invalid leading UTF-8 octet"
pol <<'Y'
scrub: {rules: [{id: a, category: MRN, pattern: x, Quintero 004418273: 1}]}
Y
nophi "an unknown key in a rule" "1:52: unknown key in a rule (id, category, pattern, validate, triggers, requires, min_digits, min_digit_run, min_run, anchor, gate, caseless, description, citation)"
pol <<'Y'
required_disclosure: [{id: a, Quintero 004418273: 1}]
Y
nophi "an unknown key in a required_disclosure rule" "1:31: unknown key in a required_disclosure rule (id, kind, citation, text, description, when, requires, when_medical, enabled, action)"
pol <<'Y'
scrub: {rules: [{id: a, category: Quintero 004418273, pattern: x}]}
Y
nophi "an unknown category" "1:35: unknown category (NAME, ADDRESS, CITY, ZIP, DATE, AGE, PHONE, FAX, EMAIL, SSN, MRN, HEALTH_PLAN, ACCOUNT, CARD, LICENSE, DEA, NPI, VEHICLE, DEVICE, URL, IP, BIOMETRIC, PHOTO, ID)"
pol <<'Y'
scrub: {rules: [{id: a, category: MRN, pattern: x, validate: Quintero 004418273}]}
Y
nophi "an unknown validator" "1:62: unknown validator (none, luhn, card, npi, dea, ssn, date, ipv4, ipv6, vin, age, zip, phone, after_state, phone_any, iban, month_day)"
pol <<'Y'
scrub: {rules: [{id: a, category: MRN, pattern: x, anchor: Quintero 004418273}]}
Y
nophi "an unknown anchor" "1:60: anchor must be trigger or scan"
pol <<'Y'
scrub: {rules: [{id: Quintero-004418273, pattern: x}]}
Y
nophi "a rule without a category, named by its id" "1:22: a rule needs a category and a pattern"
pol <<'Y'
scrub: {rules: [{id: Quintero-004418273, category: MRN, pattern: 'Quintero(004418273'}]}
Y
nophi "a pattern that does not compile" "1:66: pattern: bad pattern at offset 18: missing closing parenthesis"
pol <<'Y'
scrub: {rules: [{id: Quintero-004418273, category: MRN, pattern: x, gate: 'Quintero(004418273'}]}
Y
nophi "a gate that does not compile" "1:75: gate: bad pattern at offset 18: missing closing parenthesis"
pol <<'Y'
scrub: {disable: [Quintero-004418273]}
Y
nophi "disabling a rule that is not there" "1:19: no rule with this id to disable"
pol <<'Y'
scrub: {replace: Quintero 004418273}
Y
nophi "an unknown replace" "1:18: replace must be tag, mask or pseudonym"
pol <<'Y'
scrub: {zip: {mode: Quintero 004418273}}
Y
nophi "an unknown zip mode" "1:21: zip mode must be truncate or remove"
pol <<'Y'
scrub: {zip: {Quintero 004418273: remove}}
Y
nophi "an unknown key in zip" "1:15: unknown key in zip (mode, restricted)"
pol <<'Y'
scrub: {Quintero 004418273: 1}
Y
nophi "an unknown key in scrub" "1:9: unknown key in scrub (replace, keep_year, age_over, match_limit, zip, names, rules, disable)"
pol <<'Y'
scrub: {names: {Quintero 004418273: [a]}}
Y
nophi "an unknown key in names" "1:17: unknown key in names (enabled, first_names, surnames, english_words, medical_words, abbreviations, titles, relations, particles, verbs_after, cues_before, cues_after, labels, not_names, eponym_next, places, facility_words, place_cues, facility_heads, facility_names, model, detect)"
pol <<'Y'
scrub: {age_over: Quintero 004418273}
Y
nophi "a number that is not one" "1:19: age_over must be a whole number in range"
pol <<'Y'
terms: {Quintero: x}
Y
nophi "a term name in capitals" "1:9: a term name must be lowercase letters, digits, _"
pol <<'Y'
terms: {quintero_004418273: [x]}
Y
nophi "a term that is not a scalar" "1:29: a term must be a scalar"
pol <<'Y'
prohibited_output: [{id: a, citation: c, severity: deny, pattern: 'x{{Quintero_004418273}}'}]
Y
nophi "an unknown term" "1:67: unknown term (a {{name}} must be defined in terms)"
pol <<'Y'
prohibited_output: [{id: a, citation: c, severity: Quintero 004418273, pattern: x}]
Y
nophi "an unknown severity" "1:52: severity must be warn, ask or deny"
pol <<'Y'
prohibited_output: [{id: a, citation: c, severity: deny, pattern: x, quoted: Quintero 004418273}]
Y
nophi "an unknown quoted" "1:78: quoted must be skip or count"
pol <<'Y'
prohibited_output: [{id: a, citation: c, severity: deny, detect: Quintero 004418273}]
Y
nophi "an unknown detect" "1:66: detect must be phi"
pol <<'Y'
prohibited_output: [{id: a, citation: c, severity: deny, detect: phi, categories: [Quintero 004418273]}]
Y
nophi "an unknown category in a guard rule" "1:84: unknown category (NAME, ADDRESS, CITY, ZIP, DATE, AGE, PHONE, FAX, EMAIL, SSN, MRN, HEALTH_PLAN, ACCOUNT, CARD, LICENSE, DEA, NPI, VEHICLE, DEVICE, URL, IP, BIOMETRIC, PHOTO, ID)"
pol <<'Y'
prohibited_output: [{id: Quintero-004418273, enabled: false}]
Y
nophi "turning off a guard rule that is not there" "1:26: no prohibited_output rule with this id to disable"
pol <<'Y'
prohibited_output: [{id: Quintero-004418273, severity: deny, pattern: x}]
Y
nophi "a guard rule without a citation" "1:26: a prohibited_output rule needs a citation, a severity, and a pattern, detect: phi or a classifier"
pol <<'Y'
prohibited_output: [{id: Quintero-004418273, citation: c, severity: deny, pattern: '(Quintero 004418273'}]
Y
nophi "a guard pattern that does not compile" "1:84: pattern: bad pattern at offset 19: missing closing parenthesis"
pol <<'Y'
required_disclosure: [{id: Quintero-004418273, citation: c, when: x, requires: y, text: z, action: Quintero 004418273}]
Y
nophi "an unknown disclosure action" "1:100: action must be deny or append"
pol <<'Y'
required_disclosure: [{id: Quintero-004418273, enabled: false}]
Y
nophi "turning off a disclosure that is not there" "1:28: no required_disclosure rule with this id to disable"
pol <<'Y'
permissions: {rules: [{id: Quintero-004418273, behavior: deny, reason: r, when: {Quintero 004418273: x}}]}
Y
nophi "an unknown key in when" "1:82: unknown key in when (tool, agent, args_pattern)"
pol <<'Y'
permissions: {default: Quintero 004418273}
Y
nophi "an unknown default" "1:24: default must be allow, ask or deny"
pol <<'Y'
limits: {long_output: Quintero 004418273}
Y
nophi "an unknown long_output" "1:23: long_output must be truncate or deny"
pol <<'Y'
ledger: {retention: Quintero 004418273}
Y
nophi "a period that is not one" "1:21: retention must be a number of years, months or days (6y, 18m, 90d)"
pol <<'Y'
access: {roles: {Quintero 004418273: {users: [a]}}}
Y
nophi "a role name that is no identifier" "1:18: access.roles: not a role name (1 to 128 of A-Z a-z 0-9 . _ : @ / + = -)"
pol <<'Y'
access: {roles: {r: {users: [Quintero 004418273]}}}
Y
nophi "a user name that is no identifier" "1:30: users: not a name (1 to 128 of A-Z a-z 0-9 . _ : @ / + = -)"
pol <<'Y'
access: {actions: {approve: [Quintero-004418273]}}
Y
nophi "an action naming a role not defined" "1:30: access.actions.approve: no such role in access.roles"
pol <<'Y'
access: {aliases: {Quintero 004418273: [a]}}
Y
nophi "an alias key that is no user name" "1:20: access.aliases: not a user name (1 to 128 of A-Z a-z 0-9 . _ : @ / + = -)"
pol <<'Y'
access: {aliases: {quintero: [Quintero-004418273], q2: [x, Quintero-004418273]}}
Y
nophi "an alias given twice" "1:60: access.aliases: an alias already given to another user"

# ---- large policies load, and layer, as small ones do (timing: scripts/bench-policy) ----
# 100,000 scrub rules, rule i matching "Q<i>Z" and 3 digits; a site policy
# over it replaces rule 50000 in place and disables the first 50,000 in
# one list; 100,000 terms, the last used; 20,000 roles and aliases.
N=100000
awk -v n=$N 'BEGIN {
	print "name: big\nscrub:\n  names: {enabled: false}\n  rules:"
	for (i = 0; i < n; i++)
		printf "    - id: r%d\n      category: %s\n      pattern: '\''\\bQ%dZ\\d{3}\\b'\''\n", i, i % 2 ? "ID" : "MRN", i
}' >"$tmp/big.yaml"
run "$PHI_SCRUB" -p "$tmp/big.yaml" <<<'{"t":"Q0Z123 Q1Z123 Q54321Z999 Q99999Z000 Q100000Z111"}'
is "$rc:$(field "$out" .t):$(field "$out" .phikit.scrub.total)" "0:[MRN] [ID] [ID] [ID] Q100000Z111:4" \
	"100,000 rules: the first, a middle one and the last all apply, nothing else"
awk -v n=$N 'BEGIN {
	print "extends: big.yaml\nscrub:\n  rules:\n    - {id: r50000, category: ACCOUNT, pattern: '\''\\bW50000\\b|\\bQ50002Z\\d{3}\\b'\''}\n  disable:"
	for (i = 0; i < n / 2; i++)
		printf "    - r%d\n", i
}' >"$tmp/site.yaml"
run "$PHI_SCRUB" -p "$tmp/site.yaml" <<<'{"t":"Q0Z123 Q49999Z123 Q50000Z123 W50000 Q50001Z123 Q99999Z000"}'
is "$rc:$(field "$out" .t)" "0:Q0Z123 Q49999Z123 Q50000Z123 [ACCOUNT] [ID] [ID]" \
	"over 100,000 rules: 50,000 disabled in one list, one replaced in place, the rest kept"
run "$PHI_SCRUB" -p "$tmp/site.yaml" --report <<<'{"t":"Q50002Z123"}'
is "$(field "$out" '.t + " " + (.phikit.scrub.findings | map(.rule) | join(","))')" "[ACCOUNT] r50000" \
	"... and the replaced rule keeps its place: it wins the span it shares with the later r50002"
{
	printf 'name: terms\nterms:\n'
	awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) printf "  t%d: '\''w%d'\''\n", i, i }'
	printf 'prohibited_output:\n  - {id: last, citation: c, severity: deny, pattern: '\''\\b{{t%d}}\\b|\\b{{t0}}x\\b'\''}\n' $((N - 1))
} >"$tmp/terms.yaml"
run "$GUARD_CHECK" -p "$tmp/terms.yaml" <<<'{"text":"w99999"}
{"text":"w0x"}
{"text":"w99998"}'
is "$rc:$(printf '%s\n' "$out" | jq -r .phikit.guard.verdict | paste -sd,)" "0:deny,deny,allow" \
	"100,000 terms: the last and the first are found by name"
{
	printf 'name: people\naccess:\n  aliases:\n'
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "    phkt-u%d: [phkt-dr-%d]\n", i, i }'
	printf '  roles:\n'
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "    role%d: {users: [phkt-u%d]}\n", i, i }'
	printf '  actions:\n    approve: [role0, role19999]\n'
} >"$tmp/people.yaml"
run "$PHI_SCRUB" -p "$tmp/people.yaml" </dev/null
is "$rc:$err" "0:" "20,000 aliases and 20,000 roles load"
{
	printf 'name: people\naccess:\n  aliases:\n'
	awk 'BEGIN { for (i = 0; i < 20000; i++) printf "    phkt-u%d: [phkt-dr-%d]\n", i, i }'
	printf '    phkt-u20000: [phkt-dr-x, phkt-dr-19999]\n'
} >"$tmp/p.yaml"
perr "the 20,001st alias, given already" "20004:30: access.aliases: an alias already given to another user"
printf 'name: people\naccess:\n  roles:\n' >"$tmp/p.yaml"
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "    role%d: {users: [phkt-u%d]}\n", i, i }' >>"$tmp/p.yaml"
printf '  actions:\n    approve: [role0, role20000]\n' >>"$tmp/p.yaml"
perr "an action naming a role not among 20,000" "20005:22: access.actions.approve: no such role in access.roles"

# ---- a bare name in extends: beside the extending file, else as the preset ----
# From a directory outside the tree, before make install: found in the
# installed data directory, else in the policies/ beside the program's bin/.
mkdir "$tmp/elsewhere"
printf 'extends: phikit-test-nowhere\n' >"$tmp/p.yaml"
run "$PHI_SCRUB" -p "$tmp/p.yaml" </dev/null
like "$rc:$err" "2:phi-scrub: $tmp/p.yaml:1:10: in extended policy: /*/policies/phikit-test-nowhere.yaml: No such file or directory" \
	"a bare name found nowhere: exit 2, the installed path named"
datadir=${err#*in extended policy: }
datadir=${datadir%/policies/phikit-test-nowhere.yaml:*}
installed=
[ -r "$datadir/policies/hipaa.yaml" ] && installed=$datadir/policies/hipaa.yaml
printf 'name: site\nextends: hipaa\n' >"$tmp/elsewhere/site.yaml"
run "$PHI_SCRUB" -p "$tmp/elsewhere/site.yaml" <<<'{"t":"SSN 869-36-0459"}'
is "$rc:$err" "0:" "extends: hipaa from a directory outside the tree loads"
is_out '{"t":"SSN [SSN]","phikit":{"scrub":{"policy":"site","policy_sha256":"'"$(cat "${installed:-$POLICY}" "$tmp/elsewhere/site.yaml" | sha256sum | cut -d' ' -f1)"'","mode":"tag","fields":["."],"counts":{"SSN":1},"total":1,"input_sha256":"IN","content_sha256":"OUT"}}}' \
	"... on the preset the programs use by default${installed:+ (the installed one)}"

# the same programs in a tree of their own: its policies/ is where they look
mkdir -p "$tmp/tree/bin" "$tmp/tree/policies"
cp "$PHI_SCRUB" "$tmp/tree/bin/"
printf 'name: tree-preset\nscrub:\n  names: {enabled: false}\n  rules:\n    - {id: t, category: MRN, pattern: "T[0-9]{4}"}\n' \
	>"$tmp/tree/policies/phikit-test-tree.yaml"
printf 'extends: phikit-test-tree\n' >"$tmp/elsewhere/tree-site.yaml"
run "$tmp/tree/bin/phi-scrub" -p "$tmp/elsewhere/tree-site.yaml" <<<'{"t":"T1234"}'
is "$rc:$(field "$out" .t):$(field "$out" .phikit.scrub.policy)" "0:[MRN]:tree-preset" \
	"a bare name is found in the policies/ beside the program's bin/"
printf 'name: beside\nscrub: {names: {enabled: false}}\n' >"$tmp/elsewhere/phikit-test-tree.yaml"
run "$tmp/tree/bin/phi-scrub" -p "$tmp/elsewhere/tree-site.yaml" <<<'{"t":"T1234"}'
is "$rc:$(field "$out" .t):$(field "$out" .phikit.scrub.policy)" "0:T1234:beside" \
	"... but beside the extending file first"
printf 'name: tree-hipaa\nscrub: {names: {enabled: false}}\n' >"$tmp/tree/policies/hipaa.yaml"
if [ -n "$installed" ]; then
	n=$((n + 1)); echo "ok $n # skip the installed preset comes first: $installed"
	n=$((n + 1)); echo "ok $n # skip the installed preset comes first: $installed"
else
	run "$tmp/tree/bin/phi-scrub" <<<'{"t":"x"}'
	is "$rc:$(field "$out" .phikit.scrub.policy)" "0:tree-hipaa" \
		"the default preset, no -p, no PHIKIT_POLICY: the same search"
	run "$tmp/tree/bin/phi-scrub" -p "$tmp/elsewhere/site.yaml" <<<'{"t":"x"}'
	is "$rc:$(field "$out" .phikit.scrub.policy_sha256)" "0:$(cat "$tmp/tree/policies/hipaa.yaml" "$tmp/elsewhere/site.yaml" | sha256sum | cut -d' ' -f1)" \
		"extends: hipaa finds the very file the default preset is"
fi

# every policy of phikit-policy(5)'s EXAMPLES loads from here, as written
# (the first saved as site.yaml, which the review example extends)
mkdir "$tmp/ex"
sed -n '/^\.Sh EXAMPLES/,/^\.Sh SEE ALSO/p' "$top/man/phikit-policy.5" | sed 's/\\e/\\/g' |
	awk -v d="$tmp/ex" '
	/^\.Bd -literal/ { b = 1; t = ""; next }
	/^\.Ed/ {
		if (b && t ~ /^name: /) {
			f = substr(t, 7, index(t, "\n") - 7)
			printf "%s", t >(d "/" f ".yaml"); close(d "/" f ".yaml")
			if (f == "general-hospital") { printf "%s", t >(d "/site.yaml"); close(d "/site.yaml") }
		}
		b = 0; next
	}
	b { t = t $0 "\n" }'
is "$(cd "$tmp/ex" && ls | paste -sd' ')" \
	"general-hospital-guard.yaml general-hospital-review.yaml general-hospital.yaml hipaa-lds.yaml site.yaml" \
	"phikit-policy(5) has four example policies"
for f in general-hospital hipaa-lds general-hospital-review general-hospital-guard; do
	run "$PHI_SCRUB" -p "$tmp/ex/$f.yaml" </dev/null
	is "$rc:$err" "0:" "phikit-policy(5)'s $f loads before make install"
done
run "$PHI_SCRUB" -p "$tmp/ex/site.yaml" <<<'{"text":"Seen on Nightingale ward, record H2289011."}'
is "$(field "$out" .text)" "Seen on Nightingale ward, record [MRN]." "... and does what the page says"
run "$GUARD_CHECK" -p "$tmp/ex/general-hospital-guard.yaml" <<<'{"text":"Ask your pharmacist about quintrex."}'
is "$rc:$(verdict "$out")" "0:ask formulary-drug" "... the guard example too"

done_testing
