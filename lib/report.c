#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "bundle.h"
#include "jscan.h"
#include "lverify.h"
#include "policy.h"
#include "report.h"

#define MAX_TALLY 32		/* distinct policies, models */
#define BUNDLE_MAX (1024u << 20)

/* Text into HTML: the five characters that could end a string or start a tag. */
static void
esc(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

static const char css[] =
    "body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222;padding:0 1em}"
    "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:2em;border-bottom:1px solid #ccc}"
    "table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3em .6em;"
    "border-bottom:1px solid #eee;vertical-align:top;overflow-wrap:break-word}th{background:#f4f4f4}"
    ".t{display:block;font-size:.8em;color:#555;white-space:nowrap}"
    "code,.h,pre{font-family:ui-monospace,monospace;font-size:.9em;overflow-wrap:anywhere;"
    "word-break:break-all}pre{white-space:pre-wrap;margin:0}a{color:inherit}"
    ".ok{background:#e6f4ea;border:1px solid #8c8}.bad{background:#fce8e6;border:1px solid #d88}"
    ".warn{background:#fff4e0;border:1px solid #db8}.banner{padding:.8em 1em;margin:1em 0}"
    ".deny{color:#b00;font-weight:600}.ask{color:#a60;font-weight:600}.allow{color:#070}"
    ".where{color:#666}"
    "@page{size:A4;margin:14mm}"
    "@media print{body{font-size:9.5pt;margin:0;max-width:none;padding:0}"
    "h2{break-after:avoid}tr,.banner{break-inside:avoid}thead{display:table-header-group}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}a{text-decoration:none}}";

/* A policy (stage, name, SHA-256) or a model (no stage, model, endpoint host), counted. */
struct tally {
	char stage[8], name[128], detail[72];
	long n;
};

struct rep {
	FILE *f;
	json_t *doc, *entries;
	size_t n;
	json_t **pay;		/* what phikit wrote in each payload; NULL once erased */
	long records, counts[CAT__N], scrubbed, allow, ask, deny, queued, withheld;
	long approvals, rejections, released, expired, escalated, refusals, erased, break_glass;
	struct tally pol[MAX_TALLY], mod[MAX_TALLY];
	size_t npol, nmod;
	int pol_more, mod_more;
};

static const char *
str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static long long
num(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

static json_t *
ent(const struct rep *r, size_t i)
{
	return json_object_get(json_array_get(r->entries, i), "entry");
}

static json_t *
pk(const struct rep *r, size_t i, const char *k)
{
	return json_object_get(json_object_get(r->pay[i], "phikit"), k);
}

/* One more of a tally's kinds (struct tally), counted; up to MAX_TALLY kinds. */
static void
tally(struct tally *t, size_t *nt, int *more, const char *stage, const char *name,
    const char *detail)
{
	size_t i;

	for (i = 0; i < *nt; i++)
		if (!strcmp(t[i].stage, stage) && !strncmp(t[i].name, name, sizeof(t[i].name) - 1) &&
		    !strncmp(t[i].detail, detail, sizeof(t[i].detail) - 1)) {
			t[i].n++;
			return;
		}
	if (*nt == MAX_TALLY) {
		*more = 1;
		return;
	}
	snprintf(t[*nt].stage, sizeof(t[*nt].stage), "%s", stage);
	snprintf(t[*nt].name, sizeof(t[*nt].name), "%s", name);
	snprintf(t[*nt].detail, sizeof(t[*nt].detail), "%s", detail);
	t[(*nt)++].n = 1;
}

static void
tally_policy(struct rep *r, const char *stage, json_t *o, const char *namek, const char *shak)
{
	if (json_is_object(o) && *str(o, shak))
		tally(r->pol, &r->npol, &r->pol_more, stage, str(o, namek), str(o, shak));
}

/* An answer's model; its verdict once: unless released (counted when it was queued). */
static void
tally_answer(struct rep *r, size_t i, int withheld)
{
	const char *v = str(pk(r, i, "guard"), "verdict");
	json_t *llm = pk(r, i, "llm");
	const char *model = *str(llm, "model") ? str(llm, "model") : str(r->pay[i], "model");

	tally(r->mod, &r->nmod, &r->mod_more, "", model, str(llm, "host"));
	if (pk(r, i, "hitl") != NULL)
		return;	/* released: counted when it was queued */
	if (withheld)
		r->withheld++;
	else if (!strcmp(v, "allow"))
		r->allow++;
	else if (!strcmp(v, "ask"))
		r->ask++;
	else
		r->deny++;
}

static void
tally_hitl(struct rep *r, const char *kind, json_t *p)
{
	if (!strcmp(kind, "hitl.enqueue"))
		r->queued++;
	else if (!strcmp(kind, "hitl.decision")) {
		if (!strcmp(str(p, "decision"), "approve"))
			r->approvals++;
		else
			r->rejections++;
		if (json_is_true(json_object_get(p, "break_glass")))
			r->break_glass++;
	} else if (!strcmp(kind, "hitl.release"))
		r->released++;
	else if (!strcmp(kind, "hitl.expire"))
		r->expired++;
	else if (!strcmp(kind, "hitl.escalate"))
		r->escalated++;
	else if (!strcmp(kind, "hitl.refusal") || !strcmp(kind, "access.refusal"))
		r->refusals++;
	if (!strncmp(kind, "hitl.", 5) && *str(p, "policy_sha256"))
		tally(r->pol, &r->npol, &r->pol_more, "review", "", str(p, "policy_sha256"));
}

static void
tally_entry(struct rep *r, size_t i)
{
	const char *kind = str(ent(r, i), "kind");
	json_t *p = r->pay[i], *c, *v;
	const char *k;
	int cat;

	if (p == NULL) {
		r->erased++;
		return;
	}
	tally_policy(r, "scrub", pk(r, i, "scrub"), "policy", "policy_sha256");
	tally_policy(r, "guard", pk(r, i, "guard"), "policy", "policy_sha256");
	if (!strcmp(kind, "policy.bind"))
		tally_policy(r, "queue", json_object_get(p, "policy"), "name", "sha256");
	if (!strcmp(kind, "record") && pk(r, i, "ledger") == NULL) {
		/* a record logged again (the answer to a logged prompt) was counted the first time */
		r->records++;
		c = json_object_get(pk(r, i, "scrub"), "counts");
		json_object_foreach(c, k, v)
			if ((cat = cat_parse(k)) >= 0 && json_is_integer(v)) {
				r->counts[cat] += (long)json_integer_value(v);
				r->scrubbed += (long)json_integer_value(v);
			}
	}
	if ((!strcmp(kind, "record") && json_is_object(pk(r, i, "guard"))) ||
	    !strcmp(kind, "hitl.deny"))
		tally_answer(r, i, !strcmp(kind, "hitl.deny"));
	tally_hitl(r, kind, p);
}

/* The payloads' annotations, and the totals. */
static int
collect(struct rep *r, struct phk_err *e)
{
	json_t *pl;
	size_t i;

	r->entries = json_object_get(r->doc, "entries");
	r->n = json_is_array(r->entries) ? json_array_size(r->entries) : 0;
	if (r->n && (r->pay = calloc(r->n, sizeof(*r->pay))) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		struct phk_err ignore;
		pl = json_object_get(json_array_get(r->entries, i), "payload");
		if (json_is_string(pl))
			r->pay[i] = jscan_json_annotations(json_string_value(pl), json_string_length(pl),
			    &ignore);
		tally_entry(r, i);
	}
	/* the review stage names its policy by hash: the name the queue bound it under */
	for (i = 0; i < r->npol; i++) {
		size_t j;
		for (j = 0; !*r->pol[i].name && j < r->npol; j++)
			if (*r->pol[j].name && !strcmp(r->pol[j].detail, r->pol[i].detail))
				snprintf(r->pol[i].name, sizeof(r->pol[i].name), "%s", r->pol[j].name);
	}
	return 0;
}

static void
rep_release(struct rep *r)
{
	size_t i;

	for (i = 0; r->pay && i < r->n; i++)
		json_decref(r->pay[i]);
	free(r->pay);
	json_decref(r->doc);
}

static void
link_entry(FILE *f, long long seq)
{
	if (seq >= 0)
		fprintf(f, "<a href=\"#e%lld\">%lld</a>", seq, seq);
}

/* An entry's number, linked to its row in the timeline, and its time. */
static void
entry_cell(const struct rep *r, size_t i)
{
	link_entry(r->f, num(ent(r, i), "seq"));
	fprintf(r->f, "<span class=\"t\">%.10s %.8s</span>", str(ent(r, i), "ts"),
	    strlen(str(ent(r, i), "ts")) > 11 ? str(ent(r, i), "ts") + 11 : "");
}

static void
scope(const struct rep *r, const struct report_opts *o)
{
	const char *run = *str(r->doc, "run_id") ? str(r->doc, "run_id") : o->run;
	const char *from = json_object_get(r->doc, "run_id") ? NULL : str(r->doc, "from");
	const char *to = json_object_get(r->doc, "run_id") ? NULL : str(r->doc, "to");

	if (r->doc == NULL && o->run == NULL && o->from == NULL && o->to == NULL) {
		fputs("the bundle", r->f);
		return;
	}
	if (r->doc == NULL) {
		fputs(o->run ? "run <code>" : "entries ", r->f);
		esc(r->f, o->run);
		if (o->run)
			fputs("</code>", r->f);
		else
			fprintf(r->f, "from %s to %s", o->from ? o->from : "the start",
			    o->to ? o->to : "the end");
		return;
	}
	if (from == NULL && to == NULL) {
		fputs("run <code>", r->f);
		esc(r->f, run);
		fputs("</code>", r->f);
		return;
	}
	fputs("entries from ", r->f);
	esc(r->f, *from ? from : "the start");
	fputs(" to ", r->f);
	esc(r->f, *to ? to : "the end");
}

static void
head(const struct rep *r, const struct lverify_result *vr, const struct report_opts *o)
{
	FILE *f = r->f;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">\n<title>", f);
	fputs(vr->ok ? "" : "INVALID: ", f);
	fputs("phikit audit report</title>\n<style>", f);
	fputs(css, f);
	fputs("</style></head><body>\n", f);
	if (!vr->ok) {
		fputs("<h1 class=\"deny\">INVALID: this audit trail does not verify</h1>\n"
		    "<div class=\"banner bad\"><strong>INVALID</strong>: ", f);
		esc(f, vr->what);
		fputs(". Nothing below can be relied on.</div>\n<h2>Audit report: ", f);
		scope(r, o);
		fputs("</h2>\n", f);
		return;
	}
	fputs("<h1>Audit report: ", f);
	scope(r, o);
	fputs("</h1>\n", f);
}

static void
keys_row(FILE *f, const struct report_opts *o, json_t *doc)
{
	char vkey[NOTE_VKEY_MAX];
	json_t *k;
	size_t i;

	fputs("<tr><th>verifier keys</th><td>", f);
	for (i = 0; i < o->nkeys; i++) {
		note_verifier_vkey(&o->keys[i], vkey);
		fputs(i ? "<br><code>" : "<code>", f);
		esc(f, vkey);
		fputs("</code>", f);
	}
	if (o->nkeys == 0) {
		fputs("none given; the keys the trail names itself, not trusted:", f);
		json_array_foreach(json_object_get(doc, "verifier_keys"), i, k) {
			fputs("<br><code>", f);
			esc(f, json_string_value(k));
			fputs("</code>", f);
		}
	}
	fputs("</td></tr>\n", f);
}

static void
verification(const struct rep *r, const struct lverify_result *vr, const struct report_opts *o)
{
	char root[2 * HASH_LEN + 1];
	FILE *f = r->f;

	fputs("<h2>Verification</h2>\n", f);
	if (!vr->ok)
		fputs("<div class=\"banner bad\"><strong>INVALID</strong>: see above.</div>\n", f);
	else if (vr->key_verified) {
		fputs("<div class=\"banner ok\"><strong>Verified</strong>: every payload, leaf and "
		    "inclusion proof recomputed against the checkpoint, signed by <code>", f);
		esc(f, vr->ck_signer);
		fputs("</code>, a key given.</div>\n", f);
	} else {
		fputs("<div class=\"banner warn\"><strong>Consistent, not verified</strong>: no "
		    "verifier key was given, so the checkpoint is only self-asserted by <code>", f);
		esc(f, vr->ck_signer);
		fputs("</code>. Verify with <code>ledger-verify --key</code>.</div>\n", f);
	}
	sodium_bin2hex(root, sizeof(root), vr->root, HASH_LEN);
	fputs("<table><tr><th>ledger</th><td><code>", f);
	esc(f, str(r->doc, "origin"));
	fprintf(f, "</code></td></tr>\n<tr><th>checkpoint</th><td>tree size %llu, root <span "
	    "class=\"h\">%s</span><pre>", (unsigned long long)vr->ck_size, root);
	esc(f, str(r->doc, "checkpoint"));
	fputs("</pre></td></tr>\n", f);
	keys_row(f, o, r->doc);
	if (vr->has_since)
		fprintf(f, "<tr><th>saved checkpoint</th><td>tree size %llu: the trail extends it"
		    "</td></tr>\n", (unsigned long long)vr->since_size);
	fprintf(f, "<tr><th>erased payloads</th><td>%ld</td></tr></table>\n", r->erased);
}

static void
total_row(FILE *f, const char *what, long n, const char *cls)
{
	fprintf(f, "<tr><th>%s</th><td%s%s%s>%ld</td></tr>\n", what, cls && n ? " class=\"" : "",
	    cls && n ? cls : "", cls && n ? "\"" : "", n);
}

static void
totals(const struct rep *r)
{
	FILE *f = r->f;
	int i;

	fprintf(f, "<h2>Totals</h2>\n<table>\n<tr><th>entries</th><td>%zu</td></tr>\n", r->n);
	total_row(f, "records in", r->records, NULL);
	fputs("<tr><th>values scrubbed</th><td>", f);
	fprintf(f, "%ld", r->scrubbed);
	for (i = 0; i < CAT__N; i++)
		if (r->counts[i])
			fprintf(f, "%s%s %ld", i && r->scrubbed ? "; " : ": ", cat_name(i), r->counts[i]);
	fputs("</td></tr>\n", f);
	total_row(f, "answers allowed", r->allow, "allow");
	total_row(f, "answers asked (queued for review)", r->queued + r->ask, "ask");
	total_row(f, "answers denied", r->withheld + r->deny, "deny");
	total_row(f, "approvals", r->approvals, NULL);
	total_row(f, "rejections", r->rejections, "deny");
	total_row(f, "released after review", r->released, NULL);
	total_row(f, "expired", r->expired, "ask");
	total_row(f, "escalated", r->escalated, "ask");
	total_row(f, "break-glass approvals", r->break_glass, "deny");
	total_row(f, "refusals logged", r->refusals, "ask");
	fputs("</table>\n", f);
}

static void
rules(FILE *f, json_t *g)
{
	json_t *viol = json_object_get(g, "violations"), *x;
	size_t i;

	json_array_foreach(viol, i, x) {
		fputs(i ? "<br><code>" : "<code>", f);
		esc(f, str(x, "rule"));
		fputs("</code> ", f);
		esc(f, str(x, "severity"));
		fputs(" — ", f);
		esc(f, str(x, "citation"));
		if (*str(x, "field")) {
			fputs(" <span class=\"where\">at <code>", f);
			esc(f, str(x, "field"));
			fprintf(f, "</code> %lld+%lld</span>", num(x, "offset"), num(x, "length"));
		}
	}
	if (json_array_size(viol) == 0)
		fputs("none", f);
}

/* The request an answer answers: its id, its run and place in it, the prompt's entry. */
static void
request(const struct rep *r, size_t i)
{
	json_t *id = json_object_get(r->pay[i], "id"), *x = ent(r, i);
	FILE *f = r->f;

	if (json_is_string(id) && ledger_ident_ok(json_string_value(id))) {
		fputs("id <code>", f);
		esc(f, json_string_value(id));
		fputs("</code>, ", f);
	} else if (json_is_integer(id))
		fprintf(f, "id %lld, ", (long long)json_integer_value(id));
	fputs("run <code>", f);
	esc(f, str(x, "run_id"));
	fprintf(f, "</code> #%lld", num(x, "run_seq"));
	if (num(pk(r, i, "ledger"), "seq") >= 0) {
		fputs("; prompt at entry ", f);
		link_entry(f, num(pk(r, i, "ledger"), "seq"));
	}
}

static void
answer_row(const struct rep *r, size_t i, const char *outcome)
{
	json_t *g = pk(r, i, "guard"), *llm = pk(r, i, "llm");
	const char *v = str(g, "verdict");
	FILE *f = r->f;

	fputs("<tr><td>", f);
	entry_cell(r, i);
	fputs("</td><td>", f);
	request(r, i);
	fprintf(f, "</td><td class=\"%s\">", !strcmp(v, "deny") ? "deny" : !strcmp(v, "ask") ?
	    "ask" : "allow");
	esc(f, v);
	fputs("</td><td>", f);
	rules(f, g);
	fputs("</td><td>", f);
	esc(f, *str(llm, "model") ? str(llm, "model") : str(r->pay[i], "model"));
	if (*str(llm, "host")) {
		fputs(" at <code>", f);
		esc(f, str(llm, "host"));
		fputs("</code>", f);
	}
	fprintf(f, "</td><td>%s</td></tr>\n", outcome);
}

static const char *
outcome(const struct rep *r, size_t i)
{
	const char *kind = str(ent(r, i), "kind"), *v = str(pk(r, i, "guard"), "verdict");

	if (!strcmp(kind, "hitl.deny"))
		return "denied: withheld, not passed on";
	if (pk(r, i, "hitl") != NULL)
		return "released after review";
	if (!strcmp(v, "allow"))
		return "passed on";
	return "logged without the review gate";
}

static int
is_answer(const struct rep *r, size_t i)
{
	const char *kind = str(ent(r, i), "kind");

	return json_is_object(pk(r, i, "guard")) && (!strcmp(kind, "record") ||
	    !strcmp(kind, "hitl.deny"));
}

static void
answers(const struct rep *r, int denied_only)
{
	static const char th[] = "<table><thead><tr><th>entry</th><th>request</th>"
	    "<th>verdict</th><th>rules, citations and where</th><th>model</th>"
	    "<th>outcome</th></tr></thead>\n";
	FILE *f = r->f;
	size_t i;
	int any = 0;

	fputs(denied_only ? "<h2 class=\"deny\">Denied answers</h2>\n" :
	    "<h2>Answers and their verdicts</h2>\n", f);
	fputs(th, f);
	for (i = 0; i < r->n; i++)
		if (is_answer(r, i) && (!denied_only ||
		    !strcmp(str(pk(r, i, "guard"), "verdict"), "deny"))) {
			answer_row(r, i, outcome(r, i));
			any = 1;
		}
	if (!any)
		fputs("<tr><td colspan=\"6\">none</td></tr>\n", f);
	fputs("</table>\n", f);
}

static void
review_detail(FILE *f, const char *kind, json_t *p)
{
	if (!strcmp(kind, "hitl.enqueue")) {
		fputs("request at entry ", f);
		link_entry(f, num(p, "request_seq"));
		fprintf(f, " (#%lld of its run); ", num(p, "request_run_seq"));
		esc(f, str(json_object_get(p, "guard"), "verdict"));
		fputs(": ", f);
		{
			json_t *x;
			size_t i;
			json_array_foreach(json_object_get(json_object_get(p, "guard"), "rules"), i, x) {
				fputs(i ? ", <code>" : "<code>", f);
				esc(f, json_string_value(x));
				fputs("</code>", f);
			}
		}
		fprintf(f, "; %lld approval%s required%s", num(p, "approvals_required"),
		    num(p, "approvals_required") == 1 ? "" : "s",
		    json_is_true(json_object_get(p, "separation_of_duties")) ?
		    ", separation of duties" : "");
	} else if (!strcmp(kind, "hitl.decision")) {
		if (json_is_true(json_object_get(p, "break_glass"))) {
			fputs("<span class=\"deny\">BREAK-GLASS</span>: ", f);
			esc(f, str(p, "reason"));
		}
		if (json_is_true(json_object_get(p, "break_glass_review"))) {
			fputs("review of the break-glass approval by ", f);
			esc(f, str(p, "break_glass_by"));
			fputs("; ", f);
		}
		if (json_object_get(p, "notes") || !json_is_true(json_object_get(p, "break_glass"))) {
			fputs("notes: ", f);
			esc(f, str(p, "notes"));
		}
		fputs("; status ", f);
		esc(f, str(p, "status"));
		fprintf(f, " (%lld of %lld)", num(p, "approvals"), num(p, "approvals_required"));
	} else if (!strcmp(kind, "hitl.release"))
		fprintf(f, "%lld of %lld approvals%s", num(p, "approvals"), num(p, "approvals_required"),
		    json_is_true(json_object_get(p, "break_glass")) ?
		    ", <span class=\"deny\">BREAK-GLASS</span>" : "");
	else if (!strcmp(kind, "hitl.escalate") && !strcmp(str(p, "review"), "break_glass"))
		fputs("<span class=\"deny\">break-glass review overdue</span>", f);
	else {
		esc(f, str(p, "action"));
		fputs(" ", f);
		esc(f, str(p, "rule"));
		fputs(" ", f);
		esc(f, str(p, "reason"));
	}
}

static void
review_row(const struct rep *r, size_t i)
{
	const char *kind = str(ent(r, i), "kind");
	json_t *p = r->pay[i];
	FILE *f = r->f;

	fputs("<tr><td>", f);
	entry_cell(r, i);
	fputs("</td><td>", f);
	if (num(p, "item") >= 0)
		fprintf(f, "%lld", num(p, "item"));
	if (!strcmp(kind, "hitl.decision"))
		fprintf(f, "</td><td class=\"%s\">", !strcmp(str(p, "decision"), "approve") ?
		    "allow" : "deny");
	else
		fputs("</td><td>", f);
	esc(f, !strcmp(kind, "hitl.decision") ? str(p, "decision") : kind + 5);
	fputs("</td><td>", f);
	if (*str(p, "reviewer")) {
		esc(f, str(p, "reviewer"));
		fputs(" (<code>", f);
		esc(f, str(p, "unix_user"));
		fputs("</code>)", f);
	} else
		esc(f, str(ent(r, i), "actor"));
	fputs("</td><td>", f);
	review_detail(f, kind, p);
	fputs("</td></tr>\n", f);
}

static void
reviews(const struct rep *r)
{
	FILE *f = r->f;
	size_t i;
	int any = 0;

	fputs("<h2>Reviews</h2>\n<table><thead><tr><th>entry</th><th>item</th>"
	    "<th>event</th><th>by</th><th>detail</th></tr></thead>\n", f);
	for (i = 0; i < r->n; i++) {
		const char *kind = str(ent(r, i), "kind");
		if (r->pay[i] && !strncmp(kind, "hitl.", 5) && strcmp(kind, "hitl.deny") != 0) {
			review_row(r, i);
			any = 1;
		}
	}
	if (!any)
		fputs("<tr><td colspan=\"5\">none</td></tr>\n", f);
	fputs("</table>\n", f);
}

static void
tallies(const struct rep *r)
{
	static const char *const stages[] = { "scrub", "guard", "queue", "review" };
	FILE *f = r->f;
	size_t i, k;

	fputs("<h2>Policies</h2>\n<table><thead><tr><th>stage</th><th>policy</th><th>SHA-256</th>"
	    "<th>entries</th></tr></thead>\n", f);
	for (k = 0; k < 4 * r->npol; k++) {
		i = k % r->npol;	/* in the stages' order */
		if (strcmp(r->pol[i].stage, stages[k / r->npol]) != 0)
			continue;
		fprintf(f, "<tr><td>%s</td><td>", r->pol[i].stage);
		esc(f, r->pol[i].name);
		fputs("</td><td class=\"h\">", f);
		esc(f, r->pol[i].detail);
		fprintf(f, "</td><td>%ld</td></tr>\n", r->pol[i].n);
	}
	fputs(r->npol ? "" : "<tr><td colspan=\"4\">none recorded</td></tr>\n", f);
	fputs(r->pol_more ? "<tr><td colspan=\"4\">and more not listed</td></tr>\n" : "", f);
	fputs("</table>\n<h2>Models</h2>\n<table><thead><tr><th>model</th><th>endpoint host</th>"
	    "<th>answers</th></tr></thead>\n", f);
	for (i = 0; i < r->nmod; i++) {
		fputs("<tr><td>", f);
		esc(f, *r->mod[i].name ? r->mod[i].name : "not recorded");
		fputs("</td><td><code>", f);
		esc(f, r->mod[i].detail);
		fprintf(f, "</code></td><td>%ld</td></tr>\n", r->mod[i].n);
	}
	fputs(r->nmod ? "" : "<tr><td colspan=\"3\">none recorded</td></tr>\n", f);
	fputs(r->mod_more ? "<tr><td colspan=\"3\">and more not listed</td></tr>\n" : "", f);
	fputs("</table>\n", f);
}

static void
timeline(const struct rep *r)
{
	FILE *f = r->f;
	size_t i;

	fputs("<h2>Timeline</h2>\n<table><thead><tr><th>entry</th><th>time</th><th>run</th>"
	    "<th>kind</th><th>actor</th><th>verdict</th><th>leaf hash</th></tr></thead>\n", f);
	for (i = 0; i < r->n; i++) {
		json_t *x = ent(r, i);
		fprintf(f, "<tr id=\"e%lld\"><td>%lld</td><td class=\"t\">", num(x, "seq"),
		    num(x, "seq"));
		esc(f, str(x, "ts"));
		fputs("</td><td><code>", f);
		esc(f, str(x, "run_id"));
		fprintf(f, "</code> #%lld</td><td>", num(x, "run_seq"));
		esc(f, str(x, "kind"));
		fputs("</td><td>", f);
		esc(f, str(x, "actor"));
		fputs("</td><td>", f);
		if (r->pay[i] == NULL)
			fputs("payload erased", f);
		else
			esc(f, str(pk(r, i, "guard"), "verdict"));
		fputs("</td><td class=\"h\">", f);
		esc(f, str(json_array_get(r->entries, i), "leaf_hash"));
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
}

/* The source: what the page was made from. The rest states what the trail holds. */
static void
source(FILE *f, const char *what, const char *path, const char *sha, const char *extra)
{
	char ts[LEDGER_TS_LEN + 1];

	ledger_now(ts);
	fprintf(f, "<h2>Source</h2>\n<table id=\"source\"><tr><th>made from</th><td>%s <code>",
	    what);
	esc(f, path);
	fputs("</code></td></tr>\n", f);
	if (sha)
		fprintf(f, "<tr><th>its SHA-256</th><td class=\"h\">%s</td></tr>\n", sha);
	if (extra) {
		fputs("<tr><th>database</th><td>", f);
		esc(f, extra);
		fputs("</td></tr>\n", f);
	}
	fprintf(f, "<tr><th>reported</th><td>%s by trace-export (phikit %s)</td></tr></table>\n",
	    ts, PHIKIT_VERSION);
}

static long
render(struct rep *r, const struct lverify_result *vr, const struct report_opts *o,
    const char *what, const char *path, const char *sha, const char *extra, struct phk_err *e)
{
	FILE *f = r->f;

	if (collect(r, e) < 0)
		return -1;
	head(r, vr, o);
	source(f, what, path, sha, extra);
	verification(r, vr, o);
	totals(r);
	answers(r, 1);
	answers(r, 0);
	reviews(r);
	tallies(r);
	timeline(r);
	fputs("<p>No payload text is shown: only what phikit wrote into the payloads. Check the "
	    "trail yourself with <code>ledger-verify</code> (phikit-ledger(5)).</p>\n"
	    "</body></html>\n", f);
	if (ferror(f)) {
		phk_err_set(e, PHK_EXIT_IO, "write error");
		return -1;
	}
	return (long)r->n;
}

static json_t *
parse(const char *p, size_t n)
{
	json_error_t je;

	return json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
}

long
report_html_bundle(const char *path, struct report_opts *o, FILE *f, struct phk_err *e)
{
	struct lverify_opts vo = { o->keys, o->nkeys, o->since, o->since_len };
	struct lverify_result vr;
	unsigned char h[crypto_hash_sha256_BYTES];
	char sha[2 * sizeof(h) + 1];
	struct rep r;
	struct buf b;
	long n = 0;

	memset(&r, 0, sizeof(r));
	r.f = f;
	buf_init(&b, BUNDLE_MAX);
	if (buf_read_file(&b, path) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "%s: %s", path, errno == E2BIG ? "larger than 1 GiB" :
		    strerror(errno));
		buf_release(&b);
		return -1;
	}
	crypto_hash_sha256(h, (const unsigned char *)b.p, b.len);
	sodium_bin2hex(sha, sizeof(sha), h, sizeof(h));
	if ((r.doc = parse(b.p, b.len)) != NULL) {
		if (lverify_bundle_doc(r.doc, &vo, &vr, e) < 0)
			n = -1;
	} else if (lverify_bundle(path, &vo, &vr, e) < 0)
		n = -1;	/* says why the text is not a bundle, quoting none of it */
	buf_release(&b);
	if (n == -1) {
		rep_release(&r);
		return -1;
	}
	o->valid = vr.ok;
	snprintf(o->what, sizeof(o->what), "%s", vr.ok ? "" : vr.what);
	n = render(&r, &vr, o, "the audit bundle", path, sha, NULL, e);
	rep_release(&r);
	return n;
}

/* The bundle trace-export would write for the scope, in memory. */
static json_t *
db_bundle(struct ledger *l, const struct report_opts *o, struct phk_err *e)
{
	struct bundle_opts bo = { o->run, o->from, o->to, o->since, o->since_len };
	char *p = NULL;
	size_t n = 0;
	json_t *doc = NULL;
	FILE *m;

	if ((m = open_memstream(&p, &n)) == NULL) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return NULL;
	}
	if (bundle_write(l, &bo, m, e) < 0) {
		fclose(m);
		free(p);
		return NULL;
	}
	if (fclose(m) != 0 || (doc = parse(p, n)) == NULL)
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
	if (p)
		sodium_memzero(p, n);	/* scrubbed records, still nobody's business */
	free(p);
	return doc;
}

