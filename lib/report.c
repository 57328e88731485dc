#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "lverify.h"
#include "policy.h"
#include "report.h"

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
    "border-bottom:1px solid #eee;vertical-align:top}th{background:#f4f4f4}"
    "code,.h{font-family:ui-monospace,monospace;font-size:.9em}"
    ".ok{background:#e6f4ea;border:1px solid #8c8}.bad{background:#fce8e6;border:1px solid #d88}"
    ".warn{background:#fff4e0;border:1px solid #db8}.banner{padding:.8em 1em;margin:1em 0}"
    ".deny{color:#b00;font-weight:600}.ask{color:#a60;font-weight:600}.allow{color:#070}";

static int
each(struct ledger *l, const char *run, int (*fn)(void *, sqlite3_stmt *), void *ctx,
    struct phk_err *e)
{
	sqlite3_stmt *q;
	int rc;

	if (sqlite3_prepare_v2(l->db, "SELECT seq, ts, actor, kind, leaf_hash, payload FROM entries "
	    "WHERE run_id = ?1 ORDER BY seq", -1, &q, NULL) != SQLITE_OK) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s': %s", l->path, sqlite3_errmsg(l->db));
		return -1;
	}
	sqlite3_bind_text(q, 1, run, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		if (fn(ctx, q) < 0)
			break;
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s': %s", l->path, sqlite3_errmsg(l->db));
		return -1;
	}
	return 0;
}

static json_t *
payload(sqlite3_stmt *q)
{
	const char *p = sqlite3_column_blob(q, 5);
	struct phk_err e;

	/* a payload jansson cannot hold whole (a 40-digit number in its text) keeps its verdicts */
	return p ? jscan_json_annotations(p, (size_t)sqlite3_column_bytes(q, 5), &e) : NULL;
}

struct agg {
	FILE *f;
	long counts[CAT__N], entries;
};

static int
count(void *ctx, sqlite3_stmt *q)
{
	struct agg *a = ctx;
	json_t *p = payload(q), *c;
	const char *k;
	json_t *v;
	int cat;

	a->entries++;
	/*
	 * A record logged again (the answer to a logged prompt) carries the
	 * ledger annotation of its first logging and the same redactions:
	 * they were counted then.
	 */
	if (json_object_get(json_object_get(p, "phikit"), "ledger") != NULL) {
		json_decref(p);
		return 0;
	}
	c = json_object_get(json_object_get(json_object_get(p, "phikit"), "scrub"), "counts");
	json_object_foreach(c, k, v)
		if ((cat = cat_parse(k)) >= 0 && json_is_integer(v))
			a->counts[cat] += (long)json_integer_value(v);
	json_decref(p);
	return 0;
}

static const char *
str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "";
}

static int
verdict_row(void *ctx, sqlite3_stmt *q)
{
	FILE *f = ctx;
	json_t *p = payload(q), *g, *viol, *x;
	size_t i;

	g = json_object_get(json_object_get(p, "phikit"), "guard");
	if (json_is_object(g)) {
		fprintf(f, "<tr><td>%lld</td><td class=\"%s\">", (long long)sqlite3_column_int64(q, 0),
		    !strcmp(str(g, "verdict"), "deny") ? "deny" : !strcmp(str(g, "verdict"), "ask") ?
		    "ask" : "allow");
		esc(f, str(g, "verdict"));
		fputs("</td><td>", f);
		viol = json_object_get(g, "violations");
		json_array_foreach(viol, i, x) {
			fputs(i ? "<br>" : "", f);
			fputs("<code>", f);
			esc(f, str(x, "rule"));
			fputs("</code> ", f);
			esc(f, str(x, "severity"));
			fputs(" — ", f);
			esc(f, str(x, "citation"));
		}
		fputs(json_array_size(viol) ? "</td></tr>\n" : "none</td></tr>\n", f);
	}
	json_decref(p);
	return 0;
}

static int
decision_row(void *ctx, sqlite3_stmt *q)
{
	FILE *f = ctx;
	json_t *p;

	if (strcmp((const char *)sqlite3_column_text(q, 3), "hitl.decision") != 0)
		return 0;
	p = payload(q);
	fprintf(f, "<tr><td>%lld</td><td>", (long long)sqlite3_column_int64(q, 0));
	esc(f, (const char *)sqlite3_column_text(q, 1));
	fprintf(f, "</td><td>%lld</td><td>", (long long)json_integer_value(json_object_get(p, "item")));
	esc(f, str(p, "decision"));
	fputs("</td><td>", f);
	esc(f, str(p, "reviewer"));
	fputs(" (<code>", f);
	esc(f, str(p, "unix_user"));
	fputs("</code>)</td><td>", f);
	esc(f, str(p, "notes"));
	fputs("</td></tr>\n", f);
	json_decref(p);
	return 0;
}

