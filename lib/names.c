#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "names.h"

/* ---- lexicon: open addressing over folded lowercase keys ---- */

#define FNV_INIT 14695981039346656037ull
#define FNV_STEP(h, c) (((h) ^ (unsigned char)(c)) * 1099511628211ull)

static uint64_t
fnv(const char *s, size_t n)
{
	uint64_t h = FNV_INIT;

	while (n--)
		h = FNV_STEP(h, *s++);
	return h;
}

/* Latin-1 letters U+00C0..U+00FF folded to their ASCII base letter. */
static const char fold_c3[64] =
    "aaaaaaaceeeeiiiidnooooo\0ouuuuyts"
    "aaaaaaaceeeeiiiidnooooo\0ouuuuyty";

/* Lowercases ASCII and folds Latin-1 accents; returns the key length. */
static size_t
fold(const char *w, size_t n, char *out, size_t cap)
{
	size_t i = 0, k = 0;
	unsigned char c;

	while (i < n && k + 4 < cap) {
		c = (unsigned char)w[i];
		if (c < 0x80) {
			out[k++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
			i++;
		} else if (c == 0xC3 && i + 1 < n && (unsigned char)w[i + 1] >= 0x80 &&
		    (unsigned char)w[i + 1] <= 0xBF &&
		    fold_c3[(unsigned char)w[i + 1] - 0x80] != '\0') {
			out[k++] = fold_c3[(unsigned char)w[i + 1] - 0x80];
			i += 2;
		} else if (c == 0xE2 && i + 2 < n && (unsigned char)w[i + 1] == 0x80 &&
		    (unsigned char)w[i + 2] == 0x99) {
			out[k++] = '\'';	/* U+2019 as an apostrophe */
			i += 3;
		} else
			out[k++] = (char)w[i++];
	}
	return k;
}

/*
 * A slot holds the top 48 bits of the word's 64-bit hash and its 16 bits
 * of flags, 0 when empty: one cache line touched a look-up, no key text
 * kept. Two words sharing 48 bits of hash would share flags; among some
 * 160,000 words the odds of that are about one in ten thousand million,
 * and the flags only steer the name heuristics.
 */
#define FLAGS 0xFFFFull
#define ID(h) (((h) & ~FLAGS) ? ((h) & ~FLAGS) : (uint64_t)1 << 16)

static uint64_t *
slot(const struct lexicon *lx, uint64_t id)
{
	size_t i = (size_t)((id >> 16) ^ (id >> 41)) & lx->mask;

	for (;;) {
		uint64_t *e = &lx->tab[i];
		if (*e == 0 || (*e & ~FLAGS) == id)
			return e;
		i = (i + 1) & lx->mask;
	}
}

static int
grow(struct lexicon *lx)
{
	struct lexicon big = *lx;
	size_t i, cap = lx->mask ? (lx->mask + 1) * 2 : 1024;

	if ((big.tab = calloc(cap, sizeof(*big.tab))) == NULL)
		return -1;
	if (lx->trig && (big.trig = calloc(cap, sizeof(*big.trig))) == NULL) {
		free(big.tab);
		return -1;
	}
	big.mask = cap - 1;
	for (i = 0; lx->tab && i <= lx->mask; i++) {
		if (lx->tab[i]) {
			uint64_t *d = slot(&big, lx->tab[i] & ~FLAGS);
			*d = lx->tab[i];
			if (lx->trig)
				big.trig[d - big.tab] = lx->trig[i];
		}
	}
	free(lx->tab);
	free(lx->trig);
	lx->tab = big.tab;
	lx->trig = big.trig;
	lx->mask = big.mask;
	return 0;
}

/* Adds a word (or flags to it); returns its slot, NULL if out of memory. */
static uint64_t *
lex_add(struct lexicon *lx, const char *w, size_t n, unsigned flags)
{
	char key[128];
	size_t k;
	uint64_t *e, id;

	if (n == 0 || n >= 100 || (k = fold(w, n, key, sizeof(key))) == 0)
		return lx->tab;	/* nothing to add: not an error */
	if ((lx->used + 1) * 2 > lx->mask && grow(lx) < 0)
		return NULL;
	id = ID(fnv(key, k));
	e = slot(lx, id);
	if (*e == 0) {
		*e = id;
		lx->used++;
	}
	*e |= flags & FLAGS;
	return e;
}

static const uint64_t *
lex_find(const struct lexicon *lx, uint64_t h)
{
	const uint64_t *e;

	if (lx->tab == NULL)
		return NULL;
	e = slot(lx, ID(h));
	return *e ? e : NULL;
}

static void
lex_release(struct lexicon *lx)
{
	free(lx->tab);
	free(lx->trig);
	memset(lx, 0, sizeof(*lx));
}

uint32_t
names_key(const char *w, size_t n)
{
	char key[128];

	return (uint32_t)(fnv(key, n < 100 ? fold(w, n, key, sizeof(key)) : 0) >> 32);
}

unsigned
names_flags(const struct names *nm, const char *w, size_t n)
{
	char key[128];
	size_t k;
	uint64_t h;
	const uint64_t *a, *b;

	if (n >= 100 || (k = fold(w, n, key, sizeof(key))) == 0)
		return 0;
	h = fnv(key, k);
	a = lex_find(&nm->dict, h);
	b = lex_find(&nm->cues, h);
	return (unsigned)(((a ? *a : 0) | (b ? *b : 0)) & FLAGS);
}

uint64_t
names_hash(const char *w, size_t n)
{
	char key[128];

	return fnv(key, n < 100 ? fold(w, n, key, sizeof(key)) : 0);
}

unsigned
names_flags_hash(const struct names *nm, uint64_t h)
{
	const uint64_t *a = lex_find(&nm->dict, h), *b = lex_find(&nm->cues, h);

	return (unsigned)(((a ? *a : 0) | (b ? *b : 0)) & FLAGS);
}

/*
 * A gazetteer: one place name a line. A name of one word is a place
 * (NF_GEO); each word of a longer one is a word of a place (NF_GEOW).
 */
static int
add_place(struct lexicon *lx, const char *line, size_t n)
{
	size_t a, b;

	if (memchr(line, ' ', n) == NULL && memchr(line, '-', n) == NULL)
		return lex_add(lx, line, n, NF_GEO) ? 0 : -1;
	for (a = 0; a < n; a = b + 1) {
		for (b = a; b < n && line[b] != ' ' && line[b] != '-'; b++)
			;
		if (b - a >= 2 && lex_add(lx, line + a, b - a, NF_GEOW) == NULL)
			return -1;
	}
	return 0;
}

static int
load_list(struct lexicon *lx, const char *path, unsigned flags, struct phk_err *e)
{
	char line[256];
	FILE *f;
	size_t n;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		n = strcspn(line, "\r\n");
		if (n == 0 || line[0] == '#')
			continue;
		if (flags & NF_MED) {
			/*
			 * A hunspell dictionary: a count first, a header of
			 * indented lines, then word[/affix flags]
			 */
			if (line[0] == ' ' || line[0] == '\t' || strspn(line, "0123456789") == n)
				continue;
			n = strcspn(line, "/\r\n");
		}
		if (flags == NF_GEO ? add_place(lx, line, n) < 0 : lex_add(lx, line, n, flags) == NULL) {
			fclose(f);
			phk_err_set(e, PHK_EXIT_IO, "out of memory");
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int
add_words(struct lexicon *lx, const struct strlist *sl, unsigned flags)
{
	size_t i;

	for (i = 0; i < sl->n; i++)
		if (lex_add(lx, sl->v[i], strlen(sl->v[i]), flags) == NULL)
			return -1;
	return 0;
}

int
names_init(struct names *nm, const struct names_conf *c, struct phk_err *e)
{
	memset(nm, 0, sizeof(*nm));
	/* The cue lexicon always exists: rule triggers live there too. */
	if ((nm->cues.trig = calloc(1, sizeof(uint64_t))) == NULL || grow(&nm->cues) < 0)
		goto oom;
	nm->conf = c;
	if (!c->enabled)
		return 0;
	nm->enabled = 1;
	if (grow(&nm->dict) < 0)
		goto oom;
	if (load_list(&nm->dict, c->first_names, NF_FIRST, e) < 0 ||
	    load_list(&nm->dict, c->surnames, NF_LAST, e) < 0 ||
	    load_list(&nm->dict, c->english, NF_ENG, e) < 0 ||
	    load_list(&nm->dict, c->medical, NF_MED, e) < 0 ||
	    load_list(&nm->dict, c->abbrev, NF_MED, e) < 0 ||
	    load_list(&nm->dict, c->places, NF_GEO, e) < 0)
		goto fail;
	if (add_words(&nm->cues, &c->titles, NF_TITLE) < 0 ||
	    add_words(&nm->cues, &c->relations, NF_REL) < 0 ||
	    add_words(&nm->cues, &c->verbs_after, NF_VERB) < 0 ||
	    add_words(&nm->cues, &c->particles, NF_PARTICLE) < 0 ||
	    add_words(&nm->cues, &c->cues_before, NF_CUE) < 0 ||
	    add_words(&nm->cues, &c->cues_after, NF_CRED) < 0 ||
	    add_words(&nm->cues, &c->labels, NF_LABEL) < 0 ||
	    add_words(&nm->cues, &c->not_names, NF_NOT) < 0 ||
	    add_words(&nm->cues, &c->eponym_next, NF_EPONYM) < 0 ||
	    add_words(&nm->dict, &c->facility, NF_FAC) < 0)
		goto oom;
	return 0;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
fail:
	names_release(nm);
	return -1;
}

int
names_add_trigger(struct names *nm, const char *word, unsigned bit)
{
	uint64_t *e;

	if (*word == '\0' || strlen(word) >= 100)
		return 0;	/* no word to trigger on */
	if (bit >= 64 || (e = lex_add(&nm->cues, word, strlen(word), 0)) == NULL)
		return -1;
	nm->cues.trig[e - nm->cues.tab] |= (uint64_t)1 << bit;
	return 0;
}

void
names_release(struct names *nm)
{
	lex_release(&nm->dict);
	lex_release(&nm->cues);
	memset(nm, 0, sizeof(*nm));
}

/* ---- tokens ---- */

/* Byte length of the letter at s[i], or 0 if s[i] does not start a letter. */
static size_t
letter(const unsigned char *s, size_t n, size_t i)
{
	unsigned char c = s[i];

	if ((c | 32) >= 'a' && (c | 32) <= 'z')
		return 1;
	if (c < 0xC3)
		return 0;	/* ASCII non-letters, U+0080..U+00BF */
	if (c == 0xC3)
		return i + 1 < n && s[i + 1] != 0x97 && s[i + 1] != 0xB7 ? 2 : 0;
	if (c == 0xE2)
		return 0;	/* punctuation, arrows, symbols */
	if (c < 0xE0)
		return 2;
	if (c < 0xF0)
		return 3;
	return 4;
}

static int
name_is_wordchar(const unsigned char *s, size_t n, size_t i)
{
	return letter(s, n, i) > 0 || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
	    (s[i] >= 0x80 && s[i] < 0xC0);
}


static int
is_upper_at(const unsigned char *s, size_t i)
{
	unsigned cp;

	if (s[i] < 0x80)
		return s[i] >= 'A' && s[i] <= 'Z';
	if (s[i] == 0xC3)
		return s[i + 1] >= 0x80 && s[i + 1] <= 0x9E && s[i + 1] != 0x97;
	if (s[i] == 0xC4 || s[i] == 0xC5) {
		/* Latin Extended-A pairs upper and lower case; the parity flips twice */
		cp = ((unsigned)(s[i] & 0x1F) << 6) | (s[i + 1] & 0x3F);
		if (cp <= 0x137 || (cp >= 0x14A && cp <= 0x177))
			return cp % 2 == 0;
		if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
			return cp % 2 == 1;
		return cp == 0x178;
	}
	if (s[i] == 0xD0)	/* Cyrillic А..Я, Ѐ..Џ */
		return s[i + 1] >= 0x80 && s[i + 1] <= 0xAF;
	if (s[i] == 0xCE)	/* Greek Α..Ω */
		return s[i + 1] >= 0x91 && s[i + 1] <= 0xA9;
	return 0;
}

size_t
names_letter(const unsigned char *s, size_t n, size_t i)
{
	return letter(s, n, i);
}

int
names_upper(const unsigned char *s, size_t n, size_t i)
{
	return i < n && (s[i] < 0x80 || i + 1 < n) && is_upper_at(s, i);
}

/* Dictionary flags; a hyphenated word is a name if a part is, English if all are. */
static unsigned
dict_flags(const struct names *nm, const char *s, size_t st, size_t en, uint64_t h)
{
	char key[128];
	size_t k, a = st, b;
	const uint64_t *e;
	unsigned acc = 0, all_eng = NF_ENG, pf;

	/* the whole word, by the hash the tokenizer made */
	if ((e = lex_find(&nm->dict, h)) != NULL)
		return (unsigned)(*e & FLAGS);
	if (memchr(s + st, '-', en - st) == NULL && memchr(s + st, '\'', en - st) == NULL)
		return 0;
	for (b = st; b <= en; b++) {
		if (b == en || s[b] == '-' || s[b] == '\'') {
			pf = 0;
			if (b > a && b - a < 100 && (k = fold(s + a, b - a, key, sizeof(key))) > 0 &&
			    (e = lex_find(&nm->dict, fnv(key, k))) != NULL)
				pf = (unsigned)(*e & FLAGS);
			acc |= pf & (NF_FIRST | NF_LAST);
			if (!(pf & NF_ENG))
				all_eng = 0;
			a = b + 1;
		}
	}
	return acc | all_eng;
}

static unsigned char
gap_kind(const unsigned char *s, size_t a, size_t b, size_t n)
{
	unsigned char g = G_SPACE;
	size_t i;
	int punct = 0;

	if (a >= n)
		return G_END;
	for (i = a; i < b; i++) {
		switch (s[i]) {
		case ' ': case '\t':
			break;
		case '\n': case '\r':
			return G_NL;
		case '.':
			if (punct++)
				return G_OTHER;
			g = G_DOT;
			break;
		case ',':
			if (punct++)
				return G_OTHER;
			g = G_COMMA;
			break;
		case ':':
			if (punct++)
				return G_OTHER;
			g = G_COLON;
			break;
		default:
			return G_OTHER;
		}
	}
	if (b == a)
		return G_OTHER;	/* touching: not two words */
	return g;
}

static int
lowercase_note(const struct tok *t, size_t nt)
{
	size_t i, words = 0, caps = 0;

	for (i = 0; i < nt; i++) {
		if (t[i].one || t[i].ndig)
			continue;
		words++;
		caps += t[i].cap;
	}
	return words >= 6 && caps * 20 <= words;
}

static int
add_hit(struct ntoks *tk, size_t pos, uint64_t bits)
{
	if (ARRAY_RESERVE(tk->hits, tk->hcap, tk->nhits + 1) < 0)
		return -1;
	tk->hits[tk->nhits].pos = pos;
	tk->hits[tk->nhits++].bits = bits;
	tk->trig |= bits;
	return 0;
}

int
names_tokenize(const struct names *nm, const char *text, size_t n, struct ntoks *tk)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, len, k;
	char key[128];

	tk->n = 0;
	tk->trig = 0;
	tk->nhits = 0;
	while (i < n) {
		struct tok t;
		size_t up = 0, letters = 0, kl = 0;
		const uint64_t *e;
		uint64_t h = FNV_INIT;
		int ascii = 1;

		/* Skip what is no letter; plain ASCII without a call. */
		while (i < n && s[i] < 0x80 && !((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z'))
			i++;
		if (i >= n)
			break;
		if ((len = letter(s, n, i)) == 0) {
			i++;
			continue;
		}
		memset(&t, 0, sizeof(t));
		t.s = i;
		t.cap = (unsigned char)is_upper_at(s, i);
		while (i < n) {
			unsigned char c = s[i];
			if ((c | 32) >= 'a' && (c | 32) <= 'z') {
				/* the lexicon key and its hash, built as we go */
				up += c <= 'Z';
				letters++;
				if (kl < sizeof(key))
					key[kl++] = (char)(c | 32);
				h = FNV_STEP(h, c | 32);
				i++;
				continue;
			}
			if ((len = letter(s, n, i)) > 0) {
				ascii = 0;
				up += is_upper_at(s, i) != 0;
				letters++;
				i += len;
				continue;
			}
			/* apostrophes and hyphens inside a word: O'Brien, Smith-Jones */
			if ((s[i] == '\'' || s[i] == '-') && i + 1 < n && letter(s, n, i + 1) &&
			    !(s[i] == '\'' && (s[i + 1] | 32) == 's' && (i + 2 >= n || !letter(s, n, i + 2)))) {
				if (kl < sizeof(key))
					key[kl++] = (char)s[i];
				h = FNV_STEP(h, s[i]);
				i++;
				continue;
			}
			if (s[i] == 0xE2 && i + 3 < n && s[i + 1] == 0x80 && s[i + 2] == 0x99 &&
			    letter(s, n, i + 3) && !((s[i + 3] | 32) == 's' &&
			    (i + 4 >= n || !letter(s, n, i + 4)))) {
				ascii = 0;
				i += 3;
				continue;
			}
			break;
		}
		t.e = i;
		t.allcaps = letters >= 2 && up == letters;
		t.one = letters == 1;
		/* touching digits, '@', '_' or '/': codes and handles, not names */
		if ((t.s > 0 && (name_is_wordchar(s, n, t.s - 1) || s[t.s - 1] == '@' ||
		    s[t.s - 1] == '/' || s[t.s - 1] == '\\')) ||
		    (t.e < n && (name_is_wordchar(s, n, t.e) || s[t.e] == '@' || s[t.e] == '/')))
			t.ndig = 1;
		if (t.e + 1 < n && (s[t.e] == '\'' && (s[t.e + 1] | 32) == 's'))
			t.poss = 1;
		if (t.e + 3 < n && s[t.e] == 0xE2 && s[t.e + 1] == 0x80 && s[t.e + 2] == 0x99 &&
		    (s[t.e + 3] | 32) == 's')
			t.poss = 1;
		/* the "'s" of a possessive is no word of its own */
		if (t.poss)
			i = t.e + (s[t.e] == '\'' ? 2 : 4);
		if (!ascii || kl >= 100) {
			k = t.e - t.s < 100 ? fold(text + t.s, t.e - t.s, key, sizeof(key)) : 0;
			h = fnv(key, k);
		} else
			k = kl;
		t.hash = h;
		t.key = (uint32_t)(h >> 32);
		if (k > 0) {
			if ((e = lex_find(&nm->cues, h)) != NULL) {
				t.flags = (unsigned)(*e & FLAGS);
				if (nm->cues.trig[e - nm->cues.tab] &&
				    add_hit(tk, t.s, nm->cues.trig[e - nm->cues.tab]) < 0)
					return -1;
			} else if (memchr(key, '-', k) != NULL) {
				/* "year-old": the parts can trigger rules */
				size_t a = 0, b;
				for (b = 0; b <= k; b++) {
					if (b < k && key[b] != '-')
						continue;
					if (b > a && (e = lex_find(&nm->cues, fnv(key + a, b - a))) != NULL &&
					    nm->cues.trig[e - nm->cues.tab] &&
					    add_hit(tk, t.s + a, nm->cues.trig[e - nm->cues.tab]) < 0)
						return -1;
					a = b + 1;
				}
			}
		}
		if (ARRAY_RESERVE(tk->t, tk->cap, tk->n + 1) < 0)
			return -1;
		tk->t[tk->n++] = t;
	}
	for (i = 0; i < tk->n; i++) {
		size_t a = tk->t[i].e, b = i + 1 < tk->n ? tk->t[i + 1].s : n;
		if (tk->t[i].poss)
			a += s[a] == '\'' ? 2 : 4;
		tk->t[i].gap = gap_kind(s, a, b > a ? b : a, n);
	}
	if (!nm->enabled)
		return 0;
	tk->lower = lowercase_note(tk->t, tk->n);
	/* The big dictionary only for words that could be names. */
	for (i = 0; i < tk->n; i++)
		if ((tk->t[i].cap || tk->lower) && !tk->t[i].ndig)
			tk->t[i].flags |= dict_flags(nm, text, tk->t[i].s, tk->t[i].e, tk->t[i].hash);
	return 0;
}

void
ntoks_release(struct ntoks *tk)
{
	free(tk->t);
	free(tk->mark);
	free(tk->why);
	free(tk->hits);
	memset(tk, 0, sizeof(*tk));
}

/* ---- detection ---- */

struct det {
	const struct names *nm;
	const unsigned char *s;
	size_t n;
	struct tok *t;
	size_t nt;
	unsigned char *mark;	/* 0 no, 1 name, 2 name that survives eponym test */
	unsigned char *why;	/* NR_*: the first reason a word was marked */
	unsigned char reason;	/* the rule marking now */
	int lower;		/* a lowercase note */
};

#define MARK(d, k, v) ((d)->mark[k] = (v), (d)->why[k] = (d)->why[k] ? (d)->why[k] : (d)->reason)

#define F(i) (d->t[i].flags)
#define ISNAME(i) (F(i) & (NF_FIRST | NF_LAST))
/* "June", "Florida": listed as no name, yet a first name — a name where cued. */
#define SOFTNOT(i) ((F(i) & (NF_NOT | NF_FIRST)) == (NF_NOT | NF_FIRST))
#define HARDNOT(i) ((F(i) & NF_NOT) && !SOFTNOT(i))

/* How much the context vouches for the words that follow it. */
enum {
	V_DICT,		/* nothing: the dictionaries must (no cued-only words) */
	V_CUE,		/* "patient", "from", a verb after: a name-ish word */
	V_CONT,		/* the words after a name's first: like V_CUE */
	V_STRONG	/* "Dr.", "wife", "Name:", ", MD": any capitalized word */
};

static int
namelike(const struct det *d, size_t i, int v)
{
	const struct tok *t = &d->t[i];

	if (t->ndig || HARDNOT(i) || (F(i) & (NF_TITLE | NF_REL | NF_LABEL | NF_CRED)))
		return 0;
	if (SOFTNOT(i) && v == V_DICT)
		return 0;
	if (SOFTNOT(i) && t->gap == G_SPACE && t->e < d->n) {
		/* "June 11": a date, not June */
		size_t k = t->e;
		while (k < d->n && d->s[k] == ' ')
			k++;
		if (k < d->n && d->s[k] >= '0' && d->s[k] <= '9')
			return 0;
	}
	if (t->one)
		return t->cap && t->gap == G_DOT;	/* an initial: "John Q. Public" */
	if (d->lower && !t->cap)
		/* "husband tomasz": after a strong cue, a word no lexicon knows */
		return (v == V_STRONG && !(F(i) & (NF_ENG | NF_MED | NF_NOT)) && t->e - t->s >= 3) ||
		    (ISNAME(i) && (!(F(i) & NF_ENG) || v == V_STRONG ||
		    (v == V_CUE && t->gap == G_SPACE && i + 1 < d->nt && !d->t[i + 1].cap &&
		    (F(i + 1) & NF_LAST)) || (v == V_CONT && (F(i) & NF_LAST))));
	if (!t->cap)
		return 0;
	return v == V_STRONG || ISNAME(i) || !(F(i) & NF_ENG);
}


/* Lowercase particles inside names: van der Berg, de la Cruz, bin Rashid. */
static int
particle(const struct det *d, size_t i)
{
	return (!d->t[i].cap || d->t[i].allcaps) && (F(i) & NF_PARTICLE) &&
	    d->t[i].gap == G_SPACE;	/* "DE LA CRUZ" in capitals too */
}

/* Marks up to max name words from i on, joined by spaces (or "LAST, FIRST"). */
static size_t
take(struct det *d, size_t i, int max, int v, int comma)
{
	size_t k = 0;

	while (i < d->nt && (int)k < max && namelike(d, i, k == 0 ? v : k == 1 ? V_CONT : V_CUE)) {
		/* "Jazmyn King DEA", "HALVORSEN, INGRID Acc#": a name keeps its case */
		if (k > 0 && d->t[i].allcaps != d->t[i - 1].allcaps && !d->t[i - 1].one)
			break;	/* an initial has no case of its own: "DR B. GILL" */
		MARK(d, i, 1);
		k++;
		if (d->t[i].poss)
			break;
		if (d->t[i].gap == G_SPACE || (d->t[i].gap == G_DOT && d->t[i].one)) {
			size_t j = i + 1, p = 0;
			/* "Ludwig van Beethoven": particles, then the rest of the name */
			while (j < d->nt && p < 3 && particle(d, j))
				j++, p++;
			if (p && j < d->nt && d->t[j].cap && namelike(d, j, V_CONT)) {
				for (; i + 1 < j; i++)
					MARK(d, i + 1, 1);
			}
			i++;
			continue;
		}
		if (comma && k == 1 && d->t[i].gap == G_COMMA && i + 1 < d->nt &&
		    d->t[i + 1].cap && !d->t[i + 1].ndig && !HARDNOT(i + 1) &&
		    !(F(i + 1) & (NF_TITLE | NF_CRED | NF_LABEL | NF_REL)) &&
		    ((d->t[i].allcaps && d->t[i + 1].allcaps) || ISNAME(i + 1) ||
		    !(F(i + 1) & NF_ENG))) {
			/* the word after "LAST," is vouched for by the pairing */
			++i;
			MARK(d, i, 1);
			k++;
			if (d->t[i].gap != G_SPACE || d->t[i].poss)
				break;
			i++;
			v = V_CUE;
			continue;
		}
		break;
	}
	return k;
}

/* Dictionary flags for a word the tokenizer did not look up (lowercase in mixed case). */
static unsigned
flags_of(struct det *d, size_t i)
{
	struct tok *t = &d->t[i];

	if (!t->cap && !d->lower && !t->ndig && !t->looked) {
		t->flags |= dict_flags(d->nm, (const char *)d->s, t->s, t->e, t->hash);
		t->looked = 1;
	}
	return t->flags;
}

/* "dr" in lowercase, in a note of mixed case: a title only if it is no English word ("ms"). */
static int
lower_title(struct det *d, size_t i)
{
	return !d->t[i].cap && !(flags_of(d, i) & NF_ENG);
}

/*
 * A lowercase word after a title, in a note of mixed case: a name if it
 * is one (and no verb: "dr will see") or no English or medical word.
 */
static int
lower_after_title(struct det *d, size_t j)
{
	const struct tok *t = &d->t[j];
	unsigned f;

	if (t->cap || d->lower || t->one || t->ndig || t->e - t->s < 3)
		return 0;
	f = flags_of(d, j);
	if (f & (NF_VERB | NF_MED | NF_NOT | NF_TITLE | NF_CUE | NF_REL | NF_LABEL | NF_CRED |
	    NF_PARTICLE))
		return 0;
	return (f & (NF_FIRST | NF_LAST)) || !(f & NF_ENG);
}

/* Word t of s is w, in any case. */
static int
tok_is(const unsigned char *s, const struct tok *t, const char *w)
{
	size_t n = strlen(w);

	return t->e - t->s == n && strncasecmp((const char *)s + t->s, w, n) == 0;
}

static int
word_is(const struct det *d, size_t i, const char *w)
{
	return tok_is(d->s, &d->t[i], w);
}

/* Word i ends a phrase that introduces a name: "name is", "call me", "named him". */
static int
introduces(const struct det *d, size_t i)
{
	if (i > 0 && d->t[i - 1].gap == G_SPACE) {
		if (word_is(d, i, "is") && word_is(d, i - 1, "name"))
			return 1;
		if (word_is(d, i, "me") && (word_is(d, i - 1, "call") || word_is(d, i - 1, "calls")))
			return 1;
		if ((word_is(d, i, "him") || word_is(d, i, "her")) && word_is(d, i - 1, "named"))
			return 1;
	}
	return 0;
}

static void
detect(struct det *d)
{
	size_t i, j, k;

	for (i = 0; i < d->nt; i++) {
		const struct tok *t = &d->t[i];
		unsigned f = t->flags;

		if (t->ndig)
			continue;
		/* Dr. Lind, Mrs. O'Neil */
		d->reason = NR_TITLE;
		if ((f & NF_TITLE) && (t->gap == G_DOT || t->gap == G_SPACE) && i + 1 < d->nt &&
		    (t->cap || d->lower || lower_title(d, i)) &&
		    /* "MS TODAY" in capitals is mental status; "MS. LIND" is a title */
		    (!t->allcaps || !(f & NF_ENG) || t->gap == G_DOT)) {
			/* "Dr. van der Berg": particles first */
			for (j = i + 1, k = 0; j < d->nt && k < 3 && particle(d, j); j++, k++)
				;
			if (j < d->nt && lower_after_title(d, j)) {
				/* "dr green aware", "Dr. griffin made aware" */
				MARK(d, j, 2);
				continue;
			}
			if (j < d->nt && take(d, j, 3, V_STRONG, 0)) {
				for (; i + 1 < j; i++)
					MARK(d, i + 1, 1);
				MARK(d, j, 2);
			}
			continue;
		}
		/* "my name is Rubija", "people call me višeslav", "she named him Frank" */
		d->reason = NR_LABEL;
		if (t->gap == G_SPACE && i + 1 < d->nt && introduces(d, i)) {
			if (lower_after_title(d, i + 1))
				MARK(d, i + 1, 2);
			else
				take(d, i + 1, 3, V_STRONG, 0);
			continue;
		}
		/* wife Eva, Dear Maria, Sincerely, Kattie; Name: WILKINSON, TRACEY */
		d->reason = (f & NF_REL) ? NR_REL : NR_LABEL;
		if (((f & NF_REL) && t->gap != G_OTHER && t->gap != G_DOT) ||
		    ((f & NF_LABEL) && t->gap == G_COLON)) {
			if (i + 1 < d->nt && !(F(i + 1) & NF_TITLE))
				take(d, i + 1, 3, V_STRONG, 1);
			continue;
		}
		/* Patient Ottis, referring Georgianna Waters, from Smith */
		d->reason = NR_CUE;
		if ((f & NF_CUE) && t->gap != G_NL && t->gap != G_OTHER && t->gap != G_DOT) {
			if (i + 1 < d->nt && !(F(i + 1) & NF_TITLE))
				take(d, i + 1, 3, V_CUE, 1);
			continue;
		}
		/* a signature in lowercase, ending its line: "anita morris rn", "q. lander rrt" */
		d->reason = NR_CRED;
		if ((f & NF_CRED) && !t->cap && !d->lower && (t->gap == G_NL || t->gap == G_END) &&
		    i > 0 && d->t[i - 1].gap == G_SPACE && lower_after_title(d, i - 1)) {
			for (j = i - 1, k = 0; j > 0 && k < 2 && ((d->t[j - 1].gap == G_SPACE &&
			    lower_after_title(d, j - 1)) || (d->t[j - 1].gap == G_DOT &&
			    d->t[j - 1].one && !d->t[j - 1].cap)); j--, k++)
				;
			for (; j < i; j++)
				MARK(d, j, 1);
			continue;
		}
		/* credentials after a name: "Kattie Considine, MD" */
		if ((f & NF_CRED) && (t->cap || t->allcaps) && i > 0 &&
		    (d->t[i - 1].gap == G_COMMA || d->t[i - 1].gap == G_SPACE)) {
			for (j = i, k = 0; j > 0 && k < 3 && namelike(d, j - 1, V_STRONG) &&
			    (j == i || d->t[j - 1].gap == G_SPACE ||
			    (d->t[j - 1].gap == G_DOT && d->t[j - 1].one)); j--, k++)
				;
			for (; j < i; j++)
				if (!d->mark[j])
					MARK(d, j, 1);
			continue;
		}
		/* a verb after a name: "Axel reports", "Ginger Kovacek was the driver" */
		d->reason = NR_VERB;
		if ((f & NF_VERB) && (!t->cap || (t->allcaps && i > 0 && d->t[i - 1].allcaps &&
		    i > 1 && d->t[i - 2].one && d->t[i - 2].gap == G_DOT)) && i > 0 &&
		    d->t[i - 1].gap == G_SPACE &&
		    !d->mark[i - 1] && namelike(d, i - 1, V_CUE) && d->t[i - 1].cap) {
			/* in capitals only after an initial: "E. WELSH AWARE" */
			MARK(d, i - 1, 1);
			for (j = i - 1, k = 0; j > 0 && k < 2 && (d->t[j - 1].gap == G_SPACE ||
			    (d->t[j - 1].gap == G_DOT && d->t[j - 1].one)) &&
			    d->t[j - 1].cap && !d->t[j - 1].ndig && !HARDNOT(j - 1) &&
			    !(F(j - 1) & (NF_TITLE | NF_CUE | NF_REL | NF_LABEL | NF_CRED)) &&
			    (namelike(d, j - 1, V_CUE) || j - 1 == 0 ||
			    d->t[j - 2].gap != G_SPACE); j--, k++)
				MARK(d, j - 1, 1);
			continue;
		}
		if (d->mark[i])
			continue;
		/* A first name that is no English word: Rita, Georgianna */
		d->reason = NR_FIRST;
		if ((f & NF_FIRST) && !(f & (NF_ENG | NF_NOT)) && (t->cap || d->lower) &&
		    !t->one && (!t->allcaps || d->lower)) {
			take(d, i, 4, V_CUE, 0);
			continue;
		}
		/*
		 * Two capitalized words, one of them no English word and one a
		 * name or both unknown: Jacinthe Kozey, Ivy Corwin, Lilyan Collier.
		 */
		/* the word after, over particles: "Hiroshi van der Berg" */
		for (j = i + 1, k = 0; j < d->nt && k < 3 && particle(d, j); j++, k++)
			;
		if (t->allcaps && !(f & NF_FIRST))
			;	/* an acronym: the pair rule below needs a first name */
		else if (t->cap && !t->one && t->gap == G_SPACE && j < d->nt &&
		    d->t[j].cap && !d->t[j].one && namelike(d, i, V_DICT) &&
		    namelike(d, j, V_DICT) && t->allcaps == d->t[j].allcaps &&
		    (((!(f & NF_ENG) || !(F(j) & NF_ENG)) &&
		    ((ISNAME(i) || ISNAME(j)) || !((f | F(j)) & NF_ENG)) &&
		    (!t->allcaps || ISNAME(i) || ISNAME(j))) ||
		    /* "Grace King": a first name, then a surname, both also words */
		    (!t->allcaps && (f & NF_FIRST) && (F(j) & NF_LAST)))) {
			d->reason = NR_PAIR;
			for (; i < j; i++)
				MARK(d, i, 1);
			take(d, j, 2, V_CONT, 0);
			continue;
		}
		/* LAST, FIRST: Smitham, Perry */
		if (t->cap && t->gap == G_COMMA && i + 1 < d->nt && d->t[i + 1].cap &&
		    !d->t[i + 1].ndig && !t->one && !d->t[i + 1].one &&
		    t->allcaps == d->t[i + 1].allcaps &&
		    !HARDNOT(i) && !HARDNOT(i + 1) && !(f & NF_NOT) &&
		    !((f | F(i + 1)) & (NF_TITLE | NF_CRED | NF_CUE | NF_REL | NF_LABEL)) &&
		    (((f & NF_LAST) || !(f & NF_ENG)) && ((F(i + 1) & NF_FIRST) ||
		    !(F(i + 1) & NF_ENG))) && (ISNAME(i) || ISNAME(i + 1) ||
		    /* "LINDQVIST, MEERA": two unknown words in capitals */
		    (t->allcaps && t->e - t->s >= 4 && d->t[i + 1].e - d->t[i + 1].s >= 4))) {
			d->reason = NR_LASTFIRST;
			MARK(d, i, 1);
			MARK(d, i + 1, 1);
			i++;
			continue;
		}
	}
	/* Particles join the name they stand in: "van der Berg", "Ludwig van Beethoven". */
	for (i = 0; i < d->nt; i++) {
		if (!d->mark[i] || i == 0 || !particle(d, i - 1))
			continue;
		for (j = i; j > 0 && i - j < 3 && particle(d, j - 1); j--)
			;
		/* and the given name before them: "Pieter van der Berg" */
		if (j > 0 && d->t[j - 1].cap && d->t[j - 1].gap == G_SPACE && namelike(d, j - 1, V_CONT))
			j--;
		d->reason = NR_PARTICLE;
		for (; j < i; j++)
			MARK(d, j, 1);
	}
	/* Eponyms: Parkinson disease, Crohn's disease, Hodgkin lymphoma. */
	for (i = 0; i < d->nt; i++) {
		if (d->mark[i] != 1)
			continue;
		for (j = i; j + 1 < d->nt && d->mark[j + 1] == 1 && d->t[j].gap == G_SPACE; j++)
			;
		if ((j + 1 < d->nt && (F(j + 1) & NF_EPONYM) &&
		    (d->t[j].gap == G_SPACE || d->t[j].gap == G_DOT)) ||
		    (j >= i + 2 && (F(j) & NF_EPONYM) && !(F(i) & NF_FIRST)))
			/* "Glasgow Coma Scale" ends in one: no first name, no person */
			for (; i <= j; i++)
				d->mark[i] = 0;
		i = j;
	}
}

int
names_detect(const struct names *nm, const char *s, size_t n, struct ntoks *tk,
    names_fn fn, void *ctx)
{
	size_t i, j, nt = tk->n;
	struct det d;
	int rc = 0;

	if (!nm->enabled || nt == 0)
		return 0;
	if (tk->mcap < nt) {
		unsigned char *m = realloc(tk->mark, nt);
		if (m == NULL)
			return -1;
		tk->mark = m;
		tk->mcap = nt;
	}
	if (tk->wcap < nt) {
		unsigned char *m = realloc(tk->why, nt);
		if (m == NULL)
			return -1;
		tk->why = m;
		tk->wcap = nt;
	}
	memset(tk->mark, 0, nt);
	memset(tk->why, 0, nt);
	memset(&d, 0, sizeof(d));
	d.nm = nm;
	d.s = (const unsigned char *)s;
	d.n = n;
	d.t = tk->t;
	d.nt = nt;
	d.mark = tk->mark;
	d.why = tk->why;
	d.lower = tk->lower;
	detect(&d);
	for (i = 0; i < nt && rc == 0; i++) {
		if (!d.mark[i])
			continue;
		/* one finding per run of name words joined by spaces or initials */
		for (j = i; j + 1 < nt && d.mark[j + 1] &&
		    (d.t[j].gap == G_SPACE || (d.t[j].gap == G_DOT && d.t[j].one)); j++)
			;
		/*
		 * A title vouches for it ("names.cued"): one that is no English
		 * word (Dr, Mr, Mrs), or written as a title ("Ms.", "Sister" in
		 * mixed case), not "MS" in capitals (mental status) or "SISTER";
		 * so does a header label ("Name:") or "my name is".
		 */
		rc = fn(ctx, d.t[i].s, d.t[j].e, (d.why[i] == NR_TITLE && i > 0 &&
		    (!(d.t[i - 1].flags & NF_ENG) || d.t[i - 1].gap == G_DOT ||
		    (d.t[i - 1].cap && !d.t[i - 1].allcaps))) || d.why[i] == NR_LABEL ?
		    "names.cued" : "names");
		i = j;
	}
	return rc;
}

/* ---- places ---- */

/* Whether word t of s is one of the list's words, in any case. */
static int
is_word(const unsigned char *s, const struct tok *t, const struct strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (tok_is(s, t, l->v[i]))
			return 1;
	return 0;
}

/* Words i and i + 1, joined by one space, are one of the list's two-word names. */
static int
is_pair(const unsigned char *s, const struct tok *t, const struct strlist *l)
{
	size_t i, a = t[0].e - t[0].s, b = t[1].e - t[1].s;

	if (t[1].s != t[0].e + 1 || s[t[0].e] != ' ')
		return 0;
	for (i = 0; i < l->n; i++)
		if (strlen(l->v[i]) == a + 1 + b &&
		    strncasecmp((const char *)s + t[0].s, l->v[i], a + 1 + b) == 0)
			return 1;
	return 0;
}

/* A word's flags, the big dictionary's too (a lowercase word in mixed case was not looked up). */
static unsigned
tok_flags(const struct names *nm, const char *text, struct tok *t)
{
	if (!t->looked && !t->ndig) {
		t->flags |= dict_flags(nm, text, t->s, t->e, t->hash);
		t->looked = 1;
	}
	return t->flags;
}

/*
 * A facility's name where case tells nothing, before a head written in
 * lowercase or capitals: "to sacred heart hospital", "from franklin square
 * hosp". Up to three words back; the name starts at a word that is no
 * English word (nor medical, unless a name or a town: "franklin") or at a
 * facility word, and common words inside it are carried ("square"). It
 * needs such a word, or two facility words ("sacred heart"): "the county
 * hospital", "outside hosp", "UNION HOSP" stay (the gazetteer is no help
 * here: "of" and "same" are towns). The first word's index, or i if none.
 */
static size_t
plain_facility(const struct names *nm, const char *text, struct tok *t, size_t i)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t j, start = i, fac = 0, proper = 0, k;

	for (j = i, k = 0; j > 0 && k < 3 && t[j - 1].gap == G_SPACE && !t[j - 1].ndig &&
	    !t[j - 1].one && t[j - 1].allcaps == t[i].allcaps && t[j - 1].cap == t[i].cap; j--, k++) {
		struct tok *w = &t[j - 1];
		unsigned f = tok_flags(nm, text, w);
		if ((f & (NF_TITLE | NF_CUE | NF_REL | NF_LABEL | NF_CRED | NF_VERB | NF_NOT |
		    NF_PARTICLE)) || is_word(s, w, &nm->conf->place_cues) ||
		    is_word(s, w, &nm->conf->facility_heads) || w->e - w->s < 2)
			break;
		if (f & NF_FAC)
			fac++, start = j - 1;
		else if (!(f & NF_ENG) && (!(f & NF_MED) || (f & (NF_FIRST | NF_LAST | NF_GEO))))
			proper++, start = j - 1;
	}
	return proper > 0 || fac >= 2 ? start : i;
}

/* A word that may open a facility's name before its head: "Harbor", "HARFORD". */
static int
facility_word(const struct names *nm, const unsigned char *s, const struct tok *t, int sentence_start)
{
	unsigned f = t->flags;

	if (!t->cap || t->ndig || t->one || is_word(s, t, &nm->conf->place_cues) ||
	    (f & (NF_TITLE | NF_CUE | NF_REL | NF_LABEL | NF_CRED | NF_VERB | NF_NOT)))
		return 0;
	if (f & NF_FAC)
		return 1;	/* "General Hospital", "County Memorial" */
	if (f & NF_MED)
		return 0;
	/* an English word: only as a proper noun, mid-sentence in mixed case */
	return !(f & NF_ENG) || (!t->allcaps && !sentence_start);
}

int
names_places(const struct names *nm, const char *text, size_t n, struct ntoks *tk,
    names_fn fn, void *ctx)
{
	const unsigned char *s = (const unsigned char *)text;
	struct tok *t = tk->t;
	size_t i, j, k, nt = tk->n;
	int rc = 0;

	if (!nm->enabled || nm->conf == NULL)
		return 0;
	for (i = 0; i < nt && rc == 0; i++) {
		/* a town after "in", "from": looked up here, lowercase too */
		if (i + 1 < nt && t[i].gap == G_SPACE && is_word(s, &t[i], &nm->conf->place_cues)) {
			struct tok *w = &t[i + 1];
			unsigned f = w->flags | (w->ndig ? 0 :
			    dict_flags(nm, text, w->s, w->e, w->hash));
			if (!w->ndig && w->e - w->s >= 4 && (f & NF_GEO) &&
			    !(f & (NF_ENG | NF_MED | NF_TITLE | NF_CUE | NF_REL | NF_LABEL | NF_NOT)) &&
			    (w->cap || !w->allcaps) && (rc = fn(ctx, w->s, w->e, "places")) != 0)
				break;
		}
		if (i + 1 < nt && t[i].cap && t[i + 1].cap && !t[i].ndig && !t[i + 1].ndig &&
		    is_pair(s, &t[i], &nm->conf->facility_names)) {
			rc = fn(ctx, t[i].s, t[i + 1].e, "places");
			i++;
			continue;
		}
		if (t[i].ndig || !is_word(s, &t[i], &nm->conf->facility_heads))
			continue;
		if (!t[i].cap || t[i].allcaps) {
			if ((j = plain_facility(nm, text, t, i)) < i &&
			    (rc = fn(ctx, t[j].s, t[i].e, "places")) != 0)
				break;
			if (j < i || !t[i].cap)
				continue;
		}
		/* back over up to three words of the name, joined by spaces */
		for (j = i, k = 0; j > 0 && k < 3 && (t[j - 1].gap == G_SPACE ||
		    (t[j - 1].gap == G_DOT && (t[j - 1].flags & NF_FAC))) &&	/* "St. Mary" */
		    t[j - 1].allcaps == t[i].allcaps &&
		    facility_word(nm, s, &t[j - 1], j - 1 == 0 || t[j - 2].gap == G_DOT ||
		    t[j - 2].gap == G_NL); j--, k++)
			;
		/* and a head after it: "Memorial Hospital" (two heads name one too) */
		while (i + 1 < nt && t[i].gap == G_SPACE && t[i + 1].cap && !t[i + 1].ndig &&
		    t[i + 1].allcaps == t[i].allcaps && is_word(s, &t[i + 1], &nm->conf->facility_heads))
			i++, k++;
		if (k > 0)
			rc = fn(ctx, t[j].s, t[i].e, "places");
	}
	return rc;
}
