#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "export.h"
#include "jscan.h"

#define BATCH_BYTES (4u << 20)

int
export_format(const char *name)
{
	if (!strcmp(name, "jsonl"))
		return EXPORT_JSONL;
	if (!strcmp(name, "otlp"))
		return EXPORT_OTLP;
	if (!strcmp(name, "hec"))
		return EXPORT_HEC;
	return -1;
}

/* "2026-11-24T15:42:29.205510Z" to seconds and microseconds since the epoch. */
static int
ts_epoch(const char *ts, long long *sec, long *usec)
{
	struct tm tm;
	int y, mo, d, h, mi, s, n = 0;
	long us;

	memset(&tm, 0, sizeof(tm));
	if (sscanf(ts, "%4d-%2d-%2dT%2d:%2d:%2d.%6ldZ%n", &y, &mo, &d, &h, &mi, &s, &us, &n) != 7 ||
	    n != LEDGER_TS_LEN)
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*sec = (long long)timegm(&tm);
	*usec = us;
	return 0;
}

/*
 * What of a payload may leave: the counts and verdicts phikit wrote under
 * "phikit", and the fields of phikit's own entries that are not free
 * text (a reviewer's notes and an erasure's reason may be).
 */
static json_t *
summary(const char *kind, const char *payload, size_t n)
{
	static const char *const hitl_keys[] = { "item", "decision", "reviewer", "unix_user",
	    "status", "approvals", "approvals_required", "reason", "action", "rule", "request_seq",
	    "request_run_seq", "review", "break_glass_by", NULL };
	static const char *const bg_keys[] = { "break_glass", "break_glass_review", NULL };
	json_t *p, *out = json_object(), *pk, *v, *rules;
	struct phk_err e;
	size_t i;

	if (out == NULL || payload == NULL)
		return out;
	/* a payload jansson cannot hold whole (a 40-digit number in its text) keeps its verdicts */
	if ((p = jscan_json_annotations(payload, n, &e)) == NULL || !json_is_object(p))
		goto done;
	pk = json_object_get(p, "phikit");
	if ((v = json_object_get(pk, "scrub")) != NULL && json_is_object(v)) {
		json_t *s = json_object();
		json_object_set(s, "counts", json_object_get(v, "counts"));
		json_object_set(s, "total", json_object_get(v, "total"));
		json_object_set_new(out, "scrub", s);
	}
	if ((v = json_object_get(pk, "guard")) != NULL && json_is_object(v)) {
		json_t *g = json_object(), *viol = json_object_get(v, "violations"), *x;
		rules = json_array();
		json_array_foreach(viol, i, x)
			if (json_is_string(json_object_get(x, "rule")))
				json_array_append(rules, json_object_get(x, "rule"));
		json_object_set(g, "verdict", json_object_get(v, "verdict"));
		json_object_set_new(g, "rules", rules);
		json_object_set_new(out, "guard", g);
	}
	if (!strncmp(kind, "hitl.", 5) || !strcmp(kind, "access.refusal")) {
		/*
		 * "reason" of a queued item is its verdict (ask), not text; a
		 * decision's is break-glass's reason, free text as notes are: kept
		 */
		for (i = 0; hitl_keys[i]; i++)
			if ((v = json_object_get(p, hitl_keys[i])) != NULL &&
			    (json_is_string(v) || json_is_integer(v)) &&
			    (strcmp(hitl_keys[i], "reason") || strcmp(kind, "hitl.decision")))
				json_object_set(out, hitl_keys[i], v);
		/* break-glass: flagged, for whoever watches the SIEM */
		for (i = 0; bg_keys[i]; i++)
			if (json_is_true(json_object_get(p, bg_keys[i])))
				json_object_set_new(out, bg_keys[i], json_true());
		/* an enqueue's verdict and rules, as gate read them off the record */
		v = json_object_get(p, "guard");
		if (json_object_get(out, "guard") == NULL && json_is_object(v) &&
		    json_is_string(json_object_get(v, "verdict")) &&
		    json_is_array(json_object_get(v, "rules")))
			json_object_set_new(out, "guard", json_pack("{s:O, s:O}", "verdict",
			    json_object_get(v, "verdict"), "rules", json_object_get(v, "rules")));
	}
	if ((v = json_object_get(p, "anonymize")) != NULL || (v = json_object_get(p, "prune")) != NULL)
		json_object_set(out, "erased", json_object_get(v, "erased"));
done:
	json_decref(p);
	return out;
}

/* Appends {"key": key, "value": {type: value}}; takes value. */
static void
attr(json_t *a, const char *key, json_t *value, const char *type)
{
	if (value == NULL)
		return;
	json_array_append_new(a, json_pack("{s:s, s:{s:o}}", "key", key, "value", type, value));
}

static json_t *
strv(const char *s)
{
	return json_string(s);
}

/* OTLP's int64 is a JSON string (the OTLP/HTTP JSON encoding). */
static json_t *
intv(long long n)
{
	char b[24];

	snprintf(b, sizeof(b), "%lld", n);
	return json_string(b);
}

