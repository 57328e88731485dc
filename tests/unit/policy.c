/*
 * lib/policy.c's settings: every key of the names, scrub, zip, limits,
 * ledger and hitl sections lands in its field of struct policy, layers
 * over a base as phikit-policy(5) says (scalars replace, names lists
 * append, zip.restricted and irreversible_tools replace), and each wrong
 * value is refused with its message; disabled rules leave no gap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"
#include "tap.h"

static char dir[] = "/tmp/phikit-unit-policy.XXXXXX";

static const char *
put(const char *name, const char *yaml)
{
	static char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fputs(yaml, f);
	fclose(f);
	return path;
}

static int
load(struct policy *p, const char *yaml, struct phk_err *e)
{
	const char *path = put("p.yaml", yaml);

	memset(e, 0, sizeof(*e));
	return path ? policy_load(p, path, e) : -1;
}

/* The message of the error loading yaml, after "DIR/p.yaml:" */
static const char *
err(const char *yaml)
{
	static struct phk_err e;
	struct policy p;
	size_t n = strlen(dir) + strlen("/p.yaml:");

	if (load(&p, yaml, &e) == 0) {
		policy_release(&p);
		return "(loaded)";
	}
	if (e.status != PHK_EXIT_USAGE)
		return "(not a usage error)";
	return strlen(e.msg) > n ? e.msg + n : e.msg;
}

static const char *
list(const struct strlist *sl)
{
	static char out[512];
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < sl->n && len < sizeof(out); i++)
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s", i ? "," : "", sl->v[i]);
	return out;
}

