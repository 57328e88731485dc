#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gclf.h"

/* ---- sentences ---- */

void
gclf_sentence(const char *s, size_t n, size_t a, size_t b, size_t *ss, size_t *se)
{
	size_t i = a;

	while (i > 0) {
		char c = s[i - 1];
		if (c == '\n' || c == ';' ||
		    ((c == ' ' || c == '\t') && i >= 2 && (s[i - 2] == '.' || s[i - 2] == '!' ||
		    s[i - 2] == '?' || s[i - 2] == ':')))
			break;
		i--;
	}
	while (i < a && (s[i] == ' ' || s[i] == '\t'))
		i++;
	*ss = i;
	for (i = b; i < n; i++)
		if (s[i] == '\n' || s[i] == ';' ||
		    ((s[i] == '.' || s[i] == '!' || s[i] == '?') && (i + 1 == n || s[i + 1] == ' ' ||
		    s[i + 1] == '\n' || s[i + 1] == '"' || s[i + 1] == '\''))) {
			if (s[i] != '\n')
				i++;
			/* a closing quote after the stop belongs to the sentence */
			while (i < n && (s[i] == '"' || s[i] == '\'' || (i + 2 < n &&
			    (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
			    ((unsigned char)s[i + 2] == 0x9D || (unsigned char)s[i + 2] == 0x99))))
				i += s[i] == '"' || s[i] == '\'' ? 1 : 3;
			break;
		}
	*se = i;
}

int
gclf_next(const char *s, size_t n, size_t *pos, size_t *ss, size_t *se)
{
	size_t p = *pos;

	for (;;) {
		while (p < n && (s[p] == ' ' || s[p] == '\n' || s[p] == '\t'))
			p++;
		if (p >= n) {
			*pos = p;
			return 0;
		}
		gclf_sentence(s, n, p, p, ss, se);
		if (*se <= p)
			*se = p + 1;
		p = *se;
		while (*ss < *se && (s[*ss] == '"' || s[*ss] == ' '))
			(*ss)++;
		if (*se - *ss >= 8) {
			*pos = p;
			return 1;
		}
	}
}

/* ---- features ---- */

struct fx {
	const struct names *nm;
	unsigned nbits;
	struct clf_vec *x;
	void (*fn)(void *, const char *, size_t);
	void *ctx;
	int oom;
};

static void
feat(struct fx *f, const char *a, size_t an, const char *b, size_t bn)
{
	uint64_t h = clf_hash(CLF_HASH_INIT, a, an);

	if (bn)
		h = clf_hash(h, b, bn);
	if (clf_vec_add(f->x, clf_index(f->nbits, h), 1.0f) < 0)
		f->oom = 1;
	if (f->fn) {
		char tmp[256];
		size_t k = an < 128 ? an : 128, m = bn < 120 ? bn : 120;
		memcpy(tmp, a, k);
		memcpy(tmp + k, b, m);
		f->fn(f->ctx, tmp, k + m);
	}
}

static int
wordc(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80 || c == '\'' ||
	    (c >= 'A' && c <= 'Z');
}

/* Word lists with their lengths, so a lookup compares only same-length words. */
struct wl {
	const char *s;
	size_t n;
};
#define W(x) { x, sizeof(x) - 1 }

static int
among(const char *w, size_t n, const struct wl *list)
{
	for (; list->s; list++)
		if (list->n == n && list->s[0] == w[0] && memcmp(list->s, w, n) == 0)
			return 1;
	return 0;
}

static const struct wl units[] = { W("mg"), W("mcg"), W("g"), W("ml"), W("cc"), W("units"),
	W("unit"), W("iu"), W("tablet"), W("tablets"), W("tab"), W("tabs"), W("pill"), W("pills"),
	W("capsule"), W("capsules"), W("cap"), W("caps"), W("puff"), W("puffs"), W("drop"),
	W("drops"), W("spray"), W("sprays"), W("teaspoon"), W("teaspoons"), W("tsp"),
	W("tablespoon"), W("milligrams"), W("micrograms"), W("grams"), W("patch"), W("sachet"),
	W("sachets"), W("gm"), W("µg"), { NULL, 0 } };
static const struct wl freqs[] = { W("daily"), W("twice"), W("thrice"), W("once"), W("bid"),
	W("tid"), W("qid"), W("qd"), W("od"), W("bd"), W("tds"), W("prn"), W("hourly"),
	W("nightly"), W("weekly"), W("night"), W("bedtime"), W("morning"), W("meals"), W("q4h"),
	W("q6h"), W("q8h"), W("q12h"), W("sos"), W("hs"), { NULL, 0 } };
static const struct wl forms[] = { W("tab"), W("tablet"), W("tablets"), W("cap"), W("capsule"),
	W("capsules"), W("syrup"), W("syp"), W("cream"), W("ointment"), W("gel"), W("injection"),
	W("inj"), W("drops"), W("lotion"), W("suspension"), W("inhaler"), W("sig"), W("rx"),
	{ NULL, 0 } };
static const struct wl negs[] = { W("not"), W("no"), W("never"), W("cannot"), W("can't"),
	W("don't"), W("doesn't"), W("won't"), W("isn't"), W("aren't"), W("shouldn't"),
	W("nothing"), W("without"), { NULL, 0 } };
static const struct wl conds[] = { W("if"), W("whether"), W("unless"), W("when"), { NULL, 0 } };
static const struct wl numwords[] = { W("one"), W("two"), W("three"), W("four"), W("five"),
	W("half"), { NULL, 0 } };

int
gclf_features(const struct names *nm, unsigned nbits, const char *s, size_t n,
    struct clf_vec *x, void (*fn)(void *ctx, const char *feat, size_t len), void *ctx)
{
	struct fx f = { nm, nbits, x, fn, ctx, 0 };
	char w[66], prev[66] = "^";
	size_t i = 0, wn, pn = 1, nw = 0;
	int num_before = 0, dose = 0, freq = 0, form = 0, med = 0, you = 0, me = 0, neg = 0,
	    cond = 0, q = 0;

	clf_vec_reset(x);
	while (i < n) {
		size_t st, k;
		int digit = 0;
		while (i < n && !wordc((unsigned char)s[i])) {
			if (s[i] == '?')
				q = 1;
			i++;
		}
		if (i >= n)
			break;
		st = i;
		for (wn = 0; i < n && wordc((unsigned char)s[i]); i++) {
			unsigned char c = (unsigned char)s[i];
			if (c >= 'A' && c <= 'Z')
				c |= 32;
			if (c >= '0' && c <= '9') {
				c = '0';
				digit = 1;
			}
			if (wn < sizeof(w) - 1)
				w[wn++] = (char)c;
		}
		/* "0.5" and "1,000" are one number */
		while (digit && i + 1 < n && (s[i] == '.' || s[i] == ',') && s[i + 1] >= '0' &&
		    s[i + 1] <= '9') {
			for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
				;
		}
		w[wn] = '\0';
		if (digit) {
			/* a number is "0", and a dose when a unit is glued to it ("500mg") */
			for (k = 0; k < wn && w[k] == '0'; k++)
				;
			/* "0" and what follows must still fit w: a 65-digit number is cut */
			if (wn - k > sizeof(w) - 2)
				k = wn - (sizeof(w) - 2);
			if (k < wn && among(w + k, wn - k, units))
				dose = 1;
			memmove(w + 1, w + k, wn - k);
			w[0] = '0';
			wn = wn - k + 1;
			w[wn] = '\0';
		}
		nw++;
		feat(&f, "w=", 2, w, wn);
		{
			char pair[2 * sizeof(w) + 1];	/* prev, a space, w */
			memcpy(pair, prev, pn);
			pair[pn] = ' ';
			memcpy(pair + pn + 1, w, wn);
			feat(&f, "b=", 2, pair, pn + 1 + wn);
			if (nw == 1)
				feat(&f, "f=", 2, w, wn);
			else if (nw == 2)
				feat(&f, "f2=", 3, pair, pn + 1 + wn);
		}
		if (!digit && wn >= 5) {
			feat(&f, "s3=", 3, w + wn - 3, 3);
			feat(&f, "s4=", 3, w + wn - 4, 4);
		}
		if (!digit) {
			if ((num_before || among(prev, pn, numwords)) && among(w, wn, units))
				dose = 1;
			freq |= among(w, wn, freqs);
			form |= among(w, wn, forms);
			neg |= among(w, wn, negs);
			cond |= among(w, wn, conds);
			you |= (wn == 3 && !memcmp(w, "you", 3)) || (wn == 4 && !memcmp(w, "your", 4)) ||
			    (wn >= 4 && !memcmp(w, "you'", 4));
			me |= (wn == 1 && w[0] == 'i') || (wn >= 2 && w[0] == 'i' && w[1] == '\'');
			if (nm && wn >= 6 && !med) {
				unsigned fl = names_flags(nm, s + st, i - st);
				med = (fl & NF_MED) && !(fl & NF_ENG);
			}
		}
		num_before = digit || among(w, wn, numwords);
		memcpy(prev, w, wn);
		pn = wn;
	}
	if (dose)
		feat(&f, "sig=dose", 8, "", 0);
	if (freq)
		feat(&f, "sig=freq", 8, "", 0);
	if (form)
		feat(&f, "sig=form", 8, "", 0);
	if (med)
		feat(&f, "sig=med", 7, "", 0);
	if (med && dose)
		feat(&f, "sig=med+dose", 12, "", 0);
	if (dose && freq)
		feat(&f, "sig=dose+freq", 13, "", 0);
	if (you)
		feat(&f, "sig=you", 7, "", 0);
	if (me)
		feat(&f, "sig=i", 5, "", 0);
	if (neg)
		feat(&f, "sig=neg", 7, "", 0);
	if (cond)
		feat(&f, "sig=cond", 8, "", 0);
	if (q)
		feat(&f, "sig=q", 5, "", 0);
	return f.oom ? -1 : 0;
}

/* ---- models ---- */

int
gclf_init(struct gclf *g, const struct policy *p, const struct names *nm, struct phk_err *e)
{
	size_t i, k;

	memset(g, 0, sizeof(*g));
	g->names = nm;
	clf_vec_init(&g->x);
	if (p->nguard == 0)
		return 0;
	if ((g->rmodel = malloc(p->nguard * sizeof(int))) == NULL ||
	    (g->rlabel = malloc(p->nguard * sizeof(int))) == NULL)
		goto oom;
	for (i = 0; i < p->nguard; i++) {
		const struct guard_rule *r = &p->guard[i];
		g->rmodel[i] = g->rlabel[i] = -1;
		if (r->classifier == NULL)
			continue;
		for (k = 0; k < g->nm && strcmp(g->m[k].path, r->classifier); k++)
			;
		if (k == g->nm) {
			struct gclf_model *x = realloc(g->m, (g->nm + 1) * sizeof(*g->m));
			if (x == NULL)
				goto oom;
			g->m = x;
			memset(&g->m[k], 0, sizeof(g->m[k]));
			if ((g->m[k].path = strdup(r->classifier)) == NULL)
				goto oom;
			g->nm++;
			if (clf_load(&g->m[k].c, r->classifier, "guard-sentences", e) < 0) {
				free(g->m[k].path);
				g->nm--;
				goto fail;
			}
		}
		g->rmodel[i] = (int)k;
		if ((g->rlabel[i] = clf_label(&g->m[k].c, r->label)) < 0) {
			phk_err_set(e, PHK_EXIT_USAGE, "rule '%.100s': the model %.200s has no label '%.60s'",
			    r->id, r->classifier, r->label);
			goto fail;
		}
	}
	if (g->nm && ((g->prob = calloc(g->nm * CLF_MAX_LABELS, sizeof(double))) == NULL ||
	    (g->done = calloc(g->nm, 1)) == NULL))
		goto oom;
	return 0;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
fail:
	gclf_release(g);
	return -1;
}

int
gclf_clone(struct gclf *g, const struct gclf *src, struct phk_err *e)
{
	memset(g, 0, sizeof(*g));
	g->names = src->names;
	g->m = src->m;
	g->nm = src->nm;
	g->rmodel = src->rmodel;
	g->rlabel = src->rlabel;
	g->borrowed = 1;
	clf_vec_init(&g->x);
	if (g->nm && ((g->prob = calloc(g->nm * CLF_MAX_LABELS, sizeof(double))) == NULL ||
	    (g->done = calloc(g->nm, 1)) == NULL)) {
		gclf_release(g);
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	return 0;
}

void
gclf_release(struct gclf *g)
{
	size_t k;

	if (!g->borrowed) {
		for (k = 0; k < g->nm; k++) {
			clf_release(&g->m[k].c);
			free(g->m[k].path);
		}
		free(g->m);
		free(g->rmodel);
		free(g->rlabel);
	}
	clf_vec_release(&g->x);
	free(g->prob);
	free(g->done);
	memset(g, 0, sizeof(*g));
}

void
gclf_reset(struct gclf *g)
{
	if (g->nm)
		memset(g->done, 0, g->nm);
}

double
gclf_rule_prob(struct gclf *g, int rule, const char *s, size_t n)
{
	int k = g->rmodel ? g->rmodel[rule] : -1;
	double *pr;

	if (k < 0)
		return 0;
	pr = g->prob + (size_t)k * CLF_MAX_LABELS;
	if (!g->done[k]) {
		if (gclf_features(g->names, g->m[k].c.nbits, s, n, &g->x, NULL, NULL) < 0)
			return -1;
		clf_predict(&g->m[k].c, &g->x, pr);
		g->done[k] = 1;
	}
	return pr[g->rlabel[rule]];
}
