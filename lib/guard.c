#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot.h"
#include "answer.h"
#include "bind.h"
#include "filter.h"
#include "guard.h"
#include "jscan.h"

/* What the ordered stage needs to know about a record, after its line. */
struct gaux {
	int verdict;
	size_t vs, ve;		/* the verdict's quoted value in the output line */
	size_t vclose;		/* the ']' closing the violations */
	size_t nviol;
	double cost;
	size_t runlen;		/* 0: no run_id */
	size_t sha_at;		/* content_sha256's digits in the output line */
	char run[128];
};

/*
 * Without --field: in a record that holds a model's answer, the answer is
 * what is checked and the request is context (DESIGN.md); in any other
 * record, its text. Which is which is lib/answer's, shared with hitl show.
 */

/* Lower-case FNV-1a of a word: how triggers and text words are compared. */
static uint64_t
word_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			c |= 32;
		h = (h ^ c) * 1099511628211ull;
	}
	return h | 1;	/* 0 marks an empty slot */
}

static struct gtrig *
trig_slot(const struct guard *g, uint64_t h)
{
	size_t i = (size_t)h & g->tmask;

	while (g->trig[i].hash && g->trig[i].hash != h)
		i = (i + 1) & g->tmask;
	return &g->trig[i];
}

/*
 * Rules with triggers run only on texts holding one of their words: one
 * pass over the text instead of one regex scan per rule.
 */
static int
trig_build(struct guard *g, const struct policy *p)
{
	size_t i, k, n = 0, cap = 16;
	int bit = 0;

	if (p->nguard && (g->tbit = malloc(p->nguard * sizeof(int))) == NULL)
		return -1;
	for (i = 0; i < p->nguard; i++)
		n += p->guard[i].triggers.n;
	while (cap < n * 2)
		cap <<= 1;
	if ((g->trig = calloc(cap, sizeof(*g->trig))) == NULL)
		return -1;
	g->tmask = cap - 1;
	for (i = 0; i < p->nguard; i++) {
		const struct strlist *t = &p->guard[i].triggers;
		/* past 64 rules with triggers, the rest simply always run */
		g->tbit[i] = t->n && bit < 64 ? bit++ : -1;
		for (k = 0; g->tbit[i] >= 0 && k < t->n; k++) {
			uint64_t h = word_hash(t->v[k], strlen(t->v[k]));
			struct gtrig *x = trig_slot(g, h);
			x->hash = h;
			x->bits |= (uint64_t)1 << g->tbit[i];
		}
	}
	return 0;
}

/*
 * The trigger bits of the words of s (letters, digits and inner hyphens),
 * and where each trigger word starts, for rules anchored there.
 */