int
main(void)
{
	struct policy p;
	struct phk_err e;
	char path[700];

	if (mkdtemp(dir) == NULL)
		return 1;

	/* the defaults */
	ok(load(&p, "name: d\n", &e) == 0, "a policy with a name only loads");
	is_int(p.replace, REPLACE_TAG, "replace: tag by default");
	is_int(p.age_over, 89, "age_over: 89 by default");
	is_int((int)p.match_limit, 1000000, "match_limit: 1000000 by default");
	is_int(p.names.enabled, 1, "names.enabled: on by default");
	is_int((int)p.limits.max_runs, 65536, "limits.max_runs: 65536 by default");
	is_str(p.limits.marker, " [truncated]", "limits.truncate_marker by default");
	is_int((int)p.ledger_retention_days, 6 * 366, "ledger.retention: six years by default");
	is_int(p.hitl.approvals_required, 1, "hitl.approvals_required: 1 by default");
	is_int(p.hitl.separation_of_duties, 1, "hitl.separation_of_duties: on by default");
	policy_release(&p);

	/* every key set, each landing where it belongs */
	ok(put("base.yaml",
	    "name: base\n"
	    "scrub:\n"
	    "  replace: mask\n"
	    "  keep_year: yes\n"
	    "  age_over: 120\n"
	    "  match_limit: 5000\n"
	    "  zip: {mode: remove, restricted: ['036', '059']}\n"
	    "  names:\n"
	    "    enabled: off\n"
	    "    first_names: first.txt\n"
	    "    surnames: /abs/surnames.txt\n"
	    "    english_words: ../words.txt\n"
	    "    titles: [Dr]\n"
	    "    relations: [wife]\n"
	    "    particles: [van]\n"
	    "    verbs_after: [reports]\n"
	    "    cues_before: [patient]\n"
	    "    cues_after: [MD]\n"
	    "    labels: ['Name:']\n"
	    "    not_names: [Nightingale]\n"
	    "    eponym_next: [disease]\n"
	    "limits:\n"
	    "  max_output_chars: 2000\n"
	    "  long_output: deny\n"
	    "  truncate_marker: ' [cut]'\n"
	    "  cost_field: total_tokens\n"
	    "  max_run_cost: 12.5\n"
	    "  max_run_records: 77\n"
	    "  max_runs: 9\n"
	    "  citation: 45 CFR 164.502(b)\n"
	    "ledger: {require_scrubbed: true, retention: 18m}\n"
	    "hitl:\n"
	    "  timeout_s: 3600\n"
	    "  expire_s: 86400\n"
	    "  approvals_required: 2\n"
	    "  separation_of_duties: false\n"
	    "  irreversible_tools: [send_fax, order_medication]\n"
	    "  webhook: https://pager.example.org/hook\n") != NULL, "a base policy with every setting");
	snprintf(path, sizeof(path), "%s/base.yaml", dir);
	ok(policy_load(&p, path, &e) == 0, "it loads");
	is_int(p.replace, REPLACE_MASK, "scrub.replace");
	is_int(p.keep_year, 1, "scrub.keep_year");
	is_int(p.age_over, 120, "scrub.age_over");
	is_int((int)p.match_limit, 5000, "scrub.match_limit");
	is_int(p.zip_mode, ZIP_REMOVE, "scrub.zip.mode");
	is_str(list(&p.zip_restricted), "036,059", "scrub.zip.restricted");
	is_int(p.names.enabled, 0, "scrub.names.enabled");
	snprintf(path, sizeof(path), "%s/first.txt", dir);
	is_str(p.names.first_names, path, "scrub.names.first_names, beside the policy");
	is_str(p.names.surnames, "/abs/surnames.txt", "scrub.names.surnames, absolute");
	snprintf(path, sizeof(path), "%s/../words.txt", dir);
	is_str(p.names.english, path, "scrub.names.english_words");
	is_str(list(&p.names.titles), "Dr", "scrub.names.titles");
	is_str(list(&p.names.relations), "wife", "scrub.names.relations");
	is_str(list(&p.names.particles), "van", "scrub.names.particles");
	is_str(list(&p.names.verbs_after), "reports", "scrub.names.verbs_after");
	is_str(list(&p.names.cues_before), "patient", "scrub.names.cues_before");
	is_str(list(&p.names.cues_after), "MD", "scrub.names.cues_after");
	is_str(list(&p.names.labels), "Name:", "scrub.names.labels");
	is_str(list(&p.names.not_names), "Nightingale", "scrub.names.not_names");
	is_str(list(&p.names.eponym_next), "disease", "scrub.names.eponym_next");
	is_int((int)p.limits.max_output_chars, 2000, "limits.max_output_chars");
	is_int(p.limits.long_output, LONG_DENY, "limits.long_output");
	is_str(p.limits.marker, " [cut]", "limits.truncate_marker");
	is_str(p.limits.cost_field, "total_tokens", "limits.cost_field");
	ok(p.limits.max_run_cost == 12.5, "limits.max_run_cost");
	is_int((int)p.limits.max_run_records, 77, "limits.max_run_records");
	is_int((int)p.limits.max_runs, 9, "limits.max_runs");
	is_str(p.limits.citation, "45 CFR 164.502(b)", "limits.citation");
	is_int(p.ledger_require_scrubbed, 1, "ledger.require_scrubbed");
	is_int((int)p.ledger_retention_days, 18 * 31, "ledger.retention");
	is_int((int)p.hitl.timeout_s, 3600, "hitl.timeout_s");
	is_int((int)p.hitl.expire_s, 86400, "hitl.expire_s");
	is_int(p.hitl.approvals_required, 2, "hitl.approvals_required");
	is_int(p.hitl.separation_of_duties, 0, "hitl.separation_of_duties");
	is_str(list(&p.hitl.irreversible_tools), "send_fax,order_medication", "hitl.irreversible_tools");
	is_str(p.hitl.webhook, "https://pager.example.org/hook", "hitl.webhook");
	policy_release(&p);

	/* over the base: scalars replace, names lists append, the other lists replace */
	ok(load(&p,
	    "extends: base.yaml\n"
	    "scrub:\n"
	    "  replace: pseudonym\n"
	    "  zip: {restricted: ['102']}\n"
	    "  names: {enabled: on, titles: [Mrs], not_names: [Lister, Osler]}\n"
	    "limits: {long_output: truncate, max_run_cost: 0}\n"
	    "hitl: {irreversible_tools: [wire_money], separation_of_duties: on}\n", &e) == 0,
	    "a site policy over it loads");
	is_str(p.name, "base", "the base's name is kept");
	is_int(p.replace, REPLACE_PSEUDONYM, "a scalar replaces the base's");
	is_int(p.keep_year, 1, "a scalar not set is the base's");
	is_int(p.zip_mode, ZIP_REMOVE, "zip.mode not set is the base's");
	is_str(list(&p.zip_restricted), "102", "zip.restricted replaces the base's");
	is_int(p.names.enabled, 1, "names.enabled replaces the base's");
	is_str(list(&p.names.titles), "Dr,Mrs", "names.titles appends to the base's");
	is_str(list(&p.names.not_names), "Nightingale,Lister,Osler", "names.not_names appends");
	is_int(p.limits.long_output, LONG_TRUNCATE, "limits.long_output replaces");
	ok(p.limits.max_run_cost == 0, "limits.max_run_cost replaces, 0 too");
	is_str(list(&p.hitl.irreversible_tools), "wire_money", "irreversible_tools replaces");
	is_int(p.hitl.separation_of_duties, 1, "separation_of_duties back on");
	policy_release(&p);

	/* wrong values: the key and what it takes, never the value */
	is_str(err("scrub: {replace: shout}\n"), "1:18: replace must be tag, mask or pseudonym", "replace");
	is_str(err("scrub: {keep_year: 2}\n"), "1:20: keep_year must be true or false", "keep_year");
	is_str(err("scrub: {age_over: 201}\n"), "1:19: age_over must be a whole number in range", "age_over");
	is_str(err("scrub: {match_limit: 999}\n"), "1:22: match_limit must be a whole number in range",
	    "match_limit");
	is_str(err("scrub: {zip: {mode: cut}}\n"), "1:21: zip mode must be truncate or remove", "zip.mode");
	is_str(err("scrub: {zip: {restricted: '036'}}\n"), "1:27: restricted must be a list",
	    "zip.restricted");
	is_str(err("scrub: {zip: [a]}\n"), "1:14: zip must be a mapping", "zip");
	is_str(err("scrub: {zip: {zone: a}}\n"), "1:15: unknown key in zip (mode, restricted)", "zip: a key");
	is_str(err("scrub: {names: {titles: Dr}}\n"), "1:25: titles must be a list", "names.titles");
	is_str(err("scrub: {names: {first_names: [a]}}\n"), "1:30: first_names must be a scalar",
	    "names.first_names");
	is_str(err("scrub: {names: {enabled: maybe}}\n"), "1:26: enabled must be true or false",
	    "names.enabled");
	is_str(err("scrub: {names: {nicknames: [a]}}\n"),
	    "1:17: unknown key in names (enabled, first_names, surnames, english_words, medical_words, abbreviations, titles, "
	    "relations, particles, verbs_after, cues_before, cues_after, labels, not_names, eponym_next, places, facility_words, place_cues, facility_heads, facility_names, model, detect)",
	    "names: a key");
	is_str(err("scrub: {rules: {id: a}}\n"), "1:16: rules must be a list", "scrub.rules");
	is_str(err("scrub: {disable: ssn}\n"), "1:18: disable must be a list", "scrub.disable");
	is_str(err("scrub: {disable: [[a]]}\n"), "1:19: disable must be a scalar", "scrub.disable's items");
	is_str(err("scrub: {masks: 1}\n"),
	    "1:9: unknown key in scrub (replace, keep_year, age_over, match_limit, zip, names, rules, "
	    "disable)", "scrub: a key");
	is_str(err("scrub: 1\n"), "1:8: scrub must be a mapping", "scrub");
	is_str(err("limits: {max_output_chars: -1}\n"), "1:28: max_output_chars must be a whole number in range",
	    "limits.max_output_chars");
	is_str(err("limits: {long_output: cut}\n"), "1:23: long_output must be truncate or deny",
	    "limits.long_output");
	is_str(err("limits: {max_run_cost: 1e16}\n"), "1:24: max_run_cost must be a number from 0 up",
	    "limits.max_run_cost");
	is_str(err("limits: {truncate_marker: [a]}\n"), "1:27: truncate_marker must be a scalar",
	    "limits.truncate_marker");
	is_str(err("limits: {max_runs: 16777217}\n"), "1:20: max_runs must be a whole number in range",
	    "limits.max_runs");
	is_str(err("limits: {max_tokens: 1}\n"),
	    "1:10: unknown key in limits (max_output_chars, long_output, truncate_marker, cost_field, "
	    "max_run_cost, max_run_records, max_runs, citation)", "limits: a key");
	is_str(err("ledger: {retention: 0y}\n"),
	    "1:21: retention must be a number of years, months or days (6y, 18m, 90d)", "ledger.retention");
	is_str(err("ledger: {require_scrubbed: 1}\n"), "1:28: require_scrubbed must be true or false",
	    "ledger.require_scrubbed");
	is_str(err("hitl: {expire_s: -1}\n"), "1:18: expire_s must be a whole number in range", "hitl.expire_s");
	is_str(err("hitl: {approvals_required: 17}\n"),
	    "1:28: approvals_required must be a whole number in range", "hitl.approvals_required");
	is_str(err("hitl: {irreversible_tools: send_fax}\n"), "1:28: irreversible_tools must be a list",
	    "hitl.irreversible_tools");
	is_str(err("hitl: {webhook: [a]}\n"), "1:17: webhook must be a scalar", "hitl.webhook");
	is_str(err("hitl: []\n"), "1:7: hitl must be a mapping", "hitl");

	/* disabled rules leave no gap, and the others keep their order */
	ok(load(&p,
	    "scrub:\n"
	    "  names: {enabled: false}\n"
	    "  rules:\n"
	    "    - {id: a, category: MRN, pattern: a}\n"
	    "    - {id: b, category: MRN, pattern: b}\n"
	    "    - {id: c, category: MRN, pattern: c}\n"
	    "    - {id: d, category: MRN, pattern: d}\n"
	    "  disable: [a, c]\n"
	    "prohibited_output:\n"
	    "  - {id: g1, citation: x, severity: deny, pattern: x}\n"
	    "  - {id: g2, citation: x, severity: deny, pattern: x}\n"
	    "  - {id: g1, enabled: false}\n"
	    "  - {id: g1, citation: y, severity: ask, pattern: y}\n", &e) == 0,
	    "rules disabled, one of them given again");
	is_int((int)p.nrules, 2, "two scrub rules left");
	ok(p.nrules == 2 && !strcmp(p.rules[0].id, "b") && !strcmp(p.rules[1].id, "d"),
	    "b and d, in their order");
	is_int((int)p.nguard, 2, "two guard rules");
	ok(p.nguard == 2 && !strcmp(p.guard[0].id, "g2") && !strcmp(p.guard[1].id, "g1") &&
	    p.guard[1].severity == SEV_ASK, "g2, then g1 again, the new one, at the end");
	policy_release(&p);

	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		diag("could not remove %s", dir);
	return done_testing();
}