struct row {
	long long seq, run_seq;
	const char *run_id, *ts, *actor, *kind, *payload_sha256;
	char leaf[2 * HASH_LEN + 1];
	const char *payload;
	size_t payload_n;
};

static json_t *
entry_object(const struct row *r)
{
	json_t *o = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:b}", "seq",
	    (json_int_t)r->seq, "run_id", r->run_id, "run_seq", (json_int_t)r->run_seq, "ts", r->ts,
	    "actor", r->actor, "kind", r->kind, "leaf_hash", r->leaf, "payload_sha256",
	    r->payload_sha256, "erased", r->payload == NULL);
	json_t *s = summary(r->kind, r->payload, r->payload_n);
	const char *k;
	json_t *v;

	json_object_foreach(s, k, v)
		json_object_set(o, k, v);
	json_decref(s);
	return o;
}

static json_t *
otlp_record(const struct row *r, const char *now_ns)
{
	json_t *s = summary(r->kind, r->payload, r->payload_n), *a = json_array(), *g, *v, *arr;
	const char *verdict = NULL, *k;
	long long sec;
	long usec;
	char ns[32];
	size_t i;
	int warn;

	if (ts_epoch(r->ts, &sec, &usec) < 0)
		sec = 0, usec = 0;
	snprintf(ns, sizeof(ns), "%lld%06ld000", sec, usec);
	attr(a, "phikit.seq", intv(r->seq), "intValue");
	attr(a, "phikit.run_id", strv(r->run_id), "stringValue");
	attr(a, "phikit.run_seq", intv(r->run_seq), "intValue");
	attr(a, "phikit.kind", strv(r->kind), "stringValue");
	attr(a, "phikit.actor", strv(r->actor), "stringValue");
	attr(a, "phikit.leaf_hash", strv(r->leaf), "stringValue");
	attr(a, "phikit.payload_sha256", strv(r->payload_sha256), "stringValue");
	attr(a, "phikit.erased", json_boolean(r->payload == NULL), "boolValue");
	if ((g = json_object_get(s, "guard")) != NULL) {
		verdict = json_string_value(json_object_get(g, "verdict"));
		attr(a, "phikit.guard.verdict", json_incref(json_object_get(g, "verdict")), "stringValue");
		arr = json_array();
		json_array_foreach(json_object_get(g, "rules"), i, v)
			json_array_append_new(arr, json_pack("{s:O}", "stringValue", v));
		attr(a, "phikit.guard.rules", json_pack("{s:o}", "values", arr), "arrayValue");
	}
	if ((g = json_object_get(s, "scrub")) != NULL && json_is_integer(json_object_get(g, "total")))
		attr(a, "phikit.scrub.total", intv(json_integer_value(json_object_get(g, "total"))),
		    "intValue");
	if (g != NULL)
		json_object_foreach(json_object_get(g, "counts"), k, v) {
			char key[80];
			snprintf(key, sizeof(key), "phikit.scrub.counts.%s", k);
			if (json_is_integer(v))
				attr(a, key, intv(json_integer_value(v)), "intValue");
		}
	json_object_foreach(s, k, v) {
		char key[80];
		if (!strcmp(k, "guard") || !strcmp(k, "scrub"))
			continue;
		snprintf(key, sizeof(key), "phikit.%s", k);
		if (json_is_string(v))
			attr(a, key, json_incref(v), "stringValue");
		else if (json_is_integer(v))
			attr(a, key, intv(json_integer_value(v)), "intValue");
		else if (json_is_boolean(v))
			attr(a, key, json_incref(v), "boolValue");
	}
	/*
	 * what an operator should look at: a deny or ask, a refusal, a
	 * break-glass approval or release, and its review when overdue
	 */
	warn = (verdict && (!strcmp(verdict, "deny") || !strcmp(verdict, "ask"))) ||
	    strstr(r->kind, "refusal") != NULL ||
	    (!strncmp(r->kind, "hitl.", 5) && json_is_true(json_object_get(s, "break_glass"))) ||
	    (!strcmp(r->kind, "hitl.escalate") &&
	    !strcmp(json_string_value(json_object_get(s, "review")) ?
	    json_string_value(json_object_get(s, "review")) : "", "break_glass"));
	json_decref(s);
	return json_pack("{s:s, s:s, s:i, s:s, s:{s:s}, s:o}", "timeUnixNano", ns,
	    "observedTimeUnixNano", now_ns, "severityNumber", warn ? 13 : 9, "severityText",
	    warn ? "WARN" : "INFO", "body", "stringValue", r->kind, "attributes", a);
}

static json_t *
hec_event(const struct row *r)
{
	long long sec;
	long usec;

	if (ts_epoch(r->ts, &sec, &usec) < 0)
		sec = 0, usec = 0;
	return json_pack("{s:f, s:s, s:s, s:o}", "time", (double)sec + (double)usec / 1e6,
	    "source", "phikit", "sourcetype", "phikit:ledger", "event", entry_object(r));
}