static int
timeline_row(void *ctx, sqlite3_stmt *q)
{
	FILE *f = ctx;
	char hex[2 * HASH_LEN + 1] = "";
	json_t *p = payload(q), *g;

	if (sqlite3_column_bytes(q, 4) == HASH_LEN)
		sodium_bin2hex(hex, sizeof(hex), sqlite3_column_blob(q, 4), HASH_LEN);
	g = json_object_get(json_object_get(p, "phikit"), "guard");
	fprintf(f, "<tr><td>%lld</td><td class=\"h\">", (long long)sqlite3_column_int64(q, 0));
	esc(f, (const char *)sqlite3_column_text(q, 1));
	fputs("</td><td>", f);
	esc(f, (const char *)sqlite3_column_text(q, 3));
	fputs("</td><td>", f);
	esc(f, (const char *)sqlite3_column_text(q, 2));
	fputs("</td><td>", f);
	if (sqlite3_column_type(q, 5) == SQLITE_NULL)
		fputs("payload erased", f);
	else if (json_is_object(g))
		esc(f, str(g, "verdict"));
	fprintf(f, "</td><td class=\"h\">%.16s…</td></tr>\n", hex);
	json_decref(p);
	return 0;
}

long
report_html(struct ledger *l, const struct report_opts *o, FILE *f, struct phk_err *e)
{
	struct lverify_opts vo = { o->keys, o->nkeys, NULL, 0 };
	struct lverify_result vr;
	char root[2 * HASH_LEN + 1], ts[LEDGER_TS_LEN + 1];
	struct agg a;
	int i, any = 0;

	memset(&a, 0, sizeof(a));
	if (each(l, o->run, count, &a, e) < 0)
		return -1;
	if (a.entries == 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "no run '%s' in the ledger", o->run);
		return -1;
	}
	if (lverify_db(l, &vo, &vr, e) < 0)
		return -1;
	sodium_bin2hex(root, sizeof(root), vr.root, HASH_LEN);
	ledger_now(ts);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'\">\n<title>phikit audit report: run ", f);
	esc(f, o->run);
	fprintf(f, "</title>\n<style>%s</style></head><body>\n<h1>Audit report: run <code>", css);
	esc(f, o->run);
	fprintf(f, "</code></h1>\n<p>%ld entries of the ledger <code>", a.entries);
	esc(f, l->origin);
	fprintf(f, "</code>, reported %s by trace-export (phikit %s).</p>\n", ts, PHIKIT_VERSION);

	fputs("<h2>Verification</h2>\n", f);
	if (!vr.ok) {
		fputs("<div class=\"banner bad\"><strong>INVALID</strong>: ", f);
		esc(f, vr.what);
		fputs("</div>\n", f);
	} else if (vr.key_verified) {
		fputs("<div class=\"banner ok\"><strong>Verified</strong>: every payload, leaf, tree "
		    "node and run chain recomputed; checkpoints signed by <code>", f);
		esc(f, vr.ck_signer);
		fputs("</code>, the key given.</div>\n", f);
	} else {
		fputs("<div class=\"banner warn\"><strong>Consistent, not verified</strong>: no "
		    "verifier key was given, so the checkpoints are only self-asserted by <code>", f);
		esc(f, vr.ck_signer);
		fputs("</code>. Verify with <code>ledger-verify --key</code>.</div>\n", f);
	}
	fprintf(f, "<table><tr><th>latest checkpoint</th><td>%s</td></tr>\n"
	    "<tr><th>tree size</th><td>%llu entries</td></tr>\n"
	    "<tr><th>root hash</th><td class=\"h\">%s</td></tr>\n"
	    "<tr><th>erased payloads</th><td>%llu</td></tr></table>\n",
	    vr.has_ck ? "signed" : "none", (unsigned long long)vr.ck_size, root,
	    (unsigned long long)vr.erased);

	fputs("<h2>Redactions</h2>\n<table><tr><th>category</th><th>removed</th></tr>\n", f);
	for (i = 0; i < CAT__N; i++)
		if (a.counts[i]) {
			fprintf(f, "<tr><td>%s</td><td>%ld</td></tr>\n", cat_name(i), a.counts[i]);
			any = 1;
		}
	if (!any)
		fputs("<tr><td colspan=\"2\">none recorded</td></tr>\n", f);
	fputs("</table>\n<h2>Guard verdicts</h2>\n<table><tr><th>entry</th><th>verdict</th>"
	    "<th>rules and citations</th></tr>\n", f);
	if (each(l, o->run, verdict_row, f, e) < 0)
		return -1;
	fputs("</table>\n<h2>Review decisions</h2>\n<table><tr><th>entry</th><th>time</th>"
	    "<th>item</th><th>decision</th><th>reviewer (Unix user)</th><th>notes</th></tr>\n", f);
	if (each(l, o->run, decision_row, f, e) < 0)
		return -1;
	fputs("</table>\n<h2>Timeline</h2>\n<table><tr><th>entry</th><th>time</th><th>kind</th>"
	    "<th>actor</th><th>verdict</th><th>leaf hash</th></tr>\n", f);
	if (each(l, o->run, timeline_row, f, e) < 0)
		return -1;
	fputs("</table>\n<p>No payload text is shown: only what phikit wrote into the payloads. "
	    "Check this run yourself with <code>trace-export --run ", f);
	esc(f, o->run);
	fputs("</code> and <code>ledger-verify</code> (phikit-ledger(5)).</p>\n</body></html>\n", f);
	if (ferror(f)) {
		phk_err_set(e, PHK_EXIT_IO, "write error");
		return -1;
	}
	return a.entries;
}