static int
trig_words(struct guard *g, const char *s, size_t n)
{
	static const unsigned char wordc[256] = {
		['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ['-'] = 1,
		['A'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		['a'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	};
	uint64_t bits = 0, h;
	size_t i = 0, st;

	g->nhits = 0;
	g->words = 0;
	if (g->tmask == 0 || g->trig == NULL)
		return 0;
	/* at most one word per two bytes: room for every hit before the scan */
	if (ARRAY_RESERVE(g->hits, g->hcap, n / 2 + 1) < 0)
		return -1;
	while (i < n) {
		while (i < n && !wordc[(unsigned char)s[i]])
			i++;
		st = i;
		h = 1469598103934665603ull;
		for (; i < n && wordc[(unsigned char)s[i]]; i++) {
			unsigned char c = (unsigned char)s[i];
			if (c >= 'A' && c <= 'Z')
				c |= 32;
			h = (h ^ c) * 1099511628211ull;
		}
		if (i > st) {
			const struct gtrig *x = trig_slot(g, h | 1);
			bits |= x->bits;
			if (x->bits) {
				g->hits[g->nhits].pos = st;
				g->hits[g->nhits++].bits = x->bits;
			}
		}
	}
	g->words = bits;
	return 0;
}

int
guard_init(struct guard *g, const struct policy *p, const struct guard_opts *o,
    struct phk_err *e)
{
	struct scrub_opts so;
	size_t i;
	int need_phi = 0;

	memset(g, 0, sizeof(*g));
	g->pol = p;
	g->o = *o;
	if (answer_fields_init(&g->defaults, e) < 0) {
		guard_release(g);
		return -1;
	}
	toolcalls_init(&g->tc);
	buf_init(&g->arena, (size_t)1 << 34);
	buf_init(&g->paths, (size_t)1 << 30);
	buf_init(&g->fixed, (size_t)1 << 34);
	buf_init(&g->ann, (size_t)1 << 30);
	buf_init(&g->tmp, (size_t)1 << 34);
	norm_init(&g->nm);
	norm_init(&g->nm2);
	if (rx_engine_init(&g->rx, p->match_limit) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		guard_release(g);
		return -1;
	}
	for (i = 0; i < p->nguard; i++)
		need_phi |= p->guard[i].detect_phi;
	if (trig_build(g, p) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		guard_release(g);
		return -1;
	}
	for (i = 0; i < p->nguard; i++)
		if (p->guard[i].anchor_trigger && g->tbit[i] < 0) {
			phk_err_set(e, PHK_EXIT_USAGE,
			    "rule '%s': at most 64 rules can have triggers", p->guard[i].id);
			guard_release(g);
			return -1;
		}
	if (need_phi) {
		/* tags only: a site's pseudonym mode needs a key guard never uses */
		memset(&so, 0, sizeof(so));
		so.replace = REPLACE_TAG;
		so.keep_year = -1;
		so.rules_only = 1;
		if (scrubber_init(&g->sc, p, &so, e) < 0) {
			guard_release(g);
			return -1;
		}
		g->has_sc = 1;
	}
	/* a missing or corrupt model stops guard-check here, never later */
	if (gclf_init(&g->gc, p, g->has_sc ? &g->sc.names : NULL, e) < 0) {
		guard_release(g);
		return -1;
	}
	return 0;
}

int
guard_clone(struct guard *g, const struct guard *src, struct phk_err *e)
{
	memset(g, 0, sizeof(*g));
	g->pol = src->pol;
	g->o = src->o;
	g->borrowed = 1;	/* the default field paths and triggers stay src's */
	g->defaults = src->defaults;	/* src's to release */
	toolcalls_init(&g->tc);
	g->trig = src->trig;
	g->tmask = src->tmask;
	g->tbit = src->tbit;
	buf_init(&g->arena, src->arena.max);
	buf_init(&g->paths, src->paths.max);
	buf_init(&g->fixed, src->fixed.max);
	buf_init(&g->ann, src->ann.max);
	buf_init(&g->tmp, src->tmp.max);
	norm_init(&g->nm);
	norm_init(&g->nm2);
	if (rx_engine_init(&g->rx, src->pol->match_limit) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		guard_release(g);
		return -1;
	}
	if (src->has_sc) {
		if (scrubber_clone(&g->sc, &src->sc, e) < 0) {
			guard_release(g);
			return -1;
		}
		g->has_sc = 1;
	}
	if (gclf_clone(&g->gc, &src->gc, e) < 0) {
		guard_release(g);
		return -1;
	}
	g->gc.names = g->has_sc ? &g->sc.names : NULL;
	return 0;
}

void
guard_release(struct guard *g)
{
	gclf_release(&g->gc);
	norm_release(&g->nm);
	norm_release(&g->nm2);
	free(g->dsp);
	if (g->has_sc)
		scrubber_release(&g->sc);
	if (!g->borrowed) {
		free(g->trig);
		free(g->tbit);
		answer_fields_release(&g->defaults);
	}
	toolcalls_release(&g->tc);
	rx_engine_release(&g->rx);
	free(g->strs);
	free(g->v);
	free(g->hits);
	buf_release(&g->arena);
	buf_release(&g->paths);
	buf_release(&g->fixed);
	buf_release(&g->ann);
	buf_release(&g->tmp);
	memset(g, 0, sizeof(*g));
}

/* ---- the record's strings ---- */

static int
seg_is(const struct jseg *s, const char *k)
{
	size_t n = strlen(k);

	return s->key && s->klen == n && memcmp(s->key, k, n) == 0;
}

static int
add_str(struct guard *g, const struct jpath *jp, size_t st, size_t en, int esc, int cls)
{
	struct gstr *x;

	if (ARRAY_RESERVE(g->strs, g->capstrs, g->nstrs + 1) < 0) {
		phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	x = &g->strs[g->nstrs];
	x->rs = st;
	x->re = en;
	x->esc = esc;
	x->cls = cls;
	x->fn = (size_t)-1;
	x->path = g->paths.len;
	if (fieldpath_render(&g->paths, jp) < 0 || buf_addc(&g->paths, '\0') < 0) {
		phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	g->nstrs++;
	return 0;
}

static int
on_string(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	struct guard *g = ctx;
	size_t i;
	int rc;

	/* our own earlier annotation is replaced, never checked */
	if (jp->n >= 1 && seg_is(&jp->seg[0], "phikit") &&
	    (jp->n == 1 || seg_is(&jp->seg[1], "guard")))
		return 0;
	if (jp->n == 1 && (seg_is(&jp->seg[0], "tool") || seg_is(&jp->seg[0], "agent") ||
	    seg_is(&jp->seg[0], "run_id")))
		return 0;	/* identifiers, found by jscan's key search */
	if ((rc = toolcalls_string(&g->tc, NULL, jp, st, en, esc)) != 0) {
		if (rc < 0) {
			phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
			return -1;
		}
		g->has_answer = 1;
		/* what a call sends is looked at for identifiers */
		if (g->tc.v[g->tc.n - 1].args_s == (long)st)
			return add_str(g, jp, st, en, esc, GSTR_ARGS);
		return 0;
	}
	if (g->o.nfields) {
		for (i = 0; i < g->o.nfields && !fieldpath_match(&g->o.fields[i], jp); i++)
			;
		return i == g->o.nfields ? 0 : add_str(g, jp, st, en, esc, GSTR_ANSWER);
	}
	switch (answer_field(&g->defaults, jp)) {
	case ANSWER_TEXT:
		g->has_answer = 1;
		return add_str(g, jp, st, en, esc, GSTR_ANSWER);
	case ANSWER_PLAIN:
		return add_str(g, jp, st, en, esc, GSTR_PLAIN);
	default:
		return 0;
	}
}

/* ---- violations ---- */

#define cpcount utf8_count

/* Byte length of the first cps code points of s. */
static size_t
cpbytes(const char *s, size_t n, size_t cps)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80 && cps-- == 0)
			break;
	return i;
}

/*
 * The code point offset of byte bs of text. Hits come in order within a
 * rule, so counting on from the last one keeps a text with N hits linear
 * (counting from 0 each time made 16,000 findings take 20 s).
 */
static size_t
cp_at(struct guard *g, const char *text, size_t bs)
{
	if (g->cp_t != text || bs < g->cp_b) {
		g->cp_t = text;
		g->cp_b = g->cp_n = 0;
	}
	g->cp_n += cpcount(text + g->cp_b, bs - g->cp_b);
	g->cp_b = bs;
	return g->cp_n;
}

static int
add_viol(struct guard *g, const char *rule, const char *kind, const char *cite, int sev,
    long path, const char *text, size_t bs, size_t be)
{
	struct gviol *v;

	if (ARRAY_RESERVE(g->v, g->capv, g->nv + 1) < 0) {
		phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	v = &g->v[g->nv++];
	v->rule = rule;
	v->kind = kind;
	v->citation = cite;
	v->reason = NULL;
	v->sev = sev;
	v->cat = -1;
	v->path = path;
	v->off = text ? cp_at(g, text, bs) : 0;
	v->len = text ? cpcount(text + bs, be - bs) : 0;
	return 0;
}

/* A hit at shadow bytes [vs, ve), reported where it stands in the source. */
static int
add_hit(struct guard *g, const struct guard_rule *r, long path, size_t vs, size_t ve)
{
	size_t a = vs, b = ve;

	if (g->nm.changed)
		norm_span(&g->nm, vs, ve, &a, &b);
	return add_viol(g, r->id, r->kind, r->citation, r->severity, path, g->src, a, b);
}

/* ---- prohibited output ---- */

static int
isalpha_ascii(char c)
{
	return ((unsigned char)c | 32) >= 'a' && ((unsigned char)c | 32) <= 'z';
}

#define sentence gclf_sentence

/*
 * Whether a hit at s[at] stands inside a quotation within its sentence
 * s[ss..se): an odd number of straight double quotes before it and one
 * after, or a curly opening quote not yet closed and a closing one after.
 * Reported speech ("the label says 'take two'") is not the model speaking.
 * Counting only inside the sentence, and wanting the quote closed, keeps
 * a stray inch mark (5'10") from silencing the rest of a text.
 */
static int
quoted(const char *s, size_t ss, size_t at, size_t se, size_t *qs, size_t *qe)
{
	size_t i, before = 0, after = 0;
	long open = 0, close_after = 0;

	*qs = ss;
	*qe = se;
	for (i = ss; i < se; i++) {
		if (s[i] == '"') {
			if (i < at) {
				before++;
				*qs = i;
			} else if (after++ == 0)
				*qe = i + 1;
		} else if ((unsigned char)s[i] == 0xE2 && i + 2 < se &&
		    (unsigned char)s[i + 1] == 0x80) {
			unsigned char c = (unsigned char)s[i + 2];
			/* \u201c \u2018 open, \u201d \u2019 close; \u2019 is also the apostrophe */
			if (i < at)
				open += (c == 0x9C || c == 0x98) - (c == 0x9D || c == 0x99);
			else
				close_after += c == 0x9D || c == 0x99;
		}
	}
	return ((before & 1) && after > 0) || (open > 0 && close_after > 0);
}

static int
rx_any(struct guard *g, const struct regex *r, const char *s, size_t n, int *hit)
{
	size_t pos = 0, vs, ve;
	int rc = regex_next(&g->rx, r, s, n, &pos, &vs, &ve, g->e);

	if (rc < 0)
		return -1;
	*hit = rc;
	return 0;
}

static int
failed_closed(struct guard *g, const char *id)
{
	char m[sizeof(g->e->msg)];

	memcpy(m, g->e->msg, sizeof(m));
	m[200] = '\0';
	phk_err_set(g->e, PHK_EXIT_USAGE, "rule '%s': %s", id, m);
	return -1;
}

static int
cmp_find(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	return x->e > y->e ? -1 : x->e < y->e;
}

/*
 * Whether a name finding t[s..e) is a person's by what stands around it,
 * for a rule with names: cued. A model's answer is full of capitalized
 * clinical words (Acromegaly, MedlinePlus, Braxton Hicks, Ecosprin) that
 * a name detector tuned for notes takes for names; in an answer a name
 * counts when a title, a salutation, a relation or a label stands before
 * it ("Dear Ana Ruiz", "Patient name: ..."), or when every word of it is
 * a known name and none is English, medical or an acronym and it has two
 * words or is a known first name.
 */
static int
name_cued(struct guard *g, const char *t, size_t s, size_t e)
{
	const struct names *nm = &g->sc.names;
	size_t i, ws, nw = 0;
	unsigned fl, first = 0, prev = 0;
	int known = 1, plain = 1, english = 1, med = 0, medonly = 0, dot = 0, brand = 0;

	/* the word before, past blanks, a comma or a colon */
	for (i = s; i > 0 && (t[i - 1] == ' ' || t[i - 1] == ',' || t[i - 1] == ':' ||
	    t[i - 1] == '\t'); i--)
		;
	if (i > 0 && t[i - 1] == '.') {
		i--;	/* "Dr. Lind", but not "Hello. Sugar is ..." */
		dot = 1;
	}
	for (ws = i; ws > 0 && isalpha_ascii(t[ws - 1]); ws--)
		;
	if (ws < i)
		prev = names_flags(nm, t + ws, i - ws);
	for (i = s; i < e; ) {
		size_t k, up = 0;
		while (i < e && !isalpha_ascii(t[i]) && (unsigned char)t[i] < 0x80)
			i++;
		for (ws = i; i < e && (isalpha_ascii(t[i]) || (unsigned char)t[i] >= 0x80); i++)
			;
		if (i == ws)
			break;
		for (k = ws; k < i; k++) {
			up += t[k] >= 'A' && t[k] <= 'Z';
			/* an inner capital past "Mac": a brand (MedlinePlus, WebMD) */
			if (k >= ws + 3 && t[k] >= 'A' && t[k] <= 'Z' && t[k - 1] >= 'a' &&
			    t[k - 1] <= 'z' && !(k == ws + 3 && !memcmp(t + ws, "Mac", 3)))
				brand = 1;
		}
		fl = names_flags(nm, t + ws, i - ws);
		if (nw++ == 0)
			first = fl;
		if ((fl & NF_MED) || (up == i - ws && up > 1))
			med = 1;	/* a clinical word, or an acronym */
		if ((!(fl & (NF_FIRST | NF_LAST)) && (fl & NF_MED)) || (up == i - ws && up > 1))
			medonly = 1;	/* and not a name too ("Ana" is both) */
		if (fl & NF_ENG)
			plain = 0;
		else
			english = 0;
		if (!(fl & (NF_FIRST | NF_LAST)))
			known = 0;
	}
	if (nw == 0)
		return 0;
	if (prev & NF_TITLE)
		return 1;
	if (brand)
		return 0;
	/* after "Dear" or "Patient name:", a name not all of English words */
	if (!dot && (prev & (NF_REL | NF_LABEL)) && !english && !medonly)
		return 1;
	return !med && plain && known && (nw >= 2 || (first & NF_FIRST));
}

static int
check_phi(struct guard *g, const struct guard_rule *r, long path, const char *t, size_t n)
{
	size_t i, last = 0, a, b;

	if (!g->phi_done) {
		/* once per text, whatever the number of rules that count findings */
		g->sc.e = g->e;
		g->sc.nf = 0;
		if (scrub_find(&g->sc, t, n) < 0)
			return -1;
		if (g->sc.nf > 1)
			qsort(g->sc.f, g->sc.nf, sizeof(*g->sc.f), cmp_find);
		g->phi_done = 1;
	}
	for (i = 0; i < g->sc.nf; i++) {
		const struct finding *f = &g->sc.f[i];
		if (!(r->cats & 1ul << f->cat) || (i > 0 && f->s < last))
			continue;	/* not counted, or inside one already reported */
		if (r->except.code) {
			int hit;
			if (rx_any(g, &r->except, t + f->s, f->e - f->s, &hit) < 0)
				return failed_closed(g, r->id);
			if (hit)
				continue;
		}
		if (r->names_cued && f->cat == CAT_NAME && !name_cued(g, t, f->s, f->e))
			continue;
		last = f->e;
		a = f->s;
		b = f->e;
		if (g->nm.changed)
			norm_span(&g->nm, f->s, f->e, &a, &b);
		if (add_viol(g, r->id, r->kind, r->citation, r->severity, path, g->src, a, b) < 0)
			return -1;
		g->v[g->nv - 1].cat = f->cat;
	}
	return 0;
}

/*
 * Where the pack's own disclaimers stand in the text: "Not medical advice,
 * but take 800 mg" and "I'm not a doctor, you have gout" negate the
 * disclaimer, not the advice, so a rule's unless_before never reads them.
 */
static int
disclaimer_spans(struct guard *g, const char *t, size_t n)
{
	const struct policy *p = g->pol;
	size_t i, pos, vs, ve;
	int rc;

	g->ndsp = 0;
	g->dsp_done = 1;
	for (i = 0; i < p->ndisc; i++) {
		pos = 0;
		while ((rc = regex_next(&g->rx, &p->disc[i].requires, t, n, &pos, &vs, &ve, g->e)) > 0) {
			if (ARRAY_RESERVE(g->dsp, g->dspcap, g->ndsp + 1) < 0) {
				phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
				return -1;
			}
			g->dsp[g->ndsp].s = vs;
			g->dsp[g->ndsp++].e = ve;
		}
		if (rc < 0)
			return failed_closed(g, p->disc[i].id);
	}
	return 0;
}

/* Whether a hit at t[vs..ve) is said by the model, not quoted, negated or asked. */
static int
counts(struct guard *g, const struct guard_rule *r, const char *t, size_t n, size_t vs,
    size_t ve, int *yes)
{
	size_t ss, se, qs, qe, from, i;
	int hit;

	*yes = 0;
	sentence(t, n, vs, ve, &ss, &se);
	if (!r->quoted && quoted(t, ss, vs, se, &qs, &qe)) {
		/*
		 * Reported speech only when something outside the quotation
		 * says whose it is ("the label says", "that line is from a
		 * novel"): advice put in quotation marks is still advice.
		 */
		size_t ns, ne;
		if (!r->attribution.code)
			return 0;
		if (rx_any(g, &r->attribution, t + ss, qs - ss, &hit) < 0)
			return failed_closed(g, r->id);
		if (!hit && qe < se && rx_any(g, &r->attribution, t + qe, se - qe, &hit) < 0)
			return failed_closed(g, r->id);
		if (!hit && se < n) {
			sentence(t, n, se, se, &ns, &ne);
			if (ne > se && rx_any(g, &r->attribution, t + se, ne - se, &hit) < 0)
				return failed_closed(g, r->id);
		}
		if (hit)
			return 0;
	}
	if (r->unless_before.code) {
		if (!g->dsp_done && disclaimer_spans(g, t, n) < 0)
			return -1;
		from = ss;
		for (i = 0; i < g->ndsp; i++)
			if (g->dsp[i].e > from && g->dsp[i].e <= vs && g->dsp[i].s < vs)
				from = g->dsp[i].e;
		if (rx_any(g, &r->unless_before, t + from, vs - from, &hit) < 0)
			return failed_closed(g, r->id);
		if (hit)
			return 0;
	}
	if (r->unless_sentence.code) {
		if (rx_any(g, &r->unless_sentence, t + ss, se - ss, &hit) < 0)
			return failed_closed(g, r->id);
		if (hit)
			return 0;
	}
	*yes = 1;
	return 0;
}

/*
 * A rule anchored on its triggers is tried only where one of its words
 * starts: a few anchored attempts per text instead of a scan of every byte.
 */
static int
check_anchored(struct guard *g, const struct guard_rule *r, int bit, long path,
    const char *t, size_t n)
{
	size_t h, pos = 0, vs, ve, end;
	int rc, yes;

	for (h = 0; h < g->nhits; h++) {
		if (!(g->hits[h].bits & (uint64_t)1 << bit) || g->hits[h].pos < pos)
			continue;
		if ((rc = regex_at(&g->rx, &r->re, t, n, g->hits[h].pos, &vs, &ve, &end, g->e)) < 0)
			return failed_closed(g, r->id);
		if (rc == 0)
			continue;
		pos = end;
		if (counts(g, r, t, n, vs, ve, &yes) < 0)
			return -1;
		if (yes && add_hit(g, r, path, vs, ve) < 0)
			return -1;
	}
	return 0;
}

static int
check_rule(struct guard *g, const struct guard_rule *r, int bit, long path, const char *t,
    size_t n)
{
	size_t pos = 0, vs, ve;
	int rc, yes;

	if (r->detect_phi)
		return check_phi(g, r, path, t, n);
	if (r->classifier)
		return 0;	/* sentence by sentence, in check_model */
	if (r->anchor_trigger)
		return check_anchored(g, r, bit, path, t, n);
	while ((rc = regex_next(&g->rx, &r->re, t, n, &pos, &vs, &ve, g->e)) > 0) {
		if (counts(g, r, t, n, vs, ve, &yes) < 0)
			return -1;
		if (yes && add_hit(g, r, path, vs, ve) < 0)
			return -1;
	}
	return rc < 0 ? failed_closed(g, r->id) : 0;
}

/*
 * The classifier rules, sentence by sentence: each model reads a sentence
 * once, and a rule counts it when its label's probability reaches the
 * rule's threshold and the sentence passes the rule's own checks, as a
 * pattern's hit does (quoted without attribution, unless_sentence).
 */
static int
check_model(struct guard *g, long path, const char *t, size_t n)
{
	const struct policy *p = g->pol;
	size_t pos = 0, ss, se, i;
	int yes;

	while (gclf_next(t, n, &pos, &ss, &se)) {
		gclf_reset(&g->gc);
		for (i = 0; i < p->nguard; i++) {
			const struct guard_rule *r = &p->guard[i];
			double pr;
			if (r->classifier == NULL)
				continue;
			if ((pr = gclf_rule_prob(&g->gc, (int)i, t + ss, se - ss)) < 0) {
				phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
				return -1;
			}
			if (pr < r->threshold)
				continue;
			/* the sentence's last byte, so counts reads this sentence */
			if (counts(g, r, t, n, ss, se - 1, &yes) < 0)
				return -1;
			if (yes && add_hit(g, r, path, ss, se) < 0)
				return -1;
		}
	}
	return 0;
}

/* ---- one text field: rules, length, disclosures, fixes ---- */

/*
 * Whether t holds at least want distinct words of the medical vocabulary
 * (NF_MED) that are no English words: "Acromegaly is caused by ..." deals
 * with health though no list of the pack names it.
 */
static int
medical_words(struct guard *g, const char *t, size_t n, int want)
{
	uint32_t seen[16];
	size_t i = 0, st;
	int k, got = 0;

	if (!g->has_sc)
		return 0;
	while (i < n && got < want) {
		while (i < n && !isalpha_ascii(t[i]))
			i++;
		for (st = i; i < n && (isalpha_ascii(t[i]) || t[i] == '-'); i++)
			;
		if (i - st >= 5) {
			unsigned fl = names_flags(&g->sc.names, t + st, i - st);
			uint32_t key;
			if (!(fl & NF_MED) || (fl & NF_ENG))
				continue;
			key = names_key(t + st, i - st);
			for (k = 0; k < got && seen[k] != key; k++)
				;
			if (k == got && got < 16)
				seen[got++] = key;
		}
	}
	return got >= want;
}

static int
check_text(struct guard *g, struct gstr *x)
{
	const struct policy *p = g->pol;
	const struct limits *lm = &p->limits;
	const char *src = g->arena.p + x->ds, *t;
	size_t i, n, cps, keep, have, srcn = x->dn;
	long path = (long)x->path;
	int hit, when = 0, fixing = 0, when_med = 0, trunc = 0;
	const char *when_of = NULL;	/* the when last asked */
	const char *w;		/* the text as fixed so far */
	size_t wn;

	/*
	 * The rules read the normalized shadow: markup, look-alike letters,
	 * odd spaces and dashes, zero-width characters read as plain text.
	 */
	if (norm_run(&g->nm, src, srcn, NORM_PROSE) < 0)
		goto oom;
	t = g->nm.p;
	n = g->nm.n;
	g->src = src;
	g->srcn = srcn;
	g->cp_t = NULL;	/* another text, perhaps at the same address */
	if (trig_words(g, t, n) < 0)
		goto oom;
	g->phi_done = 0;
	g->dsp_done = 0;
	for (i = 0; i < p->nguard; i++) {
		if (g->tbit[i] >= 0 && !(g->words & (uint64_t)1 << g->tbit[i]))
			continue;
		/* what a tool call sends: identifiers only, no disclaimer owed */
		if (x->cls == GSTR_ARGS && !p->guard[i].detect_phi)
			continue;
		if (check_rule(g, &p->guard[i], g->tbit[i], path, t, n) < 0)
			return -1;
	}
	/* a tool call's arguments are checked for identifiers only */
	if (x->cls == GSTR_ARGS)
		return 0;
	if (g->gc.nm && check_model(g, path, t, n) < 0)
		return -1;
	/* disclosures are read in the shadow of what is passed on */
	w = t;
	wn = n;
	if (lm->max_output_chars > 0 && (cps = cpcount(src, srcn)) > (size_t)lm->max_output_chars) {
		keep = cpbytes(src, srcn, (size_t)lm->max_output_chars);
		if (g->o.fix && lm->long_output == LONG_TRUNCATE) {
			/* minimum necessary: what is past the limit is not passed on */
			x->fs = g->fixed.len;
			if (buf_add(&g->fixed, src, keep) < 0 || buf_adds(&g->fixed, lm->marker) < 0)
				goto oom;
			fixing = trunc = 1;
			if (norm_run(&g->nm2, g->fixed.p + x->fs, g->fixed.len - x->fs, NORM_PROSE) < 0)
				goto oom;
			w = g->nm2.p;
			wn = g->nm2.n;
		}
		if (add_viol(g, "limits.max_output_chars", "limit", lm->citation ? lm->citation : "",
		    fixing ? SEV_WARN : SEV_DENY, path, src, keep, srcn) < 0)
			return -1;
	}
	for (i = 0; i < p->ndisc; i++) {
		const struct disclosure *d = &p->disc[i];
		const char *cur = fixing ? g->fixed.p + x->fs : src;
		size_t at, curn = fixing ? g->fixed.len - x->fs : srcn;
		/*
		 * The disclaimer first: most outputs that need one carry it, and
		 * then whether the text deals with health need not be asked.
		 * Read in the shadow of what is passed on, before any appended
		 * disclaimer (which never stands for another).
		 */
		if (trunc && !g->nm2.changed)
			w = g->fixed.p + x->fs;	/* its own shadow: fixed may have moved */
		if (rx_any(g, &d->requires, w, wn, &hit) < 0)
			return failed_closed(g, d->id);
		if (hit)
			continue;
		/* rules asking the same question share the answer */
		if (when_of == NULL || strcmp(d->when_src, when_of) || d->when_medical != when_med) {
			if (rx_any(g, &d->when, t, n, &when) < 0)
				return failed_closed(g, d->id);
			if (!when && d->when_medical > 0)
				when = medical_words(g, t, n, d->when_medical);
			when_of = d->when_src;
			when_med = d->when_medical;
		}
		if (!when)
			continue;
		if (!g->o.fix || d->action != DISC_APPEND) {
			if (add_viol(g, d->id, d->kind, d->citation, SEV_DENY, path, cur, curn, curn) < 0)
				return -1;
			continue;
		}
		if (!fixing) {
			x->fs = g->fixed.len;
			if (buf_add(&g->fixed, src, srcn) < 0)
				goto oom;
			fixing = 1;
		}
		have = g->fixed.len - x->fs;
		if (have > 0 && g->fixed.p[g->fixed.len - 1] != ' ' &&
		    g->fixed.p[g->fixed.len - 1] != '\n' && buf_addc(&g->fixed, ' ') < 0)
			goto oom;
		at = g->fixed.len - x->fs;
		if (buf_adds(&g->fixed, d->text) < 0)
			goto oom;
		if (add_viol(g, d->id, d->kind, d->citation, SEV_WARN, path, g->fixed.p + x->fs,
		    at, g->fixed.len - x->fs) < 0)
			return -1;
	}
	if (fixing)
		x->fn = g->fixed.len - x->fs;
	return 0;
oom:
	phk_err_set(g->e, PHK_EXIT_IO, "out of memory (or record too large)");
	return -1;
}

/* ---- tool calls ---- */

/*
 * A call's arguments as its permission rules read them: compact JSON (a
 * string as its text), so a pattern does not depend on how the caller
 * spaced them; OpenAI's string of JSON text is parsed first, and read as
 * text if it is none. Zero-padded into *out (PCRE2's JIT reads up to 16
 * bytes past a subject's end). 0, or -1 with e set.
 */
static int
call_args(struct guard *g, const char *line, const struct toolcall *c, char **out,
    size_t *outn)
{
	static const char null_args[] = "null";
	const char *src = null_args, *why;
	size_t sn = 4;
	json_error_t je;
	json_t *j = NULL;
	char *d = NULL;
	int st;

	buf_reset(&g->tmp);
	memset(&je, 0, sizeof(je));
	if (c->args_s >= 0 && c->args_str) {
		if (jstr_decode(line + c->args_s, (size_t)(c->args_e - c->args_s), &g->tmp) < 0)
			goto oom;
		src = g->tmp.p;
		sn = g->tmp.len;
		j = json_loadb(src, sn, JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
	} else if (c->args_s >= 0)
		j = json_loadb(line + c->args_s, (size_t)(c->args_e - c->args_s),
		    JSON_DECODE_ANY | JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &je);
	if (j == NULL && c->args_s >= 0) {
		/*
		 * What jansson cannot hold (an integer past 64 bits, \u0000 in a
		 * key) is bad input, and so is a duplicate key: jansson keeps the
		 * last, a tool may take the first, unchecked. A string of text
		 * that is no JSON at all is matched as the text it is.
		 */
		why = jscan_json_why(&je, !c->args_str, &st);
		if (st == PHK_EXIT_IO && !strcmp(why, "out of memory"))
			goto oom;
		if (!c->args_str || (strcmp(why, "malformed JSON") && strcmp(why, "unexpected end of input") &&
		    strcmp(why, "a control character in a string") && strcmp(why, "invalid UTF-8") &&
		    strcmp(why, "a lone UTF-16 surrogate"))) {
			phk_err_set(g->e, PHK_EXIT_INPUT, "%s: %s", c->args_str ? "a tool call's "
			    "arguments" : "args", why);
			return -1;
		}
	}
	if (j != NULL) {
		if (json_is_string(j)) {
			src = json_string_value(j);
			sn = json_string_length(j);
		} else {
			if ((d = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY)) == NULL)
				goto oom;
			src = d;
			sn = strlen(d);
		}
	}
	/* zero-padded: PCRE2's JIT reads up to 16 bytes past a subject's end */
	if ((*out = malloc(sn + 32)) == NULL)
		goto oom;
	memcpy(*out, src, sn);
	memset(*out + sn, 0, 32);
	*outn = sn;
	free(d);
	json_decref(j);
	return 0;
oom:
	free(d);
	json_decref(j);
	phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
	return -1;
}

/* One call (or, c NULL, an agent with no call) against the permissions. */
static int
check_call(struct guard *g, const char *line, const struct toolcall *c, const char *agent,
    size_t an)
{
	const struct policy *p = g->pol;
	char *args = NULL, *tool = NULL;
	size_t argn = 0, tn = 0, i;
	long path = -1;
	int best = -1, need_args = 0, hit;

	if (c) {
		struct buf nb;
		buf_init(&nb, 1 << 16);
		if (toolcall_name(c, line, &nb) < 0 || (tool = malloc(nb.len + 32)) == NULL) {
			buf_release(&nb);
			goto oom;
		}
		memcpy(tool, nb.p, nb.len);
		memset(tool + nb.len, 0, 32);
		tn = nb.len;
		buf_release(&nb);
		if (c->shape != TC_TOP) {
			path = (long)g->paths.len;
			if (toolcall_path(c, &g->paths) < 0 || buf_addc(&g->paths, '\0') < 0)
				goto oom;
		}
	}
	for (i = 0; i < p->nperms; i++)
		need_args |= p->perms[i].args.code != NULL;
	if (need_args && c && call_args(g, line, c, &args, &argn) < 0)
		goto err;
	if (need_args && !c) {
		/* no arguments are matched as null, so a rule keyed on them still sees the call */
		if ((args = calloc(1, 40)) == NULL)
			goto oom;
		memcpy(args, "null", 4);
		argn = 4;
	}
	for (i = 0; i < p->nperms; i++) {
		const struct perm_rule *r = &p->perms[i];
		if ((r->tool.code && tool == NULL) || (r->agent.code && agent == NULL))
			continue;
		if (r->tool.code) {
			if (rx_any(g, &r->tool, tool, tn, &hit) < 0)
				goto fail;
			if (!hit)
				continue;
		}
		if (r->agent.code) {
			if (rx_any(g, &r->agent, agent, an, &hit) < 0)
				goto fail;
			if (!hit)
				continue;
		}
		if (r->args.code) {
			if (rx_any(g, &r->args, args, argn, &hit) < 0)
				goto fail;
			if (!hit)
				continue;
		}
		if (r->behavior > best)
			best = r->behavior;
		if (r->behavior == SEV_ALLOW)
			continue;
		if (add_viol(g, r->id, "permission", r->citation ? r->citation : "", r->behavior,
		    -1, NULL, 0, 0) < 0)
			goto err;
		g->v[g->nv - 1].reason = r->reason;
		g->v[g->nv - 1].path = path;
	}
	if (best < 0 && p->perm_default != SEV_ALLOW) {
		if (add_viol(g, "permissions.default", "permission", "", p->perm_default, -1, NULL,
		    0, 0) < 0)
			goto err;
		g->v[g->nv - 1].path = path;
	}
	free(args);
	free(tool);
	return 0;
fail:
	free(args);
	free(tool);
	return failed_closed(g, p->perms[i].id);
oom:
	phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
err:
	free(args);
	free(tool);
	return -1;
}

/* Every call the record asks for, each on its own. */
static int
check_tools(struct guard *g, const char *line)
{
	const char *agent = NULL;
	struct buf ab;
	size_t i, an = 0;
	int rc = 0;

	if (g->tc.n == 0 && g->agent_s < 0)
		return 0;
	buf_init(&ab, 1 << 16);
	if (g->agent_s >= 0) {
		if (jstr_decode(line + g->agent_s + 1, (size_t)(g->agent_e - g->agent_s - 2), &ab) < 0 ||
		    buf_adds(&ab, "") < 0) {
			buf_release(&ab);
			phk_err_set(g->e, PHK_EXIT_IO, "out of memory");
			return -1;
		}
		agent = ab.p;
		an = ab.len;
	}
	if (g->tc.n == 0)
		rc = check_call(g, line, NULL, agent, an);
	for (i = 0; i < g->tc.n && rc == 0; i++)
		rc = check_call(g, line, &g->tc.v[i], agent, an);
	buf_release(&ab);
	return rc;
}

/* The run's cost from usage: the policy's field, a non-negative number. */
static int
usage_cost(struct guard *g, const char *line, long s, long e, double *cost)
{
	json_t *j, *c;

	*cost = 0;
	if (s < 0)
		return 0;
	if (line[s] != '{') {
		phk_err_set(g->e, PHK_EXIT_INPUT, "usage must be an object");
		return -1;
	}
	/* a duplicate cost_field: jansson keeps the last, a biller may count the first */
	if ((j = jscan_json(line + s, (size_t)(e - s), JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, 1,
	    "usage", g->e)) == NULL)
		return -1;
	c = json_object_get(j, g->pol->limits.cost_field);
	if (c != NULL) {
		if (!json_is_number(c) || !(json_number_value(c) >= 0) ||
		    !isfinite(json_number_value(c))) {
			json_decref(j);
			phk_err_set(g->e, PHK_EXIT_INPUT, "usage.%.100s must be a number from 0 up",
			    g->pol->limits.cost_field);
			return -1;
		}
		*cost = json_number_value(c);
	}
	json_decref(j);
	return 0;
}

/* ---- the annotation ---- */

static int
annotate(struct guard *g, struct buf *a, int verdict, struct gaux *ax, size_t base)
{
	size_t i;

	if (buf_adds(a, "{\"verdict\":") < 0)
		return -1;
	ax->vs = base + a->len;
	if (buf_addc(a, '"') < 0 || buf_adds(a, sev_name(verdict)) < 0 || buf_addc(a, '"') < 0)
		return -1;
	ax->ve = base + a->len;
	if (buf_adds(a, ",\"violations\":[") < 0)
		return -1;
	for (i = 0; i < g->nv; i++) {
		const struct gviol *v = &g->v[i];
		if ((i && buf_addc(a, ',') < 0) || buf_adds(a, "{\"rule\":") < 0 ||
		    jstr_encode(a, v->rule, strlen(v->rule)) < 0 ||
		    buf_adds(a, ",\"kind\":") < 0 || jstr_encode(a, v->kind, strlen(v->kind)) < 0 ||
		    buf_adds(a, ",\"citation\":") < 0 ||
		    jstr_encode(a, v->citation, strlen(v->citation)) < 0 ||
		    buf_adds(a, ",\"severity\":\"") < 0 || buf_adds(a, sev_name(v->sev)) < 0 ||
		    buf_addc(a, '"') < 0)
			return -1;
		if (v->cat >= 0 && (buf_adds(a, ",\"category\":\"") < 0 ||
		    buf_adds(a, cat_name(v->cat)) < 0 || buf_addc(a, '"') < 0))
			return -1;
		if (v->reason && (buf_adds(a, ",\"reason\":") < 0 ||
		    jstr_encode(a, v->reason, strlen(v->reason)) < 0))
			return -1;
		if (v->path >= 0) {
			const char *fp = g->paths.p + v->path;
			if (buf_adds(a, ",\"field\":") < 0 || jstr_encode(a, fp, strlen(fp)) < 0 ||
			    buf_adds(a, ",\"offset\":") < 0 || buf_addu(a, v->off) < 0 ||
			    buf_adds(a, ",\"length\":") < 0 || buf_addu(a, v->len) < 0)
				return -1;
		}
		if (buf_addc(a, '}') < 0)
			return -1;
	}
	ax->vclose = base + a->len;
	ax->nviol = g->nv;
	if (buf_adds(a, "],\"policy\":") < 0 ||
	    jstr_encode(a, g->pol->name, strlen(g->pol->name)) < 0 ||
	    buf_adds(a, ",\"policy_sha256\":\"") < 0 || buf_adds(a, g->pol->sha256) < 0 ||
	    buf_adds(a, "\",\"content_sha256\":\"") < 0)
		return -1;
	/* what it judged, bound in once the record is written (lib/bind) */
	ax->sha_at = base + a->len;
	for (i = 0; i < 64; i++)
		if (buf_addc(a, '0') < 0)
			return -1;
	return buf_adds(a, "\"}");
}

/* ---- the record ---- */

/* phi-restore put the originals back (phikit.restore): the record holds PHI again. */
static int
check_restored(struct guard *g, const char *line, size_t n, const struct jscan *js)
{
	struct annot_pos pos;

	if (js->pk_key < 0)
		return 0;
	if (annot_locate(line, n, js, "restore", &pos, g->e) < 0)
		return -1;
	if (!pos.has_member)
		return 0;
	if (add_viol(g, "reidentified", "phi", "45 CFR 164.514(c)", SEV_DENY, -1, NULL, 0, 0) < 0)
		return -1;
	g->v[g->nv - 1].reason = "phi-restore put the original values back (phikit.restore)";
	return 0;
}

enum { K_TOOL, K_AGENT, K_ARGS, K_USAGE, K_CHOICES, K_OUTPUT, K__N };
static const char *const top_keys[K__N] = { "tool", "agent", "args", "usage", "choices", "output" };

int
guard_line(struct guard *g, const char *line, size_t n, struct buf *out, struct phk_err *e)
{
	struct jscan js;
	long span[K__N][2];
	struct gaux ax;
	size_t i, last, pk_at, pk_end, annpos;
	int verdict = SEV_ALLOW, pk_comma = 0;

	g->e = e;
	g->nstrs = g->nv = 0;
	g->cp_t = NULL;
	g->has_answer = 0;
	toolcalls_reset(&g->tc);
	buf_reset(&g->arena);
	buf_reset(&g->paths);
	buf_reset(&g->fixed);
	buf_reset(&g->ann);
	buf_reset(out);
	memset(&ax, 0, sizeof(ax));

	/* not memset: its path stack is 12 KiB, set as it is used */
	jscan_init(&js, NULL);
	js.more = top_keys;
	js.nmore = K__N;
	js.more_span = span;
	js.on_string = on_string;
	js.ctx = g;
	if (jscan_record(&js, line, n, e) < 0)
		return -1;
	if (js.run_start >= 0) {
		size_t rl = (size_t)(js.run_end - js.run_start);
		if (!jscan_is_ident(line + js.run_start, rl)) {
			phk_err_set(e, PHK_EXIT_INPUT,
			    "run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -");
			return -1;
		}
		ax.runlen = rl - 2;
		memcpy(ax.run, line + js.run_start + 1, ax.runlen);
	}
	g->agent_s = span[K_AGENT][0];
	g->agent_e = span[K_AGENT][1];
	if (g->agent_s >= 0 && line[g->agent_s] != '"') {
		phk_err_set(e, PHK_EXIT_INPUT, "agent must be a string");
		return -1;
	}
	if (toolcalls_finish(&g->tc, line, span[K_TOOL][0], span[K_TOOL][1], span[K_ARGS][0],
	    span[K_ARGS][1], e) < 0)
		return -1;
	if (span[K_TOOL][0] >= 0 && span[K_ARGS][0] >= 0) {
		/* phikit's own call: what it sends is looked at for identifiers too */
		long as = span[K_ARGS][0], ae = span[K_ARGS][1];
		struct jpath ap;
		int str = line[as] == '"';
		ap.n = 1;
		ap.seg[0].key = "args";
		ap.seg[0].klen = 4;
		if (add_str(g, &ap, (size_t)as + (size_t)str, (size_t)ae - (size_t)str,
		    str && memchr(line + as + 1, '\\', (size_t)(ae - as - 2)) != NULL, GSTR_ARGS) < 0)
			return -1;
	}
	/* a model's answer: the request it came with is context, not output */
	g->has_answer |= answer_holds(line, span[K_CHOICES], span[K_OUTPUT]);
	if (g->has_answer && g->o.nfields == 0) {
		size_t k = 0;
		for (i = 0; i < g->nstrs; i++)
			if (g->strs[i].cls != GSTR_PLAIN)
				g->strs[k++] = g->strs[i];
		g->nstrs = k;
	}
	if (g->pol->limits.max_run_cost > 0 && g->pol->limits.cost_field &&
	    usage_cost(g, line, span[K_USAGE][0], span[K_USAGE][1], &ax.cost) < 0)
		return -1;

	for (i = 0; i < g->nstrs; i++) {
		struct gstr *x = &g->strs[i];
		x->ds = g->arena.len;
		if (x->esc) {
			if (jstr_decode(line + x->rs, x->re - x->rs, &g->arena) < 0)
				goto oom;
		} else if (buf_add(&g->arena, line + x->rs, x->re - x->rs) < 0)
			goto oom;
		x->dn = g->arena.len - x->ds;
		if (buf_addc(&g->arena, '\0') < 0)
			goto oom;
	}
	for (i = 0; i < g->nstrs; i++)
		if (check_text(g, &g->strs[i]) < 0)
			return -1;
	if (check_tools(g, line) < 0)
		return -1;
	if (check_restored(g, line, n, &js) < 0)
		return -1;
	for (i = 0; i < g->nv; i++)
		if (g->v[i].sev > verdict)
			verdict = g->v[i].sev;
	ax.verdict = verdict;

	/* Where the annotation goes: as in scrub, spliced into the bytes. */
	pk_at = pk_end = js.top_close;
	if (js.pk_key >= 0) {
		struct jscan pk;
		jscan_init(&pk, "guard");
		if (line[js.pk_start] != '{' || jscan_record(&pk, line + js.pk_start,
		    (size_t)(js.pk_end - js.pk_start), e) < 0) {
			phk_err_set(e, PHK_EXIT_INPUT, "\"phikit\" is not an object");
			return -1;
		}
		if (pk.find_start >= 0) {
			pk_at = (size_t)js.pk_start + (size_t)pk.find_start;
			pk_end = (size_t)js.pk_start + (size_t)pk.find_end;
		} else {
			pk_at = pk_end = (size_t)js.pk_start + pk.top_close;
			pk_comma = pk.top_members > 0;
		}
	}

	/* Write: untouched bytes copied, fixed strings re-encoded. */
	last = 0;
	annpos = (size_t)-1;
	for (i = 0; i <= g->nstrs; i++) {
		struct gstr *x = i < g->nstrs ? &g->strs[i] : NULL;
		if (x && x->fn == (size_t)-1)
			continue;
		if (annpos == (size_t)-1 && pk_at <= (x ? x->rs - 1 : n)) {
			if (buf_add(out, line + last, pk_at - last) < 0)
				goto oom;
			if (js.pk_key < 0) {
				if (buf_adds(out, js.top_members ? ",\"phikit\":{\"guard\":" :
				    "\"phikit\":{\"guard\":") < 0)
					goto oom;
			} else if (pk_at == pk_end &&
			    buf_adds(out, pk_comma ? ",\"guard\":" : "\"guard\":") < 0)
				goto oom;
			annpos = out->len;
			if (annotate(g, out, verdict, &ax, 0) < 0)
				goto oom;
			if (js.pk_key < 0 && buf_addc(out, '}') < 0)
				goto oom;
			last = pk_end;
		}
		if (x == NULL)
			break;
		if (buf_add(out, line + last, x->rs - 1 - last) < 0 ||
		    jstr_encode(out, g->fixed.p + x->fs, x->fn) < 0)
			goto oom;
		last = x->re + 1;
	}
	if (buf_add(out, line + last, n - last) < 0)
		goto oom;
	{
		/* the content as it leaves, checked and perhaps fixed */
		char hex[65];
		jscan_init(&js, NULL);
		if (jscan_record(&js, out->p, out->len, e) < 0) {
			buf_reset(out);
			phk_err_set(e, PHK_EXIT_IO, "internal error: checked record does not scan");
			return -1;
		}
		bind_content_hex(out->p, out->len, &js, hex);
		memcpy(out->p + ax.sha_at, hex, 64);
	}
	/* the ordered stage's trailer */
	if (buf_add(out, &ax, sizeof(ax)) < 0)
		goto oom;
	{
		size_t an = sizeof(ax);
		if (buf_add(out, &an, sizeof(an)) < 0)
			goto oom;
	}
	return 0;
oom:
	buf_reset(out);
	phk_err_set(e, PHK_EXIT_IO, "out of memory (or record too large)");
	return -1;
}

/* ---- per-run state, in input order ---- */

#define NIL UINT32_MAX

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

int
guard_runs_init(struct guard_runs *r, const struct policy *p, int drop_denied)
{
	memset(r, 0, sizeof(r[0]));
	r->pol = p;
	r->drop_denied = drop_denied;
	r->track = p->limits.max_run_records > 0 || (p->limits.max_run_cost > 0 && p->limits.cost_field);
	r->max = (size_t)p->limits.max_runs;
	r->head = r->tail = NIL;
	if (!r->track)
		return 0;
	for (r->nbucket = 1; r->nbucket < r->max && r->nbucket < (1u << 24); r->nbucket <<= 1)
		;
	if ((r->bucket = malloc(r->nbucket * sizeof(*r->bucket))) == NULL)
		return -1;
	memset(r->bucket, 0xff, r->nbucket * sizeof(*r->bucket));
	return 0;
}

void
guard_runs_release(struct guard_runs *r)
{
	free(r->t);
	free(r->bucket);
	memset(r, 0, sizeof(*r));
}

static void
lru_unlink(struct guard_runs *r, uint32_t i)
{
	struct grun *x = &r->t[i];

	if (x->prev != NIL)
		r->t[x->prev].next = x->next;
	else
		r->head = x->next;
	if (x->next != NIL)
		r->t[x->next].prev = x->prev;
	else
		r->tail = x->prev;
}

static void
lru_front(struct guard_runs *r, uint32_t i)
{
	r->t[i].prev = NIL;
	r->t[i].next = r->head;
	if (r->head != NIL)
		r->t[r->head].prev = i;
	r->head = i;
	if (r->tail == NIL)
		r->tail = i;
}

/* The run's state, made (or taken from the least recently seen) if new. */
static struct grun *
run_get(struct guard_runs *r, const char *id, size_t n)
{
	uint64_t h = fnv1a(id, n);
	uint32_t b = (uint32_t)(h & (r->nbucket - 1)), i, *pp;
	struct grun *x;

	for (i = r->bucket[b]; i != NIL; i = r->t[i].chain)
		if (r->t[i].hash == h && r->t[i].len == n && memcmp(r->t[i].id, id, n) == 0) {
			lru_unlink(r, i);
			lru_front(r, i);
			return &r->t[i];
		}
	if (r->n < r->max) {
		if (ARRAY_RESERVE(r->t, r->cap, r->n + 1) < 0)
			return NULL;
		i = (uint32_t)r->n++;
	} else {
		/* the bound: the run seen longest ago is forgotten */
		i = r->tail;
		lru_unlink(r, i);
		for (pp = &r->bucket[r->t[i].hash & (r->nbucket - 1)]; *pp != i; pp = &r->t[*pp].chain)
			;
		*pp = r->t[i].chain;
		r->forgotten++;
	}
	x = &r->t[i];
	x->hash = h;
	x->len = (unsigned char)n;
	memcpy(x->id, id, n);
	x->records = 0;
	x->cost = 0;
	x->chain = r->bucket[b];
	r->bucket[b] = i;
	lru_front(r, i);
	return x;
}

/* The record with the limits it broke added, and the verdict deny. */
static int
rewrite(struct guard_runs *r, const char *line, size_t n, const struct gaux *ax,
    const char *const *rules, int nrules, struct buf *alt)
{
	const struct limits *lm = &r->pol->limits;
	const char *cite = lm->citation ? lm->citation : "";
	int i;

	if (buf_add(alt, line, ax->vs) < 0 || buf_adds(alt, "\"deny\"") < 0 ||
	    buf_add(alt, line + ax->ve, ax->vclose - ax->ve) < 0)
		return -1;
	for (i = 0; i < nrules; i++)
		if (((ax->nviol || i) && buf_addc(alt, ',') < 0) ||
		    buf_adds(alt, "{\"rule\":\"") < 0 || buf_adds(alt, rules[i]) < 0 ||
		    buf_adds(alt, "\",\"kind\":\"limit\",\"citation\":") < 0 ||
		    jstr_encode(alt, cite, strlen(cite)) < 0 ||
		    buf_adds(alt, ",\"severity\":\"deny\"}") < 0)
			return -1;
	return buf_add(alt, line + ax->vclose, n - ax->vclose);
}

int
guard_runs_order(void *ctx, const char *line, size_t n, const char *aux, size_t auxn,
    struct buf *alt, struct phk_err *e)
{
	struct guard_runs *r = ctx;
	const struct limits *lm = &r->pol->limits;
	struct gaux ax;
	struct grun *x;
	const char *broke[2];
	int verdict, rc = FILTER_WRITE, nbroke = 0;

	if (auxn != sizeof(ax)) {
		phk_err_set(e, PHK_EXIT_IO, "internal error: bad guard trailer");
		return -1;
	}
	memcpy(&ax, aux, sizeof(ax));
	verdict = ax.verdict;
	r->records++;
	if (r->track && ax.runlen > 0) {
		if ((x = run_get(r, ax.run, ax.runlen)) == NULL) {
			phk_err_set(e, PHK_EXIT_IO, "out of memory");
			return -1;
		}
		x->records++;
		x->cost += ax.cost;
		if (lm->max_run_records > 0 && x->records > (unsigned long)lm->max_run_records)
			broke[nbroke++] = "limits.max_run_records";
		if (lm->max_run_cost > 0 && lm->cost_field && x->cost > lm->max_run_cost)
			broke[nbroke++] = "limits.max_run_cost";
		if (nbroke) {
			if (rewrite(r, line, n, &ax, broke, nbroke, alt) < 0)
				goto oom;
			verdict = SEV_DENY;
			rc = FILTER_REWRITE;
		}
	}
	r->verdicts[verdict]++;
	if (verdict == SEV_DENY && r->drop_denied) {
		r->dropped++;
		return FILTER_DROP;
	}
	return rc;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
	return -1;
}
