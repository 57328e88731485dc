#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "hitl.h"
#include "jscan.h"
#include "restore.h"

#define CAT_MAX 16	/* HEALTH_PLAN, the longest category, is 11 */
#define CACHE_SLOTS 8192	/* tokens of a run remembered; a power of two */

static void
cache_clear(struct restorer *r)
{
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++)
		r->cache[i].state = -1;
	r->ncache = 0;
	if (r->cval.p)
		sodium_memzero(r->cval.p, r->cval.len);
	buf_reset(&r->cval);
}

int
restorer_init(struct restorer *r, struct vault *v, const struct fieldpath *fields,
    size_t nfields, struct phk_err *e)
{
	memset(r, 0, sizeof(*r));
	r->v = v;
	r->fields = fields;
	r->nfields = nfields;
	if (answer_fields_init(&r->af, e) < 0)
		return -1;
	buf_init(&r->dec, (size_t)1 << 34);
	buf_init(&r->txt, (size_t)1 << 34);
	buf_init(&r->line, (size_t)1 << 34);
	buf_init(&r->ann, 4096);
	buf_init(&r->cval, (size_t)1 << 30);
	if ((r->cache = calloc(CACHE_SLOTS, sizeof(*r->cache))) == NULL) {
		answer_fields_release(&r->af);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	cache_clear(r);
	return 0;
}

void
restorer_release(struct restorer *r)
{
	answer_fields_release(&r->af);
	/* the originals passed through these */
	if (r->dec.p)
		sodium_memzero(r->dec.p, r->dec.cap);
	if (r->txt.p)
		sodium_memzero(r->txt.p, r->txt.cap);
	if (r->line.p)
		sodium_memzero(r->line.p, r->line.cap);
	if (r->cval.p)
		sodium_memzero(r->cval.p, r->cval.cap);
	buf_release(&r->cval);
	free(r->cache);
	buf_release(&r->dec);
	buf_release(&r->txt);
	buf_release(&r->line);
	buf_release(&r->ann);
	free(r->strs);
	free(r->runs);
}

/* ---- which strings ---- */

static int
on_string(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	struct restorer *r = ctx;
	size_t i;
	int in = 0;

	if (jp->n >= 1 && jp->seg[0].key && jp->seg[0].klen == 6 &&
	    memcmp(jp->seg[0].key, "phikit", 6) == 0)
		return 0;	/* annotations: never */
	if (r->nfields) {
		for (i = 0; i < r->nfields && !in; i++)
			in = fieldpath_match(&r->fields[i], jp);
	} else
		in = answer_field(&r->af, jp) != ANSWER_NONE;
	if (!in)
		return 0;
	if (ARRAY_RESERVE(r->strs, r->capstrs, r->nstrs + 1) < 0) {
		phk_err_set(r->e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	r->strs[r->nstrs].rs = st;
	r->strs[r->nstrs].re = en;
	r->strs[r->nstrs].esc = esc;
	r->nstrs++;
	return 0;
}

/* ---- tokens ---- */

static int
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_catch(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/*
 * A token around the '-' at t[i]: its span [*a, *b) (with whatever
 * brackets it kept) and its canonical form "[CAT-hex6]"; *exact when it
 * is written so. 1 found, 0 not a token.
 */
static int
token_at(const char *t, size_t n, size_t i, size_t *a, size_t *b, char canon[32], int *exact)
{
	char cat[CAT_MAX + 1];
	size_t c, k, end = i + 7;
	int lb, rb, ex = 1;

	if (end > n || (end < n && is_alnum(t[end])))
		return 0;
	for (k = i + 1; k < end; k++)
		if (!is_hex(t[k]))
			return 0;
	for (c = i; c > 0 && i - c <= CAT_MAX && is_catch(t[c - 1]); c--)
		;
	if (c == i || i - c > CAT_MAX || (c > 0 && is_alnum(t[c - 1])))
		return 0;
	for (k = c; k < i; k++) {
		cat[k - c] = t[k] >= 'a' && t[k] <= 'z' ? (char)(t[k] - 32) : t[k];
		ex &= cat[k - c] == t[k];
	}
	cat[i - c] = '\0';
	if (cat_parse(cat) < 0)
		return 0;
	lb = c > 0 && t[c - 1] == '[';
	rb = end < n && t[end] == ']';
	*a = c - (size_t)lb;
	*b = end + (size_t)rb;
	k = (size_t)snprintf(canon, 32, "[%s-", cat);
	for (c = i + 1; c < end; c++) {
		canon[k++] = t[c] >= 'A' && t[c] <= 'F' ? (char)(t[c] + 32) : t[c];
		ex &= t[c] < 'A' || t[c] > 'F';
	}
	canon[k++] = ']';
	canon[k] = '\0';
	*exact = ex && lb && rb;
	return 1;
}

/* vault_get through the cache of the current run's tokens. */
static int
cached_get(struct restorer *r, const char *canon, struct buf *out)
{
	struct rcache *c;
	uint32_t h = 2166136261u;
	size_t i, at = out->len, tl = strlen(canon);
	int k;

	if (strcmp(r->crun, r->run)) {
		cache_clear(r);
		snprintf(r->crun, sizeof(r->crun), "%s", r->run);
	}
	for (i = 0; i < tl; i++)
		h = (h ^ (unsigned char)canon[i]) * 16777619u;
	for (i = h & (CACHE_SLOTS - 1); r->cache[i].state >= 0; i = (i + 1) & (CACHE_SLOTS - 1))
		if (!strcmp(r->cache[i].tok, canon)) {
			c = &r->cache[i];
			if (c->state == VAULT_FOUND && buf_add(out, r->cval.p + c->off, c->len) < 0) {
				phk_err_set(r->e, PHK_EXIT_IO, "out of memory");
				return -1;
			}
			return c->state;
		}
	if ((k = vault_get(r->v, r->run, canon, out, r->e)) < 0)
		return -1;
	/* not found is not kept: the value may be stored yet (phi-scrub upstream) */
	if (k == VAULT_NOT_FOUND || r->ncache >= CACHE_SLOTS / 2 || tl >= sizeof(c->tok))
		return k;	/* full: the next run starts afresh */
	c = &r->cache[i];
	c->off = r->cval.len;
	c->len = k == VAULT_FOUND ? out->len - at : 0;
	if (c->len && buf_add(&r->cval, out->p + at, c->len) < 0)
		return k;
	memcpy(c->tok, canon, tl + 1);
	c->state = k;
	r->ncache++;
	return k;
}

/* The text t with its tokens restored into out; *changed if any was. 0 or -1. */
static int
restore_text(struct restorer *r, const char *t, size_t n, struct buf *out, int *changed)
{
	const char *d;
	size_t i = 0, last = 0, a, b;
	char canon[32];
	int exact, k;

	while (i < n && (d = memchr(t + i, '-', n - i)) != NULL) {
		i = (size_t)(d - t);
		if (!token_at(t, n, i, &a, &b, canon, &exact) || a < last) {
			i++;
			continue;
		}
		if (buf_add(out, t + last, a - last) < 0)
			goto oom;
		if ((k = cached_get(r, canon, out)) < 0)
			return -1;
		switch (k) {
		case VAULT_FOUND:
			r->rec.restored++;
			r->rec.altered += !exact;
			*changed = 1;
			break;
		case VAULT_AMBIGUOUS:
			r->rec.ambiguous++;
			break;
		case VAULT_ERASED:
			r->rec.erased++;
			if (r->why[0] == '\0' && vault_erased(r->v, r->run))
				snprintf(r->why, sizeof(r->why), "%s", vault_erased(r->v, r->run));
			break;
		default:
			r->rec.not_found++;
		}
		if (k != VAULT_FOUND && buf_add(out, t + a, b - a) < 0)
			goto oom;
		i = last = b;
	}
	return buf_add(out, t + last, n - last) < 0 ? -1 : 0;
oom:
	phk_err_set(r->e, PHK_EXIT_IO, "out of memory");
	return -1;
}

/* ---- records ---- */

/* The strings chosen, restored, into r->line; *changed if any was. 0 or -1. */
static int
rewrite(struct restorer *r, const char *line, size_t n, int *changed)
{
	size_t i, last = 0;

	buf_reset(&r->line);
	for (i = 0; i < r->nstrs; i++) {
		const struct rstr *x = &r->strs[i];
		const char *t = line + x->rs;
		size_t tn = x->re - x->rs;
		int ch = 0;

		if (memchr(t, '-', tn) == NULL)
			continue;
		if (x->esc) {
			buf_reset(&r->dec);
			if (jstr_decode(t, tn, &r->dec) < 0)
				goto oom;
			t = r->dec.p;
			tn = r->dec.len;
		}
		buf_reset(&r->txt);
		if (restore_text(r, t, tn, &r->txt, &ch) < 0)
			return -1;
		if (!ch)
			continue;
		*changed = 1;
		if (buf_add(&r->line, line + last, x->rs - 1 - last) < 0 ||
		    jstr_encode(&r->line, r->txt.p, r->txt.len) < 0)
			goto oom;
		last = x->re + 1;
	}
	if (*changed && buf_add(&r->line, line + last, n - last) < 0)
		goto oom;
	return 0;
oom:
	phk_err_set(r->e, PHK_EXIT_IO, "out of memory (or record too large)");
	return -1;
}

static struct restore_run *
run_of(struct restorer *r, const char *run)
{
	size_t i;

	if (r->nruns && !strcmp(r->runs[r->nruns - 1].run, run))
		return &r->runs[r->nruns - 1];
	for (i = 0; i < r->nruns; i++)
		if (!strcmp(r->runs[i].run, run)) {
			/* the last one is looked at first */
			struct restore_run t = r->runs[i];
			r->runs[i] = r->runs[r->nruns - 1];
			r->runs[r->nruns - 1] = t;
			return &r->runs[r->nruns - 1];
		}
	if (ARRAY_RESERVE(r->runs, r->capruns, r->nruns + 1) < 0)
		return NULL;
	memset(&r->runs[r->nruns], 0, sizeof(r->runs[0]));
	snprintf(r->runs[r->nruns].run, sizeof(r->runs[0].run), "%s", run);
	return &r->runs[r->nruns++];
}

static int
annotation(struct restorer *r)
{
	const struct restore_counts *c = &r->rec;

	buf_reset(&r->ann);
	if (buf_adds(&r->ann, "{\"restored\":") < 0 || buf_addu(&r->ann, c->restored) < 0 ||
	    buf_adds(&r->ann, ",\"altered\":") < 0 || buf_addu(&r->ann, c->altered) < 0 ||
	    buf_adds(&r->ann, ",\"not_found\":") < 0 || buf_addu(&r->ann, c->not_found) < 0 ||
	    buf_adds(&r->ann, ",\"ambiguous\":") < 0 || buf_addu(&r->ann, c->ambiguous) < 0 ||
	    buf_adds(&r->ann, ",\"erased\":") < 0 || buf_addu(&r->ann, c->erased) < 0)
		return -1;
	if (c->erased) {
		char why[160];
		int k = snprintf(why, sizeof(why), "run erased from the vault (%s): its values "
		    "are gone", r->why[0] ? r->why : "erased");
		if (buf_adds(&r->ann, ",\"why\":") < 0 || jstr_encode(&r->ann, why, (size_t)k) < 0)
			return -1;
	}
	return buf_addc(&r->ann, '}');
}

int
restore_line(struct restorer *r, const char *line, size_t n, struct buf *out, struct phk_err *e)
{
	struct restore_run *rr;
	struct annot_pos pos;
	struct jscan js;
	const char *src = line;
	size_t srcn = n, rl;
	int changed = 0;

	r->e = e;
	r->nstrs = 0;
	memset(&r->rec, 0, sizeof(r->rec));
	r->why[0] = '\0';
	buf_reset(out);
	jscan_init(&js, NULL);
	js.on_string = on_string;
	js.ctx = r;
	if (jscan_record(&js, line, n, e) < 0)
		return -1;
	rl = js.run_start >= 0 ? (size_t)(js.run_end - js.run_start) : 0;
	if (rl < 3 || !jscan_is_ident(line + js.run_start, rl)) {
		phk_err_set(e, PHK_EXIT_INPUT, rl ? "run_id must be a string of 1 to 128 of A-Z "
		    "a-z 0-9 . _ : @ / + = -" : "record has no run_id: its tokens are looked up "
		    "under the run phi-scrub kept them in");
		return -1;
	}
	memcpy(r->run, line + js.run_start + 1, rl - 2);
	r->run[rl - 2] = '\0';
	if (rewrite(r, line, n, &changed) < 0)
		return -1;
	if (changed) {
		src = r->line.p;
		srcn = r->line.len;
		jscan_init(&js, NULL);
		if (jscan_record(&js, src, srcn, e) < 0) {
			phk_err_set(e, PHK_EXIT_IO, "internal error: restored record does not scan");
			return -1;
		}
	}
	if (annot_locate(src, srcn, &js, "restore", &pos, e) < 0)
		return -1;
	if (annotation(r) < 0 || annot_write(src, srcn, &pos, "restore", r->ann.p, r->ann.len,
	    out) < 0 || (rr = run_of(r, r->run)) == NULL) {
		buf_reset(out);
		phk_err_set(e, PHK_EXIT_IO, "out of memory (or record too large)");
		return -1;
	}
	rr->c.records++;
	rr->c.restored += r->rec.restored;
	rr->c.altered += r->rec.altered;
	rr->c.not_found += r->rec.not_found;
	rr->c.ambiguous += r->rec.ambiguous;
	rr->c.erased += r->rec.erased;
	return 0;
}

/* ---- who may, and what is logged ---- */

int
restore_access(struct ledger *l, const struct policy *p, const char *user, struct phk_err *e)
{
	struct ledger_rec rec;
	struct buf pay;
	int rc;

	if (p->access.actions[ACT_REIDENTIFY].n > 0)
		return hitl_access_check(l, p, user, ACT_REIDENTIFY, "access", NULL, NULL, e);
	/* re-identification is never open to anyone: a policy that names no role allows no one */
	buf_init(&pay, 4096);
	if (buf_adds(&pay, "{\"action\":\"reidentify\",\"rule\":\"no-role\",\"unix_user\":") < 0 ||
	    jstr_encode(&pay, user, strlen(user)) < 0 ||
	    buf_printf(&pay, ",\"policy_sha256\":\"%s\"}", p->sha256) < 0) {
		buf_release(&pay);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	memset(&rec, 0, sizeof(rec));
	rec.run_id = "access";
	rec.actor = user;
	rec.kind = "access.refusal";
	rec.payload = pay.p;
	rec.n = pay.len;
	rc = ledger_append(l, &rec, 1, NULL, NULL, e);
	buf_release(&pay);
	if (rc < 0)
		return -1;
	phk_err_set(e, PHK_EXIT_VIOLATION, "refused: %s may not reidentify (the policy names no "
	    "role in access.actions.reidentify, so no one may)", user);
	return -1;
}

static int
log_payload(struct buf *b, const struct restore_counts *c, const struct policy *p,
    const char *user, const char *vault)
{
	return buf_adds(b, "{\"unix_user\":") < 0 || jstr_encode(b, user, strlen(user)) < 0 ||
	    buf_adds(b, ",\"vault\":") < 0 || jstr_encode(b, vault, strlen(vault)) < 0 ||
	    buf_printf(b, ",\"policy_sha256\":\"%s\",\"records\":%llu,\"restored\":%llu,"
	    "\"altered\":%llu,\"not_found\":%llu,\"ambiguous\":%llu,\"erased\":%llu}", p->sha256,
	    c->records, c->restored, c->altered, c->not_found, c->ambiguous, c->erased) < 0 ?
	    -1 : 0;
}

int
restore_log(struct ledger *l, const struct restorer *r, const struct policy *p,
    const char *user, const char *vault, struct phk_err *e)
{
	static const struct restore_counts none;
	struct ledger_rec *rec;
	struct buf pay;
	size_t i, nr = r->nruns ? r->nruns : 1, *off;
	int rc = -1;

	buf_init(&pay, (size_t)1 << 30);
	rec = calloc(nr, sizeof(*rec));
	off = calloc(nr + 1, sizeof(*off));
	if (rec == NULL || off == NULL)
		goto oom;
	for (i = 0; i < nr; i++) {
		off[i] = pay.len;
		if (log_payload(&pay, r->nruns ? &r->runs[i].c : &none, p, user, vault) < 0)
			goto oom;
	}
	off[nr] = pay.len;
	for (i = 0; i < nr; i++) {
		rec[i].run_id = r->nruns ? r->runs[i].run : "phikit:vault";
		rec[i].actor = user;
		rec[i].kind = "vault.restore";
		rec[i].payload = pay.p + off[i];
		rec[i].n = off[i + 1] - off[i];
	}
	rc = ledger_append(l, rec, nr, NULL, NULL, e);
	goto out;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
out:
	free(rec);
	free(off);
	buf_release(&pay);
	return rc;
}