long
report_html_db(struct ledger *l, struct report_opts *o, FILE *f, struct phk_err *e)
{
	struct lverify_opts vo = { o->keys, o->nkeys, o->since, o->since_len };
	struct lverify_result vdb, vr;
	char whole[256];
	struct rep r;
	long n;

	memset(&r, 0, sizeof(r));
	r.f = f;
	if (lverify_db(l, &vo, &vdb, e) < 0)
		return -1;
	if ((r.doc = db_bundle(l, o, e)) == NULL && vdb.ok)
		return -1;
	if (r.doc && lverify_bundle_doc(r.doc, &vo, &vr, e) < 0) {
		rep_release(&r);
		return -1;
	}
	if (!vdb.ok || r.doc == NULL)
		vr = vdb;	/* the database's own failure comes first */
	o->valid = vr.ok;
	snprintf(o->what, sizeof(o->what), "%s", vr.ok ? "" : vr.what);
	snprintf(whole, sizeof(whole), "%s: all %llu entries and %llu runs verified besides",
	    vdb.ok ? "valid" : "INVALID", (unsigned long long)vdb.entries,
	    (unsigned long long)vdb.runs);
	n = render(&r, &vr, o, "the ledger database", l->path, NULL, whole, e);
	rep_release(&r);
	return n;
}