static int
oom(struct phk_err *e)
{
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
	return -1;
}

/* Appends j as compact JSON and a newline; takes j. */
static int
put(struct buf *b, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17)) : NULL;
	int rc = s && buf_adds(b, s) == 0 && buf_addc(b, '\n') == 0 ? 0 : -1;

	free(s);
	json_decref(j);
	return rc;
}

static json_t *
otlp_document(json_t *records, const char *origin)
{
	return json_pack("{s:[{s:{s:[{s:s, s:{s:s}}, {s:s, s:{s:s}}]}, s:[{s:{s:s, s:s}, s:o}]}]}",
	    "resourceLogs", "resource", "attributes", "key", "service.name", "value", "stringValue",
	    "phikit", "key", "phikit.ledger.origin", "value", "stringValue", origin, "scopeLogs",
	    "scope", "name", "phikit.trace-export", "version", PHIKIT_VERSION, "logRecords", records);
}

long
export_entries(struct ledger *l, const struct export_opts *o, export_sink sink, void *ctx,
    struct phk_err *e)
{
	sqlite3_stmt *q = NULL;
	json_t *records = NULL;
	struct buf b;
	struct row r;
	char now_ns[32];
	struct timespec now;
	long count = 0, inbatch = 0;
	uint64_t first = 0, last = 0;
	size_t batch = o->batch ? o->batch : 1000;
	int rc;

	buf_init(&b, 64u << 20);
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(now_ns, sizeof(now_ns), "%lld%09ld", (long long)now.tv_sec, now.tv_nsec);
	/* one snapshot: what a batch says is what the ledger held at one moment */
	if (sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(l->db, "SELECT seq, run_id, run_seq, ts, actor, kind, payload_sha256, "
	    "leaf_hash, payload FROM entries WHERE (?1 IS NULL OR run_id = ?1) AND "
	    "(?2 IS NULL OR ts >= ?2) AND (?3 IS NULL OR ts < ?3) AND (?4 IS NULL OR seq > ?4) "
	    "ORDER BY seq", -1, &q, NULL)
	    != SQLITE_OK) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s': %s", l->path, sqlite3_errmsg(l->db));
		goto fail;
	}
	sqlite3_bind_text(q, 1, o->run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, o->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, o->to, -1, SQLITE_STATIC);
	if (o->has_after)
		sqlite3_bind_int64(q, 4, (sqlite3_int64)o->after);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const void *leaf = sqlite3_column_blob(q, 7);
		json_t *j;
		r.seq = sqlite3_column_int64(q, 0);
		r.run_id = (const char *)sqlite3_column_text(q, 1);
		r.run_seq = sqlite3_column_int64(q, 2);
		r.ts = (const char *)sqlite3_column_text(q, 3);
		r.actor = (const char *)sqlite3_column_text(q, 4);
		r.kind = (const char *)sqlite3_column_text(q, 5);
		r.payload_sha256 = (const char *)sqlite3_column_text(q, 6);
		if (leaf == NULL || sqlite3_column_bytes(q, 7) != HASH_LEN)
			r.leaf[0] = '\0';
		else
			sodium_bin2hex(r.leaf, sizeof(r.leaf), leaf, HASH_LEN);
		r.payload = (const char *)sqlite3_column_blob(q, 8);
		r.payload_n = (size_t)sqlite3_column_bytes(q, 8);
		if (inbatch == 0)
			first = (uint64_t)r.seq;
		last = (uint64_t)r.seq;
		if (o->format == EXPORT_OTLP) {
			if (records == NULL && (records = json_array()) == NULL)
				goto nomem;
			if ((j = otlp_record(&r, now_ns)) == NULL || json_array_append_new(records, j) < 0)
				goto nomem;
		} else if (put(&b, o->format == EXPORT_HEC ? hec_event(&r) : entry_object(&r)) < 0)
			goto nomem;
		count++;
		if (++inbatch >= (long)batch || b.len >= BATCH_BYTES) {
			if (records) {
				json_t *doc = otlp_document(records, l->origin);
				records = NULL;
				if (put(&b, doc) < 0)
					goto nomem;
			}
			if (sink(ctx, b.p, b.len, first, last, e) < 0)
				goto fail;
			buf_reset(&b);
			inbatch = 0;
		}
	}
	if (rc != SQLITE_DONE) {
		phk_err_set(e, PHK_EXIT_IO, "database '%s': %s", l->path, sqlite3_errmsg(l->db));
		goto fail;
	}
	if (inbatch > 0) {
		if (records) {
			json_t *doc = otlp_document(records, l->origin);
			records = NULL;
			if (put(&b, doc) < 0)
				goto nomem;
		}
		if (sink(ctx, b.p, b.len, first, last, e) < 0)
			goto fail;
	}
	sqlite3_finalize(q);
	sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);
	buf_release(&b);
	return count;
nomem:
	oom(e);
fail:
	json_decref(records);
	sqlite3_finalize(q);
	sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
	buf_release(&b);
	return -1;
}
