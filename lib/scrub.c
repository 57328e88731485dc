#define _GNU_SOURCE	/* memmem */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bind.h"
#include "scrub.h"
#include "validate.h"

/* ---- set-up ---- */

int
scrubber_init(struct scrubber *s, const struct policy *p, const struct scrub_opts *o,
    struct phk_err *e)
{
	size_t i, k;
	unsigned bit = 0;

	memset(s, 0, sizeof(*s));
	s->pol = p;
	s->o = *o;
	s->replace = o->replace >= 0 ? o->replace : p->replace;
	s->keep_year = o->keep_year >= 0 ? o->keep_year : p->keep_year;
	{
		time_t now = time(NULL);
		struct tm tm;
		s->this_year = gmtime_r(&now, &tm) ? tm.tm_year + 1900 : 2026;
	}
	if ((s->replace == REPLACE_PSEUDONYM || o->date_shift) && o->key == NULL) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s needs a key (--key FILE)",
		    o->date_shift ? "date shifting" : "pseudonym mode");
		return -1;
	}
	buf_init(&s->arena, (size_t)1 << 34);
	buf_init(&s->paths, (size_t)1 << 30);
	buf_init(&s->tmp, (size_t)1 << 34);
	buf_init(&s->words, (size_t)1 << 24);
	buf_init(&s->ann, (size_t)1 << 30);
	buf_init(&s->head, 4096);
	buf_init(&s->vbuf, (size_t)1 << 34);
	if (rx_engine_init(&s->rx, p->match_limit) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	if (names_init(&s->names, &p->names, e) < 0) {
		rx_engine_release(&s->rx);
		return -1;
	}
	norm_init(&s->nrm);
	ner_work_init(&s->nw);
	s->detect = p->names.enabled ? p->names.detect : NAMES_DETECT_RULES;
	if (s->detect != NAMES_DETECT_RULES) {
		/* a model named and missing, or corrupt, stops here: never rules alone */
		if (p->names.model == NULL) {
			phk_err_set(e, PHK_EXIT_USAGE, "names.detect is %s but names.model is not set",
			    s->detect == NAMES_DETECT_MODEL ? "model" : "both");
			scrubber_release(s);
			return -1;
		}
		if (ner_load(&s->ner, p->names.model, e) < 0) {
			scrubber_release(s);
			return -1;
		}
	}
	/* loaded all the same: a policy whose model is broken is refused by every program */
	if (o->rules_only)
		s->detect = NAMES_DETECT_RULES;
	if (p->nrules && (s->trigbit = calloc(p->nrules, sizeof(int))) == NULL)
		goto oom;
	for (i = 0; i < p->nrules; i++) {
		const struct scrub_rule *r = &p->rules[i];
		/* past 64 rules with triggers, the rest simply always run */
		s->trigbit[i] = r->triggers.n && bit < 64 ? (int)bit++ : -1;
		if (r->anchor_trigger && s->trigbit[i] < 0) {
			phk_err_set(e, PHK_EXIT_USAGE,
			    "rule '%s': at most 64 rules can have triggers", r->id);
			scrubber_release(s);
			return -1;
		}
		for (k = 0; s->trigbit[i] >= 0 && k < r->triggers.n; k++)
			if (names_add_trigger(&s->names, r->triggers.v[k], (unsigned)s->trigbit[i]) < 0)
				goto oom;
	}
	return 0;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
	scrubber_release(s);
	return -1;
}

