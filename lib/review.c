#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "jscan.h"
#include "review.h"

/* ---- text for a terminal ---- */

/* The code point of a valid UTF-8 sequence of k bytes. */
static unsigned long
cp_of(const unsigned char *s, size_t k)
{
	unsigned long c = k == 1 ? s[0] : k == 2 ? s[0] & 0x1f : k == 3 ? s[0] & 0x0f : s[0] & 0x07;
	size_t i;

	for (i = 1; i < k; i++)
		c = c << 6 | (s[i] & 0x3f);
	return c;
}

static int
escaped(unsigned long c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || (c >= 0x7f && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

int
review_tty_text(struct buf *b, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, k;
	unsigned long c;

	while (i < n) {
		if ((k = utf8_seqlen(u + i, n - i)) == 0) {
			if (buf_printf(b, "\\x%02x", u[i]) < 0)
				return -1;
			i++;
			continue;
		}
		c = cp_of(u + i, k);
		if (escaped(c) ? buf_printf(b, c < 0x80 ? "\\x%02lx" : "\\u%04lx", c) < 0 :
		    buf_add(b, s + i, k) < 0)
			return -1;
		i += k;
	}
	return 0;
}

/* s as lines, each after indent, controls escaped. */
static int
put_text(FILE *f, const char *indent, const char *s, size_t n, struct buf *tmp)
{
	const char *p, *nl;

	buf_reset(tmp);
	if (review_tty_text(tmp, s, n) < 0 || buf_addc(tmp, '\0') < 0)
		return -1;
	for (p = tmp->p; ; p = nl + 1) {
		nl = strchr(p, '\n');
		if (fprintf(f, "%s%.*s\n", indent, nl ? (int)(nl - p) : (int)strlen(p), p) < 0)
			return -1;
		if (nl == NULL)
			return 0;
	}
}

/* ---- show ---- */

struct showctx {
	FILE *f;
	struct buf *b;
	int json, n;
};

static int
show_decision(void *ctx, const struct hitl_decision *d)
{
	struct showctx *s = ctx;
	int rc;

	buf_reset(s->b);
	if (jstr_encode(s->b, d->notes, strlen(d->notes)) < 0)
		return -1;
	if (s->json)
		rc = fprintf(s->f, "%s{\"decision\":\"%s\",\"reviewer\":\"%s\",\"unix_user\":\"%s\","
		    "\"ts\":\"%s\",\"seq\":%llu,\"%s\":%s%s}", s->n ? "," : "", d->decision,
		    d->reviewer, d->unix_user, d->ts, d->seq, d->break_glass == 1 ? "reason" : "notes",
		    s->b->p, d->break_glass == 1 ? ",\"break_glass\":true" : d->break_glass == 2 ?
		    ",\"break_glass_review\":true" : "");
	else
		rc = fprintf(s->f, "  %s  %-7s  %s (Unix user %s), ledger entry %llu%s\n"
		    "           %s: %s\n", d->ts, d->decision, d->reviewer, d->unix_user, d->seq,
		    d->break_glass == 1 ? ", BREAK-GLASS" : d->break_glass == 2 ?
		    ", the break-glass review" : "", d->break_glass == 1 ? "reason" : "notes", s->b->p);
	s->n++;
	return rc < 0 ? -1 : 0;
}

static const char *
jget(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v ? v : "";
}

/* Byte offset of code point cp in s (valid UTF-8), at most n. */
static size_t
cp_byte(const char *s, size_t n, size_t cp)
{
	size_t i = 0, k;

	while (cp-- > 0 && i < n)
		i += (k = utf8_seqlen((const unsigned char *)s + i, n - i)) ? k : 1;
	return i < n ? i : n;
}

/* "where" of one violation: its field, offset and length, and the text there. */
static int
show_where(FILE *f, json_t *v, const struct answer_view *av, struct buf *tmp)
{
	json_t *off = json_object_get(v, "offset"), *len = json_object_get(v, "length");
	const struct answer_text *t;
	size_t s, e;

	if (!json_is_string(json_object_get(v, "field")) || !json_is_integer(off) ||
	    !json_is_integer(len))
		return 0;
	if (fprintf(f, "  where      %s, offset %lld, length %lld", jget(v, "field"),
	    (long long)json_integer_value(off), (long long)json_integer_value(len)) < 0)
		return -1;
	t = answer_view_find(av, jget(v, "field"));
	if (t == NULL || json_integer_value(len) <= 0 || json_integer_value(off) < 0)
		return fputc('\n', f) == EOF ? -1 : 0;
	s = cp_byte(t->text, t->len, (size_t)json_integer_value(off));
	e = s + cp_byte(t->text + s, t->len - s, (size_t)json_integer_value(len));
	buf_reset(tmp);
	if (review_tty_text(tmp, t->text + s, e - s) < 0 || buf_addc(tmp, '\0') < 0)
		return -1;
	return fprintf(f, ": \"%s\"\n", tmp->p) < 0 ? -1 : 0;
}

/* The verdict and each rule: severity, kind, citation, reason, where. */
static int
show_guard(FILE *f, json_t *g, const struct answer_view *av, struct buf *tmp)
{
	json_t *v;
	size_t i;

	if (!json_is_object(g))
		return fprintf(f, "guard        none (the record carries no phikit.guard)\n") < 0 ?
		    -1 : 0;
	if (fprintf(f, "guard        %s (policy %s)\n", jget(g, "verdict"), jget(g, "policy")) < 0)
		return -1;
	json_array_foreach(json_object_get(g, "violations"), i, v) {
		if (fprintf(f, "  rule       %s, severity %s (%s)\n  citation   %s\n",
		    jget(v, "rule"), jget(v, "severity"), jget(v, "kind"), jget(v, "citation")) < 0)
			return -1;
		if (json_is_string(json_object_get(v, "category")) &&
		    fprintf(f, "  category   %s\n", jget(v, "category")) < 0)
			return -1;
		if (json_is_string(json_object_get(v, "reason")) &&
		    fprintf(f, "  reason     %s\n", jget(v, "reason")) < 0)
			return -1;
		if (show_where(f, v, av, tmp) < 0)
			return -1;
	}
	return 0;
}

/* The prompt's or the answer's texts, each under its field path. */
static int
show_texts(FILE *f, const struct answer_view *av, int prompt, struct buf *tmp)
{
	size_t i;
	int k = 0;

	if (fprintf(f, "%s\n", prompt ? "prompt" : "answer") < 0)
		return -1;
	for (i = 0; i < av->n; i++) {
		const struct answer_text *t = &av->v[i];
		if ((t->kind == ANSWER_PROMPT) != prompt)
			continue;
		k++;
		buf_reset(tmp);
		if (t->kind == ANSWER_CALL ? (buf_adds(tmp, " tool call ") < 0 ||
		    review_tty_text(tmp, t->name, strlen(t->name)) < 0) :
		    (t->role && (buf_adds(tmp, " (") < 0 ||
		    review_tty_text(tmp, t->role, strlen(t->role)) < 0 || buf_addc(tmp, ')') < 0)))
			return -1;
		if (buf_addc(tmp, '\0') < 0 || fprintf(f, "  %s%s\n", t->path, tmp->p) < 0 ||
		    put_text(f, "    ", t->text, t->len, tmp) < 0)
			return -1;
	}
	return k == 0 && fprintf(f, "  none\n") < 0 ? -1 : 0;
}

/* ,"guard":...,"prompt":[...],"answer":[...] for show --json. */
static int
json_texts(struct buf *b, json_t *g, const struct answer_view *av)
{
	char *gs = json_is_object(g) ? json_dumps(g, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	size_t i;
	int pass, k, rc = 0;

	buf_reset(b);
	rc |= buf_adds(b, ",\"guard\":") | buf_adds(b, gs ? gs : "null");
	free(gs);
	for (pass = 1; pass >= 0; pass--) {
		rc |= buf_adds(b, pass ? ",\"prompt\":[" : "],\"answer\":[");
		for (i = 0, k = 0; i < av->n; i++) {
			const struct answer_text *t = &av->v[i];
			if ((t->kind == ANSWER_PROMPT) != pass)
				continue;
			rc |= buf_adds(b, k++ ? ",{\"field\":" : "{\"field\":");
			rc |= jstr_encode(b, t->path, strlen(t->path));
			if (t->role)
				rc |= buf_adds(b, ",\"role\":") | jstr_encode(b, t->role, strlen(t->role));
			if (t->name)
				rc |= buf_adds(b, ",\"tool\":") | jstr_encode(b, t->name, strlen(t->name));
			rc |= buf_adds(b, t->name ? ",\"arguments\":" : ",\"text\":");
			rc |= jstr_encode(b, t->text, t->len) | buf_addc(b, '}');
		}
	}
	return rc | buf_adds(b, "]") ? -1 : 0;
}

/* The item's own lines, as hitl show printed them before the record was read. */
static int
show_item(struct queue *q, const struct hitl_item *it, struct showctx *sc, struct phk_err *e)
{
	FILE *f = sc->f;

	if (fprintf(f, "item         %lld\nstatus       %s (%d of %d approvals)\nrun          %s\n"
	    "reason       %s%s%s\nqueued by    %s at %s\nrecord       sha256 %s\n",
	    it->id, it->status, it->approvals, q->pol.hitl.approvals_required, it->run_id,
	    it->reason, it->tool[0] ? " " : "", it->tool, it->queued_by, it->queued_at,
	    it->record_sha256) < 0)
		goto wr;
	if ((it->released_at[0] ? fprintf(f, "released     %s by %s\n", it->released_at,
	    it->released_by) : fprintf(f, "released     no\n")) < 0 || fprintf(f, "decisions\n") < 0)
		goto wr;
	if (hitl_decisions(&q->h, it->id, show_decision, sc, e) < 0)
		return -1;
	if (sc->n == 0 && fprintf(f, "  none\n") < 0)
		goto wr;
	return 0;
wr:
	phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
	return -1;
}

/* The record's guard annotation and texts: *g (a reference, or NULL) and av. */
static int
read_record(const struct buf *rec, long long id, json_t **g, json_t **root,
    struct answer_view *av, struct phk_err *e)
{
	*g = *root = NULL;
	if ((*root = jscan_json_annotations(rec->p, rec->len, e)) == NULL ||
	    answer_view_read(av, rec->p, rec->len, e) < 0) {
		if (e->status != PHK_EXIT_IO)
			phk_err_set(e, PHK_EXIT_IO, "item %lld: the stored record is damaged", id);
		return -1;
	}
	*g = json_object_get(json_object_get(*root, "phikit"), "guard");
	return 0;
}

int
review_show(struct queue *q, long long id, int json, int record, FILE *f, struct phk_err *e)
{
	struct answer_fields af;
	struct answer_view av;
	struct hitl_item it;
	struct showctx sc;
	struct buf b, rec;
	json_t *g = NULL, *root = NULL;
	int rc = -1, got;

	buf_init(&b, (size_t)1 << 34);
	buf_init(&rec, (size_t)-1 / 4);
	sc.f = f;
	sc.b = &b;
	sc.json = json;
	sc.n = 0;
	if (answer_fields_init(&af, e) < 0)
		goto out_af;
	answer_view_init(&av, &af);
	if ((got = hitl_get(&q->h, id, &it, e)) <= 0) {
		if (got == 0)
			phk_err_set(e, PHK_EXIT_USAGE, "no item %lld", id);
		goto out;
	}
	if (hitl_record(&q->h, id, &rec, e) < 0 || read_record(&rec, id, &g, &root, &av, e) < 0)
		goto out;
	if (json) {
		if (queue_item_json(&b, &it, q->pol.hitl.approvals_required) < 0)
			goto oom;
		b.p[b.len - 1] = '\0';	/* reopen the object */
		fprintf(f, "%s,\"decisions\":[", b.p);
		if (hitl_decisions(&q->h, id, show_decision, &sc, e) < 0)
			goto out;
		if (json_texts(&b, g, &av) < 0)
			goto oom;
		fprintf(f, "]%s%s%s}\n", b.p, record ? ",\"record\":" : "", record ? rec.p : "");
	} else {
		if (show_item(q, &it, &sc, e) < 0)
			goto out;
		if (show_guard(f, g, &av, &b) < 0 || show_texts(f, &av, 1, &b) < 0 ||
		    show_texts(f, &av, 0, &b) < 0 || (record && fprintf(f, "record\n%s\n", rec.p) < 0))
			goto wr;
	}
	if (ferror(f))
		goto wr;
	rc = 0;
	goto out;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
	goto out;
wr:
	phk_err_set(e, PHK_EXIT_IO, "write error: %s", strerror(errno));
out:
	json_decref(root);
	answer_view_release(&av);
	answer_fields_release(&af);
out_af:
	buf_release(&b);
	buf_release(&rec);
	return rc;
}

/* ---- decisions ---- */

int
review_notes(const char *notes, const char *file, struct buf *nb, const char **out,
    struct phk_err *e)
{
	if ((notes == NULL) == (file == NULL)) {
		phk_err_set(e, PHK_EXIT_USAGE, "give --notes or --notes-file, one of them");
		return -1;
	}
	if (notes) {
		*out = notes;
		return 0;
	}
	if (queue_read_notes(file, nb, e) < 0)
		return -1;
	*out = nb->p ? nb->p : "";
	return 0;
}

int
review_decide(struct queue *q, long long id, int approve, const char *reviewer,
    const char *notes, FILE *f, struct phk_err *e)
{
	struct hitl_outcome res;

	if (hitl_decide(&q->h, id, approve, reviewer, notes, &res, e) < 0)
		return -1;
	if ((approve ? fprintf(f, "item %lld: %s (%d of %d approvals)\n", id, res.status,
	    res.approvals, res.required) : fprintf(f, "item %lld: %s\n", id, res.status)) < 0 ||
	    fflush(f) == EOF) {
		phk_err_set(e, PHK_EXIT_IO, "write error: %s (item %lld is %s)", strerror(errno), id,
		    res.status);
		return -1;
	}
	return 0;
}

/* ---- the walk ---- */

struct ids {
	long long *v;
	size_t n, cap;
};

static int
want_item(void *ctx, const struct hitl_item *it)
{
	struct ids *ids = ctx;

	if (strcmp(it->status, "pending") && strcmp(it->status, "escalated"))
		return 0;
	if (ARRAY_RESERVE(ids->v, ids->cap, ids->n + 1) < 0) {
		errno = ENOMEM;
		return -1;
	}
	ids->v[ids->n++] = it->id;
	return 0;
}

/* One line from in, without its newline, into b: 1, or 0 at end of input. */
static int
ask(FILE *in, FILE *out, const char *prompt, struct buf *b)
{
	int c;

	fputs(prompt, out);
	fflush(out);
	buf_reset(b);
	while ((c = getc(in)) != EOF && c != '\n')
		if (buf_addc(b, (char)c) < 0)
			return -1;
	if (c == EOF)
		fputc('\n', out);	/* the answer's newline never came */
	if (c == EOF && b->len == 0)
		return 0;
	if (buf_add(b, "", 0) < 0)	/* a NUL past len, even for an empty line */
		return -1;
	while (b->len && b->p[b->len - 1] == '\r')
		b->p[--b->len] = '\0';
	return 1;
}

/* The note for a decision: asked for, --notes when none is typed. 1, 0 end of input. */
static int
ask_note(const struct review_walk_opts *o, FILE *in, FILE *out, struct buf *b,
    const char **note)
{
	int rc;

	for (;;) {
		if ((rc = ask(in, out, o->notes ? "note (empty: the --notes text): " : "note: ",
		    b)) <= 0)
			return rc;
		if (b->len) {
			*note = b->p;
			return 1;
		}
		if (o->notes) {
			*note = o->notes;
			return 1;
		}
		fprintf(out, "a decision needs a note (1 to 4000 bytes)\n");
	}
}

/* One item: 1 next, 0 quit, -1 e set. */
static int
walk_one(struct queue *q, const struct review_walk_opts *o, long long id, FILE *in,
    FILE *out, struct review_tally *t, struct buf *b, struct phk_err *e)
{
	const char *note;
	int rc, approve;

	for (;;) {
		if ((rc = ask(in, out, "[a]pprove, [r]eject, [s]kip, [q]uit? ", b)) <= 0)
			return rc < 0 ? phk_err_set(e, PHK_EXIT_IO, "out of memory"), -1 : 0;
		if (!strcmp(b->p, "s") || !strcmp(b->p, "skip")) {
			t->skipped++;
			return 1;
		}
		if (!strcmp(b->p, "q") || !strcmp(b->p, "quit"))
			return 0;
		approve = !strcmp(b->p, "a") || !strcmp(b->p, "approve");
		if (!approve && strcmp(b->p, "r") && strcmp(b->p, "reject")) {
			fprintf(out, "answer a, r, s or q\n");
			continue;
		}
		if ((rc = ask_note(o, in, out, b, &note)) <= 0)
			return rc < 0 ? phk_err_set(e, PHK_EXIT_IO, "out of memory"), -1 : 0;
		if (review_decide(q, id, approve, o->reviewer, note, out, e) == 0) {
			if (approve)
				t->approved++;
			else
				t->rejected++;
			return 1;
		}
		phk_warn("%s", e->msg);
		if (e->status == PHK_EXIT_VIOLATION) {
			t->refused++;	/* logged; the item stays as it was */
			return 1;
		}
		if (e->status != PHK_EXIT_USAGE)
			return -1;	/* the database, a write: nothing more is decided */
		/* a note the rules refuse: the same item again */
	}
}

int
review_walk(struct queue *q, const struct review_walk_opts *o, FILE *in, FILE *out,
    struct review_tally *t, struct phk_err *e)
{
	struct ids ids = { NULL, 0, 0 };
	struct hitl_item it;
	struct buf b;
	size_t i;
	int rc = 0;

	memset(t, 0, sizeof(*t));
	buf_init(&b, 1 << 16);
	if (hitl_list(&q->h, NULL, o->run, want_item, &ids, e) < 0)
		rc = -1;
	if (rc == 0 && ids.n == 0)
		fprintf(out, "no items to review%s%s\n", o->run ? " in run " : "",
		    o->run ? o->run : "");
	for (i = 0; rc == 0 && i < ids.n; i++) {
		/* decided by someone else meanwhile, or timed out: passed over */
		if (hitl_sweep(&q->h, e) < 0 || (rc = hitl_get(&q->h, ids.v[i], &it, e)) < 0) {
			rc = -1;
			break;
		}
		rc = 0;
		if (strcmp(it.status, "pending") && strcmp(it.status, "escalated")) {
			fprintf(out, "item %lld is %s now: passed over\n", it.id, it.status);
			continue;
		}
		fprintf(out, "%s---- item %lld, %zu of %zu ----\n", i ? "\n" : "", it.id, i + 1, ids.n);
		if (review_show(q, it.id, 0, 0, out, e) < 0) {
			rc = -1;
			break;
		}
		if ((rc = walk_one(q, o, it.id, in, out, t, &b, e)) <= 0) {
			rc = rc < 0 ? -1 : 0;
			break;
		}
		rc = 0;
	}
	free(ids.v);
	buf_release(&b);
	return rc;
}