int
scrubber_clone(struct scrubber *s, const struct scrubber *src, struct phk_err *e)
{
	memset(s, 0, sizeof(*s));
	s->pol = src->pol;
	s->o = src->o;
	s->replace = src->replace;
	s->keep_year = src->keep_year;
	s->this_year = src->this_year;
	s->names = src->names;
	s->trigbit = src->trigbit;
	s->ner = src->ner;
	s->detect = src->detect;
	s->borrowed = 1;
	norm_init(&s->nrm);
	ner_work_init(&s->nw);
	buf_init(&s->arena, src->arena.max);
	buf_init(&s->paths, src->paths.max);
	buf_init(&s->tmp, src->tmp.max);
	buf_init(&s->words, src->words.max);
	buf_init(&s->ann, src->ann.max);
	buf_init(&s->head, src->head.max);
	buf_init(&s->vbuf, src->vbuf.max);
	if (rx_engine_init(&s->rx, src->pol->match_limit) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	return 0;
}

void
scrubber_release(struct scrubber *s)
{
	if (!s->borrowed) {
		names_release(&s->names);
		free(s->trigbit);
		ner_release(&s->ner);
	}
	ner_work_release(&s->nw);
	norm_release(&s->nrm);
	rx_engine_release(&s->rx);
	ntoks_release(&s->tk);
	free(s->strs);
	free(s->ov);
	free(s->f);
	free(s->rt);
	free(s->nset);
	free(s->pv);
	acm_release(&s->ac);
	buf_release(&s->arena);
	buf_release(&s->paths);
	buf_release(&s->tmp);
	buf_release(&s->words);
	buf_release(&s->ann);
	buf_release(&s->head);
	free(s->vr);
	free(s->vit);
	buf_release(&s->vbuf);
	memset(s, 0, sizeof(*s));
}

/* ---- finding PHI in one text ---- */

static int
add_finding(struct scrubber *s, size_t a, size_t b, int cat, const char *rule)
{
	if (ARRAY_RESERVE(s->f, s->capf, s->nf + 1) < 0)
		return -1;
	s->f[s->nf].s = a;
	s->f[s->nf].e = b;
	s->f[s->nf].cat = cat;
	s->f[s->nf].rule = rule;
	s->f[s->nf].merged = 0;
	s->f[s->nf].ord = s->nf;
	s->f[s->nf].conf = 1.0f;
	s->nf++;
	return 0;
}

static int
on_name(void *ctx, size_t a, size_t b, const char *rule)
{
	return add_finding(ctx, a, b, CAT_NAME, rule);
}

/* A town after a place cue, a facility's name: rules of their own, found with or without the model. */
static int
on_place(void *ctx, size_t a, size_t b, const char *rule)
{
	return add_finding(ctx, a, b, CAT_CITY, rule);
}

/*
 * With a model the heuristics' names are its evidence, not findings; but
 * a name a title, relation, label or credential vouches for ("Dr. Lind",
 * "wife Joy", "Name: X", "X, RN") is a finding, as a rule's would be.
 */
static int
on_heur(void *ctx, size_t a, size_t b, const char *rule)
{
	return strcmp(rule, "names.cued") ? 0 : add_finding(ctx, a, b, CAT_NAME, rule);
}

static int
cmp_fspan(const void *a, const void *b)
{
	const struct fspan *x = a, *y = b;

	return x->s < y->s ? -1 : x->s > y->s;
}

/*
 * The spans the rules found in this text, by start, each end raised to the
 * largest so far: whether a span of the model's overlaps one is then one
 * binary search, not a pass over every finding (16,000 findings in a line).
 */
static int
index_found(struct scrubber *s)
{
	size_t n = s->nf - s->find0, i;
	struct fspan *p;

	s->nov = 0;
	if (n == 0)
		return 0;
	if (n > s->ovcap) {
		if ((p = realloc(s->ov, n * sizeof(*p))) == NULL)
			return -1;
		s->ov = p;
		s->ovcap = n;
	}
	for (i = 0; i < n; i++) {
		s->ov[i].s = s->f[s->find0 + i].s;
		s->ov[i].e = s->f[s->find0 + i].e;
	}
	qsort(s->ov, n, sizeof(*s->ov), cmp_fspan);
	for (i = 1; i < n; i++)
		if (s->ov[i].e < s->ov[i - 1].e)
			s->ov[i].e = s->ov[i - 1].e;
	s->nov = n;
	return 0;
}

/* Whether [a, b) overlaps a span index_found holds. */
static int
found_over(const struct scrubber *s, size_t a, size_t b)
{
	size_t lo = 0, hi = s->nov, mid;

	while (lo < hi) {	/* the first span starting at b or after */
		mid = lo + (hi - lo) / 2;
		if (s->ov[mid].s < b)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 && s->ov[lo - 1].e > a;
}

/* A USPS code of a state, the District or a territory, in capitals. */
static int
state_code(const char *t)
{
	static const char codes[] = "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME "
	    "MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA "
	    "WV WI WY AS GU MP PR VI";
	const char *p;

	for (p = codes; *p; p += p[2] ? 3 : 2)
		if (p[0] == t[0] && p[1] == t[1])
			return 1;
	return 0;
}

static int
on_ner(void *ctx, size_t a, size_t b, int label, double p)
{
	static const int cat[NER__N] = {
		[NER_NAME] = CAT_NAME, [NER_LOC] = CAT_CITY, [NER_ADDR] = CAT_ADDRESS,
		[NER_ZIP] = CAT_ZIP, [NER_DATE] = CAT_DATE, [NER_PHONE] = CAT_PHONE,
		[NER_AGE] = CAT_AGE, [NER_ID] = CAT_ID,
	};
	struct scrubber *s = ctx;

	if (label <= NER_O || label >= NER__N)
		return -1;
	/* a state is no Safe Harbor identifier: "Billings, MT" keeps "MT" */
	if (label == NER_LOC && b - a == 2 && state_code(s->ftext + a))
		return 0;
	/* where a rule found something: the rule's shape and category stand */
	if (found_over(s, a, b))
		return 0;
	if (add_finding(s, a, b, cat[label], "model") < 0)
		return -1;
	s->f[s->nf - 1].conf = (float)p;
	return 0;
}

/* 1 for ASCII digits, 2 for ASCII letters, 0 for the rest. */
static const unsigned char alnum_class[256] = {
	['0'] = 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['A'] = 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	['a'] = 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static int
present(const char *text, size_t n, const struct strlist *any)
{
	size_t i;

	for (i = 0; i < any->n; i++) {
		const char *w = any->v[i];
		if (w[0] && !w[1] ? memchr(text, w[0], n) != NULL :
		    memmem(text, n, w, strlen(w)) != NULL)
			return 1;
	}
	return 0;
}

/*
 * Every detector reads the normalized shadow of the text (lib/norm: NFKC,
 * format characters dropped, dashes, spaces and quotes folded); what they
 * find is mapped back onto the source bytes, where it is replaced.
 */
int
scrub_find(struct scrubber *s, const char *src, size_t srcn)
{
	size_t i, pos, vs, ve, run = 0, maxrun = 0, drun = 0, maxdrun = 0, f0 = s->nf;
	size_t digits = 0, n;
	const char *text;
	int rc;

	s->find0 = f0;
	if (norm_run(&s->nrm, src, srcn, NORM_TEXT) < 0)
		goto oom;
	text = s->nrm.p;
	n = s->nrm.n;
	/* What the gates need, in one branch-free pass. */
	for (i = 0; i < n; i++) {
		unsigned k = alnum_class[(unsigned char)text[i]];
		digits += k == 1;
		run = k ? run + 1 : 0;
		drun = k == 1 ? drun + 1 : 0;
		maxrun = run > maxrun ? run : maxrun;
		maxdrun = drun > maxdrun ? drun : maxdrun;
	}
	if (names_tokenize(&s->names, text, n, &s->tk) < 0)
		goto oom;
	for (i = 0; i < s->pol->nrules && s->detect != NAMES_DETECT_MODEL; i++) {
		const struct scrub_rule *r = &s->pol->rules[i];
		if (digits < (size_t)r->min_digits || maxrun < (size_t)r->min_run ||
		    maxdrun < (size_t)r->min_digit_run ||
		    (s->trigbit[i] >= 0 && !(s->tk.trig & (uint64_t)1 << s->trigbit[i])) ||
		    (r->requires.n && !present(text, n, &r->requires)))
			continue;
		if (r->gate.code) {
			pos = 0;
			if ((rc = regex_next(&s->rx, &r->gate, text, n, &pos, &vs, &ve, s->e)) < 0)
				goto limit;
			if (rc == 0)
				continue;
		}
		pos = 0;
		if (r->anchor_trigger) {
			/* Tried only where its cue words start: a few attempts, no scan. */
			size_t h, end;
			uint64_t bit = (uint64_t)1 << s->trigbit[i];
			rc = 0;
			for (h = 0; h < s->tk.nhits && rc >= 0; h++) {
				if (!(s->tk.hits[h].bits & bit) || s->tk.hits[h].pos < pos)
					continue;
				rc = regex_at(&s->rx, &r->re, text, n, s->tk.hits[h].pos, &vs, &ve,
				    &end, s->e);
				if (rc <= 0)
					continue;
				pos = end;
				if (validate(r->validate, text, n, vs, ve, s->pol->age_over) &&
				    add_finding(s, vs, ve, r->cat, r->id) < 0)
					goto oom;
			}
		} else
			while ((rc = regex_next(&s->rx, &r->re, text, n, &pos, &vs, &ve, s->e)) > 0) {
				if (!validate(r->validate, text, n, vs, ve, s->pol->age_over))
					continue;
				if (add_finding(s, vs, ve, r->cat, r->id) < 0)
					goto oom;
			}
		if (rc < 0) {
limit:			;
			char m[sizeof(s->e->msg)];
			memcpy(m, s->e->msg, sizeof(m));
			m[200] = '\0';
			phk_err_set(s->e, PHK_EXIT_USAGE, "rule '%s': %s", r->id, m);
			return -1;
		}
	}
	if (s->detect != NAMES_DETECT_MODEL && names_places(&s->names, text, n, &s->tk, on_place, s) < 0)
		goto oom;
	s->ftext = text;
	if (s->detect == NAMES_DETECT_RULES) {
		if (names_detect(&s->names, text, n, &s->tk, on_name, s) < 0)
			goto oom;
	} else if (ner_tokenize(&s->nw, &s->names, text, n) < 0 ||
	    names_detect(&s->names, text, n, &s->tk, on_heur, s) < 0 || index_found(s) < 0 ||
	    (ner_marks(&s->nw, &s->tk), ner_find(&s->ner, &s->nw, text, on_ner, s) < 0))
		goto oom;
	if (s->nrm.changed) {
		/* back onto the source: the findings, and the words propagation reads */
		for (i = f0; i < s->nf; i++)
			norm_span(&s->nrm, s->f[i].s, s->f[i].e, &s->f[i].s, &s->f[i].e);
		for (i = 0; i < s->tk.n; i++)
			norm_span(&s->nrm, s->tk.t[i].s, s->tk.t[i].e, &s->tk.t[i].s, &s->tk.t[i].e);
	}
	return 0;
oom:
	phk_err_set(s->e, PHK_EXIT_IO, "out of memory");
	return -1;
}

/* ---- the record ---- */

/*
 * Whether the detectors find anything in an identifier or a key: the
 * category of the first finding, or -1 (-2 when a rule failed closed or
 * memory ran out, e set). The findings are not kept.
 */
static int
ident_phi(struct scrubber *s, const char *text, size_t n)
{
	size_t nf = s->nf, i;
	int cat = -1;
	char spaced[256];

	/*
	 * Identifiers glue words to numbers ("RUN-123-45-6789"): a separator
	 * between a letter and a digit reads as a space, as it would in text.
	 */
	if (n < sizeof(spaced)) {
		for (i = 0; i < n; i++) {
			char c = text[i];
			int sep = strchr("-_.:/+=@", c) != NULL && i > 0 && i + 1 < n;
			int la = sep && (((text[i - 1] | 32) >= 'a' && (text[i - 1] | 32) <= 'z')),
			    lb = sep && (((text[i + 1] | 32) >= 'a' && (text[i + 1] | 32) <= 'z'));
			int da = sep && text[i - 1] >= '0' && text[i - 1] <= '9',
			    db = sep && text[i + 1] >= '0' && text[i + 1] <= '9';
			spaced[i] = (la && db) || (da && lb) ? ' ' : c;
		}
		spaced[n] = '\0';
		text = spaced;
	}
	/*
	 * Shapes and the name heuristics only: the token model learned prose,
	 * and read in a key ("orig_label") it finds names that are not there,
	 * withholding every record of a file it has not seen.
	 */
	{
		int detect = s->detect, rc;
		s->detect = NAMES_DETECT_RULES;
		rc = scrub_find(s, text, n);
		s->detect = detect;
		if (rc < 0)
			return -2;
	}
	if (s->nf > nf)
		cat = s->f[nf].cat;
	s->nf = nf;
	return cat;
}

static int
withhold(struct scrubber *s, const char *what, int cat)
{
	phk_err_set(s->e, PHK_EXIT_INPUT, "%s holds what looks like PHI (%s): keys and run_ids "
	    "travel into annotations, exports and reports, so the record is withheld", what,
	    cat_name(cat));
	return -1;
}

/* Every key of the record, outside phikit's own: no identifier in any. */
static int
on_key(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	struct scrubber *s = ctx;
	const struct jseg *g = &jp->seg[jp->n - 1];
	uint64_t h = 14695981039346656037ull;
	size_t i, slot;
	int cat;

	(void)st;
	(void)en;
	(void)esc;
	if (jp->seg[0].key && jp->seg[0].klen == 6 && memcmp(jp->seg[0].key, "phikit", 6) == 0)
		return 0;
	/* the same keys come back record after record: a clean one is looked at once */
	for (i = 0; i < g->klen; i++)
		h = (h ^ (unsigned char)g->key[i]) * 1099511628211ull;
	h |= 1;
	slot = (size_t)(h >> 54);
	if (s->keyok[slot] == h)
		return 0;
	if ((cat = ident_phi(s, g->key, g->klen)) == -2)
		return -1;
	if (cat >= 0)
		return withhold(s, "an object key", cat);
	s->keyok[slot] = h;
	return 0;
}

/*
 * A number is an identifier as often as a string is ({"mrn":4418273}),
 * but it cannot be replaced in place without changing its type. An
 * integer is read with the key it stands under (or, in an array, the
 * nearest one above), "member_id" as "member id", by the rules and their
 * validators (the model is for prose: "created 1733123456" is a time, not
 * a phone); one they find an identifier in withholds the record.
 */
static int
on_number(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	struct scrubber *s = ctx;
	char text[160];
	size_t i, k = 0, nd, nf = s->nf;
	int d, j, rc, cat = -1, in_scope = !s->o.nfields;

	(void)esc;
	if (jp->n >= 1 && jp->seg[0].key && jp->seg[0].klen == 6 &&
	    memcmp(jp->seg[0].key, "phikit", 6) == 0)
		return 0;
	for (i = st + (s->line[st] == '-'); i < en && s->line[i] >= '0' && s->line[i] <= '9'; i++)
		;
	nd = i - st - (s->line[st] == '-');
	if (i < en || nd < 2 || nd > 40)
		return 0;	/* a fraction or an exponent is a measure, not an identifier */
	for (i = 0; i < s->o.nfields && !in_scope; i++)
		in_scope = fieldpath_match(&s->o.fields[i], jp);
	if (!in_scope)
		return 0;
	for (j = jp->n - 1; j >= 0 && jp->seg[j].key == NULL; j--)
		;
	if (j >= 0) {
		const struct jseg *g = &jp->seg[j];
		for (i = 0; i < g->klen && k < 100; i++) {
			char c = g->key[i];
			if (i > 0 && c >= 'A' && c <= 'Z' && g->key[i - 1] >= 'a' && g->key[i - 1] <= 'z')
				text[k++] = ' ';
			text[k++] = c == '_' || c == '-' || c == '.' ? ' ' : c;
		}
		text[k++] = ' ';
	}
	memcpy(text + k, s->line + en - nd, nd);
	k += nd;
	d = s->detect;
	s->detect = NAMES_DETECT_RULES;
	rc = scrub_find(s, text, k);
	s->detect = d;
	if (rc < 0)
		return -1;
	for (i = nf; i < s->nf && cat < 0; i++)
		if (s->f[i].e > k - nd)	/* a finding in the number, not in the key alone */
			cat = s->f[i].cat;
	s->nf = nf;
	if (cat < 0)
		return 0;
	phk_err_set(s->e, PHK_EXIT_INPUT, "a JSON number looks like PHI (%s): a number cannot be "
	    "replaced in place, so the record is withheld; send identifiers as strings",
	    cat_name(cat));
	return -1;
}

static int
on_string(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	struct scrubber *s = ctx;
	struct sstr *x;
	size_t i;

	/*
	 * Under "phikit" only our own earlier annotation is skipped (it is
	 * replaced); anything else there came from upstream and is searched.
	 */
	if (jp->n >= 2 && jp->seg[0].key && jp->seg[0].klen == 6 &&
	    memcmp(jp->seg[0].key, "phikit", 6) == 0 && jp->seg[1].key &&
	    jp->seg[1].klen == 5 && memcmp(jp->seg[1].key, "scrub", 5) == 0)
		return 0;
	if (jp->n == 1 && jp->seg[0].key && jp->seg[0].klen == 6 &&
	    memcmp(jp->seg[0].key, "run_id", 6) == 0) {
		/*
		 * An identifier, checked against DESIGN.md's pattern, not
		 * rewritten: that would break the grouping it exists for. One
		 * that carries an identifier is withheld instead.
		 */
		int cat;
		s->run_s = st;
		s->run_e = en;
		s->has_run = 1;
		if ((cat = ident_phi(s, s->line + st, en - st)) == -2)
			return -1;
		return cat >= 0 ? withhold(s, "run_id", cat) : 0;
	}
	if (s->o.nfields) {
		int any = 0;
		for (i = 0; i < s->o.nfields; i++)
			if (fieldpath_match(&s->o.fields[i], jp))
				any = s->fhit[i] = 1;
		if (!any)
			return 0;
	}
	if (ARRAY_RESERVE(s->strs, s->capstrs, s->nstrs + 1) < 0)
		goto oom;
	x = &s->strs[s->nstrs];
	memset(x, 0, sizeof(*x));
	x->rs = st;
	x->re = en;
	x->esc = esc;
	x->annot = jp->n >= 1 && jp->seg[0].key && jp->seg[0].klen == 6 &&
	    memcmp(jp->seg[0].key, "phikit", 6) == 0;
	if (s->o.report) {
		x->path = s->paths.len;
		if (fieldpath_render(&s->paths, jp) < 0 || buf_addc(&s->paths, '\0') < 0)
			goto oom;
	}
	s->nstrs++;
	return 0;
oom:
	phk_err_set(s->e, PHK_EXIT_IO, "out of memory");
	return -1;
}

static int
cmp_finding(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->s != y->s)
		return x->s < y->s ? -1 : 1;
	if (x->e != y->e)
		return x->e > y->e ? -1 : 1;	/* longer first */
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* Sorts a string's findings and merges overlaps into their union. */
static size_t
resolve(struct finding *f, size_t n)
{
	size_t i, k = 0;

	if (n == 0)
		return 0;
	qsort(f, n, sizeof(*f), cmp_finding);
	for (i = 1; i < n; i++) {
		struct finding *last = &f[k];
		if (f[i].s < last->e) {
			if (f[i].e > last->e) {
				/* partial overlap: the union goes, under the longer's name */
				if (f[i].e - f[i].s > last->e - last->s) {
					last->cat = f[i].cat;
					last->rule = f[i].rule;
				}
				last->e = f[i].e;
				last->merged = 1;
			} else if (f[i].s == last->s && f[i].e == last->e) {
				/*
				 * the same span: a specific category beats a generic ID;
				 * a confident name of the record beats what the model
				 * guessed there ("LIND signed" is no town)
				 */
				if ((last->cat == CAT_ID && f[i].cat != CAT_ID) ||
				    (strcmp(last->rule, "model") == 0 &&
				    strcmp(f[i].rule, "names.repeat") == 0)) {
					last->cat = f[i].cat;
					last->rule = f[i].rule;
				}
			}
			/* inside the last: its replacement covers this one too */
			continue;
		}
		f[++k] = f[i];
	}
	return k + 1;
}

static int
is_word_letter(unsigned char c)
{
	return ((c | 32) >= 'a' && (c | 32) <= 'z') || c >= 0x80 || (c >= '0' && c <= '9') ||
	    c == '_';
}

/*
 * The words of every name found in the record, lowercased in a small
 * hash set, so their other occurrences go too. A word that is also English
 * ("Will") is matched only where capitalized, so "will" stays.
 */
static struct nset *
nset_slot(const struct scrubber *s, uint32_t h, const char *w, size_t n)
{
	size_t i = h & (s->ncap - 1);

	for (;; i = (i + 1) & (s->ncap - 1)) {
		struct nset *e = &s->nset[i];
		if (e->gen != s->gen)
			return e;
		if (e->hash == h && e->len == n && strncasecmp(s->words.p + e->off, w, n) == 0)
			return e;
	}
}

static int
nset_grow(struct scrubber *s)
{
	struct nset *old = s->nset, *e;
	size_t i, ocap = s->ncap;

	s->ncap = ocap ? ocap * 2 : 256;
	if ((s->nset = calloc(s->ncap, sizeof(*s->nset))) == NULL) {
		s->nset = old;
		s->ncap = ocap;
		return -1;
	}
	for (i = 0; i < ocap; i++) {
		if (old[i].gen != s->gen)
			continue;
		e = nset_slot(s, old[i].hash, s->words.p + old[i].off, old[i].len);
		*e = old[i];
	}
	free(old);
	return 0;
}

/* How sure the model must be of a name that is also a word ("Bill", "GIVEN")
 * for it to go wherever else it stands */
#define ENGLISH_NAME_SURE 0.9f

/* One word of a confident name into the set. 0, or -1 out of memory. */
static int
add_name_word(struct scrubber *s, const char *w, size_t n, float conf)
{
	struct nset *e;
	uint32_t h;
	unsigned f;

	if (n < 2)
		return 0;
	if ((s->nnames + 1) * 2 > s->ncap && nset_grow(s) < 0)
		return -1;
	h = names_key(w, n);
	e = nset_slot(s, h, w, n);
	if (e->gen == s->gen)
		return 0;
	/* a word of the language the model took for a name goes
	 * elsewhere only when the model was all but certain */
	f = names_flags(&s->names, w, n);
	if (conf < ENGLISH_NAME_SURE && (f & (NF_ENG | NF_MED)))
		return 0;
	e->hash = h;
	e->len = (uint32_t)n;
	e->off = (uint32_t)s->words.len;
	e->gen = s->gen;
	e->eng = (f & NF_ENG) != 0;
	if (buf_add(&s->words, w, n) < 0)
		return -1;
	s->nnames++;
	return 0;
}

static int
collect_names(struct scrubber *s)
{
	size_t i, k, a, b, p, q;
	const char *text;

	if (++s->gen == 0) {	/* wrapped: every slot must read as free */
		if (s->nset)
			memset(s->nset, 0, s->ncap * sizeof(*s->nset));
		s->gen = 1;
	}
	s->nnames = 0;
	buf_reset(&s->words);
	for (i = 0; i < s->nstrs; i++) {
		const struct sstr *x = &s->strs[i];
		text = s->arena.p + x->ds;
		for (k = x->f0; k < x->f0 + x->nf; k++) {
			/* only a confident finding repeats: a guess stays where it was made */
			if (s->f[k].cat != CAT_NAME || s->f[k].conf < s->ner.prop)
				continue;
			for (a = s->f[k].s; a < s->f[k].e; a = b) {
				int joined = 0;
				while (a < s->f[k].e && !is_word_letter((unsigned char)text[a]))
					a++;
				for (b = a; b < s->f[k].e && (is_word_letter((unsigned char)text[b]) ||
				    text[b] == '\'' || text[b] == '-'); b++)
					joined |= text[b] == '\'' || text[b] == '-';
				if (add_name_word(s, text + a, b - a, s->f[k].conf) < 0)
					return -1;
				/*
				 * and its parts of three letters or more: "O'Rourke" is
				 * written "o rourke" too, "FORMAN-LYONS" "Lyons"
				 */
				for (p = a; joined && p < b; p = q + 1) {
					for (q = p; q < b && text[q] != '\'' && text[q] != '-'; q++)
						;
					if (q - p >= 3 && q - p < b - a &&
					    add_name_word(s, text + p, q - p, s->f[k].conf) < 0)
						return -1;
				}
			}
		}
	}
	return 0;
}

static int
alnum_at(const char *t, size_t i)
{
	unsigned char c = (unsigned char)t[i];

	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c >= 0x80;
}

/*
 * The values the rules found (names aside: they propagate by word), four
 * bytes or more with a letter or digit in them, each distinct one once,
 * into the automaton pv_propagate searches every string with.
 */
static int
collect_values(struct scrubber *s)
{
	size_t i, k, j;
	uint32_t prev;
	int rc;

	s->npv = 0;
	acm_reset(&s->ac);
	for (i = 0; i < s->nstrs; i++) {
		const struct sstr *x = &s->strs[i];
		for (k = x->f0; k < x->f0 + x->nf; k++) {
			const struct finding *f = &s->f[k];
			size_t st = x->ds + f->s, n = f->e - f->s;
			const char *t = s->arena.p + st;
			int an = 0, digit = 0;
			if (n < 4)
				continue;
			for (j = 0; j < n; j++) {
				an |= alnum_at(t, j);
				digit |= t[j] >= '0' && t[j] <= '9';
			}
			/* names travel as name words; one with a digit in it as a value too */
			if (!an || (f->cat == CAT_NAME && !digit))
				continue;
			if ((rc = acm_add(&s->ac, t, n, (uint32_t)s->npv, &prev)) < 0)
				return -1;
			if (rc == 1)
				continue;	/* the same bytes again: found already */
			if (ARRAY_RESERVE(s->pv, s->cappv, s->npv + 1) < 0)
				return -1;
			s->pv[s->npv].off = st;
			s->pv[s->npv].n = n;
			s->pv[s->npv].cat = f->cat;
			s->pv[s->npv].digit = digit;
			s->npv++;
		}
	}
	return s->npv ? acm_build(&s->ac) : 0;
}

static int
on_value(void *ctx, size_t end, uint32_t id)
{
	struct scrubber *s = ctx;
	const struct pval *v = &s->pv[id];
	const struct sstr *x = s->cur;
	const char *t = s->arena.p + x->ds;
	size_t p = end - v->n, n = x->dn;

	/*
	 * A value with a digit in it goes wherever it stands: inside a longer
	 * run it may be exposed once a neighbour is replaced ("04/2May 27,
	 * 1971" with "04/2" a date). Words (a town, say) only where they stand
	 * whole.
	 */
	if (!v->digit && ((p > 0 && alnum_at(t, p - 1)) || (end < n && alnum_at(t, end))))
		return 0;
	return add_finding(s, p, end, v->cat, "propagated") < 0 ? -1 : 0;
}

/*
 * A value found in one place is PHI wherever else it stands in the record,
 * even where no rule would see it (a label mangled, a cue missing): the
 * same bytes become a finding of the same category. One Aho-Corasick pass
 * per string: linear in the text, the values and the matches, however
 * many values there are and however often they repeat.
 */
static int
pv_propagate(struct scrubber *s, struct sstr *x)
{
	if (s->npv == 0 || x->dn < 4)
		return 0;
	s->cur = x;
	return acm_scan(&s->ac, s->arena.p + x->ds, x->dn, on_value, s);
}

/* Every other occurrence of a collected name word becomes a finding. */
static int
propagate(struct scrubber *s, struct sstr *x)
{
	const char *text = s->arena.p + x->ds;
	size_t k;

	if (s->nnames == 0)
		return 0;
	for (k = x->t0; k < x->t0 + x->nt; k++) {
		const struct rtok *t = &s->rt[k];
		const struct nset *e = nset_slot(s, t->key, text + t->s, t->e - t->s);
		const char *w = text + t->s, *h;
		size_t a, b;
		if (e->gen == s->gen && !(e->eng && !t->cap)) {
			if (add_finding(s, t->s, t->e, CAT_NAME, "names.repeat") < 0)
				return -1;
			x->nf++;
			continue;
		}
		/*
		 * A hyphenated word is one token, but a name inside it
		 * ("Hagenes-old") is still the name: its parts are looked up
		 * too, capitalized ones only.
		 */
		if ((h = memchr(w, '-', t->e - t->s)) == NULL)
			continue;
		for (a = t->s; a < t->e; a = b + 1) {
			const char *d = memchr(text + a, '-', t->e - a);
			b = d ? (size_t)(d - text) : t->e;
			if (b - a < 2 || !(text[a] >= 'A' && text[a] <= 'Z'))
				continue;
			e = nset_slot(s, names_key(text + a, b - a), text + a, b - a);
			if (e->gen != s->gen)
				continue;
			if (add_finding(s, a, b, CAT_NAME, "names.repeat") < 0)
				return -1;
			x->nf++;
		}
	}
	return 0;
}

static void
zip_truncate(const struct scrubber *s, const char *v, size_t n, char out[8])
{
	size_t i;

	memcpy(out, "000XX", 6);
	if (n < 3)
		return;
	memcpy(out, v, 3);
	for (i = 0; i < s->pol->zip_restricted.n; i++)
		if (strncmp(s->pol->zip_restricted.v[i], v, 3) == 0 &&
		    strlen(s->pol->zip_restricted.v[i]) == 3)
			memcpy(out, "000", 3);
}

static long
shift_days(const struct scrubber *s)
{
	unsigned char h[8];
	crypto_generichash_state st;
	uint64_t v = 0;
	int i;

	crypto_generichash_init(&st, s->o.key, SCRUB_KEY_BYTES, sizeof(h));
	crypto_generichash_update(&st, (const unsigned char *)"phikit date shift", 18);
	if (s->has_run)
		crypto_generichash_update(&st, (const unsigned char *)s->line + s->run_s,
		    s->run_e - s->run_s);
	crypto_generichash_final(&st, h, sizeof(h));
	for (i = 0; i < 8; i++)
		v = v << 8 | h[i];
	/* 1..365 days, either way: never zero, intervals within a run kept */
	return (long)(v % 365 + 1) * ((v >> 40) & 1 ? -1 : 1);
}

/* --vault: a value and its token, kept until the record is written. */
static int
vault_note(struct scrubber *s, int cat, const char *hex, const char *v, size_t n,
    const char *norm, size_t nn)
{
	struct vrec *r;
	char tok[VAULT_TOKEN_MAX + 1];
	size_t i, tn = (size_t)snprintf(tok, sizeof(tok), "[%s-%s]", cat_name(cat), hex);

	/* the same value again in the record: kept once */
	for (i = 0; i < s->nvr; i++)
		if (s->vr[i].nn == nn && !memcmp(s->vbuf.p + s->vr[i].norm, norm, nn) &&
		    !memcmp(s->vbuf.p + s->vr[i].tok, tok, tn + 1))
			return 0;
	if (ARRAY_RESERVE(s->vr, s->capvr, s->nvr + 1) < 0)
		return -1;
	r = &s->vr[s->nvr];
	r->tok = s->vbuf.len;
	if (buf_add(&s->vbuf, tok, tn + 1) < 0)
		return -1;
	r->val = s->vbuf.len;
	r->n = n;
	if (buf_add(&s->vbuf, v, n) < 0)
		return -1;
	r->norm = s->vbuf.len;
	r->nn = nn;
	if (buf_add(&s->vbuf, norm, nn) < 0)
		return -1;
	s->nvr++;
	return 0;
}

/* The record's values into the vault, before the record is passed on. 0 or -1 (e set). */
static int
vault_store(struct scrubber *s, struct phk_err *e)
{
	size_t i;
	int rc;

	if (s->nvr == 0)
		return 0;
	if (ARRAY_RESERVE(s->vit, s->capvit, s->nvr) < 0) {
		phk_err_set(e, PHK_EXIT_IO, "out of memory");
		return -1;
	}
	for (i = 0; i < s->nvr; i++) {
		s->vit[i].token = s->vbuf.p + s->vr[i].tok;
		s->vit[i].value = s->vbuf.p + s->vr[i].val;
		s->vit[i].n = s->vr[i].n;
		s->vit[i].norm = s->vbuf.p + s->vr[i].norm;
		s->vit[i].nn = s->vr[i].nn;
	}
	rc = vault_put_many(s->o.vault, s->vrun, s->vit, s->nvr, e);
	sodium_memzero(s->vbuf.p, s->vbuf.len);	/* the originals */
	return rc;
}

static int
replacement(struct scrubber *s, const struct finding *f, const char *text, struct buf *o)
{
	const char *v = text + f->s;
	size_t n = f->e - f->s, i;
	struct pdate d;
	char tmp[64];

	if (!f->merged) {
		if (f->cat == CAT_AGE)
			return buf_adds(o, "90+");
		/* a US ZIP keeps its first three digits; another country's code goes whole */
		if (f->cat == CAT_ZIP && s->pol->zip_mode == ZIP_TRUNCATE && n >= 5 &&
		    v[0] >= '0' && v[0] <= '9' && v[1] >= '0' && v[1] <= '9' && v[2] >= '0' &&
		    v[2] <= '9') {
			zip_truncate(s, v, n, tmp);
			return buf_adds(o, tmp);
		}
		if (f->cat == CAT_DATE && s->o.date_shift && date_parse(v, n, &d)) {
			size_t k = date_shift_format(&d, shift_days(s), tmp, sizeof(tmp));
			return buf_add(o, tmp, k);
		}
	}
	switch (s->replace) {
	case REPLACE_MASK:
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)v[i];
			if (c >= 0x80 && c < 0xC0)
				continue;	/* one '*' per character */
			if (buf_addc(o, (c == ' ' || c == '-' || c == '.' || c == '/' ||
			    c == '(' || c == ')' || c == '@' || c == ':' || c == ',') ? (char)c : '*') < 0)
				return -1;
		}
		break;
	case REPLACE_PSEUDONYM: {
		unsigned char h[3];
		char hex[7], norm[256];
		size_t k = 0;
		crypto_generichash_state st;
		/* same value, any case or spacing, same token */
		for (i = 0; i < n && k < sizeof(norm); i++) {
			char c = v[i];
			if (c == ' ' || c == '\t' || c == '\n') {
				if (k && norm[k - 1] != ' ')
					norm[k++] = ' ';
				continue;
			}
			norm[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		}
		crypto_generichash_init(&st, s->o.key, SCRUB_KEY_BYTES, sizeof(h));
		crypto_generichash_update(&st, (const unsigned char *)cat_name(f->cat),
		    strlen(cat_name(f->cat)) + 1);
		crypto_generichash_update(&st, (const unsigned char *)norm, k);
		crypto_generichash_final(&st, h, sizeof(h));
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		if (s->o.vault && vault_note(s, f->cat, hex, v, n, norm, k) < 0)
			return -1;
		if (buf_printf(o, "[%s-%s]", cat_name(f->cat), hex) < 0)
			return -1;
		break;
	}
	default:
		if (buf_printf(o, "[%s]", cat_name(f->cat)) < 0)
			return -1;
	}
	/* Safe Harbor: no year that shows an age over 89 (a birth year of 1920) */
	if (f->cat == CAT_DATE && s->keep_year && !f->merged && date_parse(v, n, &d) && d.y &&
	    s->this_year - d.y <= s->pol->age_over)
		return buf_printf(o, " %04d", d.y);
	return 0;
}

static int
annotate(struct scrubber *s, struct buf *a)
{
	static const char *const modes[] = { "tag", "mask", "pseudonym" };
	size_t i, k;
	int first = 1;
	long total = 0;

	/* The head is the same for every record: made once. */
	if (s->head.len == 0) {
		if (buf_adds(&s->head, "{\"policy\":") < 0 ||
		    jstr_encode(&s->head, s->pol->name, strlen(s->pol->name)) < 0 ||
		    buf_printf(&s->head, ",\"policy_sha256\":\"%s\",\"mode\":\"%s\",\"fields\":[",
		    s->pol->sha256, modes[s->replace]) < 0)
			return -1;
		/* what it searched: the record, or the --field paths */
		if (s->o.nfields == 0 && buf_adds(&s->head, "\".\"") < 0)
			return -1;
		for (i = 0; i < s->o.nfields; i++)
			if ((i && buf_addc(&s->head, ',') < 0) ||
			    jstr_encode(&s->head, s->o.fields[i].text, strlen(s->o.fields[i].text)) < 0)
				return -1;
		if (buf_adds(&s->head, "],\"counts\":{") < 0)
			return -1;
	}
	if (buf_add(a, s->head.p, s->head.len) < 0)
		return -1;
	for (i = 0; i < CAT__N; i++) {
		if (!s->counts[i])
			continue;
		if ((!first && buf_addc(a, ',') < 0) || buf_addc(a, '"') < 0 ||
		    buf_adds(a, cat_name((int)i)) < 0 || buf_adds(a, "\":") < 0 ||
		    buf_addu(a, (unsigned long long)s->counts[i]) < 0)
			return -1;
		first = 0;
		total += s->counts[i];
	}
	if (buf_adds(a, "},\"total\":") < 0 || buf_addu(a, (unsigned long long)total) < 0)
		return -1;
	if (s->o.report) {
		if (buf_adds(a, ",\"findings\":[") < 0)
			return -1;
		first = 1;
		for (i = 0; i < s->nstrs; i++) {
			const struct sstr *x = &s->strs[i];
			for (k = x->f0; k < x->f0 + x->nf; k++) {
				const struct finding *f = &s->f[k];
				if ((!first && buf_addc(a, ',') < 0) ||
				    buf_adds(a, "{\"category\":\"") < 0 ||
				    buf_adds(a, cat_name(f->cat)) < 0 || buf_adds(a, "\",\"rule\":") < 0 ||
				    jstr_encode(a, f->rule, strlen(f->rule)) < 0 ||
				    buf_adds(a, ",\"path\":") < 0 ||
				    jstr_encode(a, s->paths.p + x->path, strlen(s->paths.p + x->path)) < 0 ||
				    buf_adds(a, ",\"offset\":") < 0 || buf_addu(a, f->s) < 0 ||
				    buf_adds(a, ",\"length\":") < 0 || buf_addu(a, f->e - f->s) < 0 ||
				    buf_addc(a, '}') < 0)
					return -1;
				first = 0;
			}
		}
		if (buf_addc(a, ']') < 0)
			return -1;
	}
	/* the content it was given and (filled in once written) the content it leaves */
	if (buf_adds(a, ",\"input_sha256\":\"") < 0 || buf_adds(a, s->input_hex) < 0 ||
	    buf_adds(a, "\",\"content_sha256\":\"") < 0)
		return -1;
	for (i = 0; i < 64; i++)
		if (buf_addc(a, '0') < 0)
			return -1;
	return buf_adds(a, "\"}");
}

/* Decodes every string in scope and runs the detectors on it; keeps its words. -1 e set. */
static int
search_strings(struct scrubber *s, const char *line)
{
	size_t i, k;
	int rc;

	for (i = 0; i < s->nstrs; i++) {
		struct sstr *x = &s->strs[i];
		x->ds = s->arena.len;
		if (x->esc) {
			if (jstr_decode(line + x->rs, x->re - x->rs, &s->arena) < 0)
				goto oom;
		} else if (buf_add(&s->arena, line + x->rs, x->re - x->rs) < 0)
			goto oom;
		x->dn = s->arena.len - x->ds;
		if (buf_addc(&s->arena, '\0') < 0)
			goto oom;
	}
	for (i = 0; i < s->nstrs; i++) {
		struct sstr *x = &s->strs[i];
		x->f0 = s->nf;
		/*
		 * Other programs' annotations (rule ids, citations, verdicts,
		 * hashes) are no clinical prose: the rules and their validators
		 * search them, the token model, which misreads "21 U.S.C." there,
		 * does not.
		 */
		if (x->annot && s->detect != NAMES_DETECT_RULES) {
			int d = s->detect;
			s->detect = NAMES_DETECT_RULES;
			rc = scrub_find(s, s->arena.p + x->ds, x->dn);
			s->detect = d;
		} else
			rc = scrub_find(s, s->arena.p + x->ds, x->dn);
		if (rc < 0)
			return -1;
		x->nf = s->nf - x->f0;
		/* keep its words: other strings' names are looked for in them */
		x->t0 = s->nrt;
		x->nt = s->tk.n;
		if (ARRAY_RESERVE(s->rt, s->rtcap, s->nrt + s->tk.n) < 0)
			goto oom;
		for (k = 0; k < s->tk.n; k++) {
			struct rtok *r = &s->rt[s->nrt++];
			r->s = s->tk.t[k].s;
			r->e = s->tk.t[k].e;
			r->key = s->tk.t[k].key;
			r->cap = s->tk.t[k].cap;
		}
	}
	return 0;
oom:
	phk_err_set(s->e, PHK_EXIT_IO, "out of memory (or record too large)");
	return -1;
}

static int
upper_at(const char *t, size_t i)
{
	return t[i] >= 'A' && t[i] <= 'Z';
}

static int
lower_at(const char *t, size_t i)
{
	return t[i] >= 'a' && t[i] <= 'z';
}

/* The word of letters at t[a] (its end), or a if there is none. */
static size_t
word_end(const char *t, size_t n, size_t a)
{
	size_t b = a;

	while (b < n && (alnum_at(t, b) || (t[b] == '-' && b > a)) && !(t[b] >= '0' && t[b] <= '9'))
		b++;
	return b < n && t[b] >= '0' && t[b] <= '9' ? a : b;
}

/*
 * A name's edges, after the detectors: its initials and the surname a
 * middle initial announces. An initial is a letter standing alone. It
 * joins the name it stands before, with its dot ("E. WELSH"); after a
 * name, with or without a dot, it takes the word after it as the
 * surname ("Ruth R Montez", "DAN A. FORMAN-LYONS", "eric g. samoylova"),
 * a word of the name's case that no list calls a title, credential or
 * cue. In lowercase, after a name, a word no lexicon has is its surname
 * ("olga krylova's"). Never propagated: these are the least sure words.
 */
static void
name_edges(struct scrubber *s, const char *t, size_t n, struct finding *f, size_t nf)
{
	size_t i, a, b, w;

	for (i = 0; i < nf; i++) {
		size_t next = i + 1 < nf ? f[i + 1].s : n;
		int lower;
		if (f[i].cat != CAT_NAME)
			continue;
		a = f[i].s;
		if (a >= 3 && t[a - 1] == ' ' && t[a - 2] == '.' && upper_at(t, a - 3) &&
		    (a == 3 || !alnum_at(t, a - 4)) && (i == 0 || f[i - 1].e <= a - 3))
			f[i].s = a - 3;
		lower = lower_at(t, f[i].s);
		a = f[i].e;
		/* a middle initial: " R ", " N. " */
		if (a + 2 < n && t[a] == ' ' && (lower ? lower_at(t, a + 1) : upper_at(t, a + 1)) &&
		    (t[a + 2] == ' ' || (t[a + 2] == '.' && a + 3 < n && t[a + 3] == ' ')) &&
		    !(lower && t[a + 2] == ' ' && (t[a + 1] == 'a' || t[a + 1] == 'i'))) {
			w = a + (t[a + 2] == '.' ? 4 : 3);
			if (w == next && f[i + 1].cat == CAT_NAME) {
				f[i].e = w - 1;		/* the next name is its surname */
				continue;
			}
			b = word_end(t, n, w);
			if (b - w >= 2 && b <= next && (lower ? lower_at(t, w) : upper_at(t, w)) &&
			    !(names_flags(&s->names, t + w, b - w) & (NF_TITLE | NF_CRED | NF_CUE |
			    NF_LABEL | NF_REL | NF_VERB | NF_NOT))) {
				f[i].e = b;
				continue;
			}
		}
		/* "olga krylova": lowercase, a word no lexicon has */
		if (lower && a + 1 < n && t[a] == ' ' && lower_at(t, a + 1)) {
			w = a + 1;
			b = word_end(t, n, w);
			if (b - w >= 3 && b <= next && !(names_flags(&s->names, t + w, b - w) &
			    (NF_ENG | NF_MED | NF_TITLE | NF_CRED | NF_CUE | NF_LABEL | NF_REL |
			    NF_VERB | NF_NOT | NF_GEO)))
				f[i].e = b;
		}
	}
}

/* A name found anywhere goes everywhere in the record; so does a value. 0, or -1 out of memory. */
static int
spread(struct scrubber *s)
{
	size_t i, k;

	if (collect_names(s) < 0 || collect_values(s) < 0)
		return -1;
	for (i = 0; i < s->nstrs; i++) {
		struct sstr *x = &s->strs[i];
		size_t before = s->nf;
		/* findings must stay contiguous per string: move this string's to the end */
		if (x->f0 + x->nf != s->nf) {
			for (k = 0; k < x->nf; k++)
				if (add_finding(s, s->f[x->f0 + k].s, s->f[x->f0 + k].e,
				    s->f[x->f0 + k].cat, s->f[x->f0 + k].rule) < 0)
					return -1;
			x->f0 = before;
		}
		if (propagate(s, x) < 0 || pv_propagate(s, x) < 0)
			return -1;
		x->nf = resolve(s->f + x->f0, s->nf - x->f0);
		s->nf = x->f0 + x->nf;
		name_edges(s, s->arena.p + x->ds, x->dn, s->f + x->f0, x->nf);
		for (k = x->f0; k < x->f0 + x->nf; k++)
			s->counts[s->f[k].cat]++;
	}
	return 0;
}

/* Where the annotation goes in the line, and what goes before it. */
struct ann_place {
	size_t at, end;		/* bytes [at, end) give way to it */
	int comma;		/* "scrub" follows other members of phikit */
};

/*
 * A new "phikit" member before the record's closing brace; or, in an
 * existing phikit object, in place of its "scrub" member's value, else
 * before its closing brace. 0, or -1 with e set.
 */
static int
ann_place(const char *line, const struct jscan *js, struct ann_place *ap, struct phk_err *e)
{
	struct jscan pk;

	ap->at = ap->end = js->top_close;
	ap->comma = 0;
	if (js->pk_key < 0)
		return 0;
	jscan_init(&pk, "scrub");
	if (line[js->pk_start] != '{' || jscan_record(&pk, line + js->pk_start,
	    (size_t)(js->pk_end - js->pk_start), e) < 0) {
		phk_err_set(e, PHK_EXIT_INPUT, "\"phikit\" is not an object");
		return -1;
	}
	if (pk.find_start >= 0) {
		ap->at = (size_t)js->pk_start + (size_t)pk.find_start;
		ap->end = (size_t)js->pk_start + (size_t)pk.find_end;
	} else {
		ap->at = ap->end = (size_t)js->pk_start + pk.top_close;
		ap->comma = pk.top_members > 0;
	}
	return 0;
}

/*
 * The record written: untouched bytes copied, changed strings re-encoded,
 * the annotation spliced in where ap says; *ann_at is where it starts in
 * out. 0, or -1 out of memory.
 */
static int
write_record(struct scrubber *s, const char *line, size_t n, const struct jscan *js,
    const struct ann_place *ap, struct buf *out, size_t *ann_at)
{
	size_t i, k, last = 0;
	int done = 0;

	for (i = 0; i <= s->nstrs; i++) {
		struct sstr *x = i < s->nstrs ? &s->strs[i] : NULL;
		const char *text;
		size_t at = 0;

		if (x && x->nf == 0)
			continue;
		if (!done && ap->at <= (x ? x->rs - 1 : n)) {
			if (buf_add(out, line + last, ap->at - last) < 0)
				return -1;
			if (js->pk_key < 0) {
				if (buf_adds(out, js->top_members ? ",\"phikit\":{\"scrub\":" :
				    "\"phikit\":{\"scrub\":") < 0)
					return -1;
			} else if (ap->at == ap->end &&
			    buf_adds(out, ap->comma ? ",\"scrub\":" : "\"scrub\":") < 0)
				return -1;
			*ann_at = out->len;
			if (buf_add(out, s->ann.p, s->ann.len) < 0 ||
			    (js->pk_key < 0 && buf_addc(out, '}') < 0))
				return -1;
			last = ap->end;
			done = 1;
		}
		if (x == NULL)
			break;
		text = s->arena.p + x->ds;
		if (buf_add(out, line + last, x->rs - 1 - last) < 0)
			return -1;
		buf_reset(&s->tmp);
		for (k = x->f0; k < x->f0 + x->nf; k++) {
			if (buf_add(&s->tmp, text + at, s->f[k].s - at) < 0 ||
			    replacement(s, &s->f[k], text, &s->tmp) < 0)
				return -1;
			at = s->f[k].e;
		}
		if (buf_add(&s->tmp, text + at, x->dn - at) < 0 ||
		    jstr_encode(out, s->tmp.p, s->tmp.len) < 0)
			return -1;
		last = x->re + 1;
	}
	return buf_add(out, line + last, n - last);
}

int
scrub_line(struct scrubber *s, const char *line, size_t n, struct buf *out, struct phk_err *e)
{
	struct ann_place ap;
	struct jscan js;
	size_t i, ann_at = 0;
	char hex[65];

	s->e = e;
	s->line = line;
	s->nstrs = s->nf = s->nrt = 0;
	s->has_run = 0;
	s->nvr = 0;
	buf_reset(&s->vbuf);
	memset(s->counts, 0, sizeof(s->counts));
	memset(s->fhit, 0, sizeof(s->fhit));
	buf_reset(&s->arena);
	buf_reset(&s->paths);
	buf_reset(&s->ann);
	buf_reset(out);

	/* not memset: its path stack is 12 KiB, set as it is used */
	jscan_init(&js, NULL);
	js.on_string = on_string;
	js.on_key = on_key;
	js.on_number = on_number;
	js.ctx = s;
	if (jscan_record(&js, line, n, e) < 0)
		return -1;
	if (js.run_start >= 0 &&
	    !jscan_is_ident(line + js.run_start, (size_t)(js.run_end - js.run_start))) {
		phk_err_set(e, PHK_EXIT_INPUT, "run_id must be a string of 1 to 128 of A-Z a-z 0-9 . _ : @ / + = -");
		return -1;
	}
	if (s->o.vault && s->replace == REPLACE_PSEUDONYM) {
		size_t rl = js.run_start >= 0 ? (size_t)(js.run_end - js.run_start) : 0;
		if (rl < 3) {
			phk_err_set(e, PHK_EXIT_INPUT, "record has no run_id: with --vault every "
			    "record needs one, the run its values are kept under");
			return -1;
		}
		memcpy(s->vrun, line + js.run_start + 1, rl - 2);
		s->vrun[rl - 2] = '\0';
	}
	/* a --field that selects nothing scrubs nothing: the record is not passed on as scrubbed */
	for (i = 0; i < s->o.nfields; i++)
		if (!s->fhit[i] && !s->o.fields[i].optional) {
			phk_err_set(e, PHK_EXIT_INPUT, "--field %.200s selects no string in this record "
			    "(write %.200s? if that is expected)", s->o.fields[i].text, s->o.fields[i].text);
			return -1;
		}
	bind_content_hex(line, n, &js, s->input_hex);
	if (search_strings(s, line) < 0)
		return -1;
	if (spread(s) < 0)
		goto oom;
	for (i = 0; i < CAT__N; i++)
		s->total[i] += (unsigned long long)s->counts[i];
	s->records++;
	if (annotate(s, &s->ann) < 0)
		goto oom;
	if (ann_place(line, &js, &ap, e) < 0)
		return -1;
	if (write_record(s, line, n, &js, &ap, out, &ann_at) < 0)
		goto oom;
	if (s->o.vault && vault_store(s, e) < 0) {
		buf_reset(out);
		return -1;
	}
	/* what it leaves, bound into the annotation (lib/bind) */
	jscan_init(&js, NULL);
	if (jscan_record(&js, out->p, out->len, e) < 0) {
		buf_reset(out);
		phk_err_set(e, PHK_EXIT_IO, "internal error: scrubbed record does not scan");
		return -1;
	}
	bind_content_hex(out->p, out->len, &js, hex);
	memcpy(out->p + ann_at + s->ann.len - 66, hex, 64);
	return 0;
oom:
	buf_reset(out);
	phk_err_set(e, PHK_EXIT_IO, "out of memory (or record too large)");
	return -1;
}
