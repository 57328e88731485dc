#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ner.h"

const char *const ner_label_names[NER__N] = {
	"O", "NAME", "LOC", "ADDR", "ZIP", "DATE", "PHONE", "AGE", "ID"
};

/* A cached word: its summed weights at each of the five positions. */
struct ner_cent {
	uint64_t key;
	float v[5][NER__N];
};

/* A feature's weights, cached: the few features of a token's place recur. */
struct ner_fent {
	uint64_t h;
	float v[NER__N];
};

#define CACHE_SLOTS 32768
#define FCACHE_SLOTS 32768
#define THR_DEFAULT 0.5
#define PROP_DEFAULT 0.9

/* ---- the model ---- */

static double
info_num(const char *info, const char *key, double def)
{
	const char *p = strstr(info, key);
	char *end;
	double v;

	if (p == NULL)
		return def;
	v = strtod(p + strlen(key), &end);
	return end == p + strlen(key) || !(v >= 0 && v <= 1) ? def : v;
}

int
ner_load(struct ner *nr, const char *path, struct phk_err *e)
{
	int k;

	memset(nr, 0, sizeof(*nr));
	if (clf_load(&nr->clf, path, NER_MODEL_NAME, e) < 0)
		return -1;
	for (k = 0; k < NER__N; k++)
		nr->lab[k] = clf_label(&nr->clf, ner_label_names[k]);
	if (nr->lab[NER_O] < 0) {
		phk_err_set(e, PHK_EXIT_USAGE, "model %s: has no label O", path);
		clf_release(&nr->clf);
		return -1;
	}
	/* the thresholds the training script chose travel in the model's note */
	nr->thr = info_num(nr->clf.info, "threshold=", THR_DEFAULT);
	nr->prop = info_num(nr->clf.info, "propagate=", PROP_DEFAULT);
	return 0;
}

void
ner_release(struct ner *nr)
{
	clf_release(&nr->clf);
	memset(nr, 0, sizeof(*nr));
}

void
ner_work_init(struct ner_work *w)
{
	memset(w, 0, sizeof(*w));
}

void
ner_work_release(struct ner_work *w)
{
	free(w->t);
	free(w->cache);
	free(w->fcache);
	memset(w, 0, sizeof(*w));
}

/* ---- tokens ---- */

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int
ascii_letter(unsigned char c)
{
	return (c | 32) >= 'a' && (c | 32) <= 'z';
}

/* "'s" closing a word: a possessive, no letter after it. */
static size_t
possessive(const unsigned char *s, size_t n, size_t i)
{
	if (i + 1 < n && s[i] == '\'' && (s[i + 1] | 32) == 's' &&
	    (i + 2 >= n || !names_letter(s, n, i + 2)))
		return 2;
	if (i + 3 < n && s[i] == 0xE2 && s[i + 1] == 0x80 && s[i + 2] == 0x99 &&
	    (s[i + 3] | 32) == 's' && (i + 4 >= n || !names_letter(s, n, i + 4)))
		return 4;
	return 0;
}

static size_t
scan_word(const unsigned char *s, size_t n, size_t i, unsigned *letters, unsigned *up,
    int *first_up)
{
	size_t k;

	*letters = *up = 0;
	*first_up = names_upper(s, n, i);
	while (i < n) {
		if ((k = names_letter(s, n, i)) > 0) {
			(*letters)++;
			*up += names_upper(s, n, i) != 0;
			i += k;
			continue;
		}
		/* O'Brien, Forman-Lyons; not a possessive */
		if ((s[i] == '\'' || s[i] == '-') && i + 1 < n && names_letter(s, n, i + 1) &&
		    !possessive(s, n, i)) {
			i++;
			continue;
		}
		if (s[i] == 0xE2 && i + 3 < n && s[i + 1] == 0x80 && s[i + 2] == 0x99 &&
		    names_letter(s, n, i + 3) && !possessive(s, n, i)) {
			i += 3;
			continue;
		}
		break;
	}
	return i;
}

/* Digits, with the separators dates, times and ranges use between them. */
static size_t
scan_number(const unsigned char *s, size_t n, size_t i)
{
	while (i < n) {
		if (is_digit(s[i])) {
			i++;
			continue;
		}
		if ((s[i] == '/' || s[i] == '-' || s[i] == '.' || s[i] == ':' || s[i] == ',') &&
		    i + 1 < n && is_digit(s[i + 1])) {
			i++;
			continue;
		}
		break;
	}
	/* an ordinal: 11th, 2nd */
	if (i + 1 < n && ((((s[i] | 32) == 's' && (s[i + 1] | 32) == 't')) ||
	    ((s[i] | 32) == 'n' && (s[i + 1] | 32) == 'd') ||
	    ((s[i] | 32) == 'r' && (s[i + 1] | 32) == 'd') ||
	    ((s[i] | 32) == 't' && (s[i + 1] | 32) == 'h')) &&
	    (i + 2 >= n || !names_letter(s, n, i + 2)))
		i += 2;
	return i;
}

/* What stands between two tokens: the first mark and the line breaks. */
static void
gap(const unsigned char *s, size_t a, size_t b, unsigned char *mark, unsigned char *nl)
{
	size_t i;

	*mark = a == b ? 0 : ' ';
	*nl = 0;
	for (i = a; i < b; i++) {
		unsigned char c = s[i];
		if (c == '\n') {
			if (*nl < 2)
				(*nl)++;
		} else if (c != ' ' && c != '\t' && c != '\r' && *mark == ' ')
			*mark = c < 0x80 ? c : 'u';
	}
}

static unsigned
word_flags(const struct names *nm, const char *s, size_t a, size_t b, uint64_t h)
{
	unsigned f, acc = 0, eng = NF_ENG;
	size_t i, st = a;

	if (!nm || !nm->enabled)
		return 0;
	if ((f = names_flags_hash(nm, h)) != 0 || memchr(s + a, '-', b - a) == NULL)
		return f;
	/* a hyphenated word: a name or a place if a part is, English if all are */
	for (i = a; i <= b; i++) {
		if (i < b && s[i] != '-')
			continue;
		f = i > st ? names_flags_hash(nm, names_hash(s + st, i - st)) : 0;
		acc |= f & (NF_FIRST | NF_LAST | NF_GEO | NF_GEOW | NF_FAC | NF_MED);
		if (!(f & NF_ENG))
			eng = 0;
		st = i + 1;
	}
	return acc | eng;
}

int
ner_tokenize(struct ner_work *w, const struct names *nm, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, prev = 0, line0 = 0, nw = 0, nup = 0, ncap = 0, k;
	uint64_t sec = 0;

	w->n = 0;
	while (i < n) {
		struct ner_tok *t;
		size_t st = i, en;
		unsigned letters = 0, up = 0;
		int first_up = 0, kind;

		if (is_digit(s[i])) {
			en = scan_number(s, n, i);
			kind = NT_NUM;
		} else if (names_letter(s, n, i)) {
			en = scan_word(s, n, i, &letters, &up, &first_up);
			kind = NT_WORD;
		} else {
			i++;
			continue;
		}
		if (ARRAY_RESERVE(w->t, w->cap, w->n + 1) < 0)
			return -1;
		t = &w->t[w->n];
		memset(t, 0, sizeof(*t));
		t->s = st;
		t->e = en;
		t->kind = (unsigned char)kind;
		gap(s, prev, st, &t->gbc, &t->gbn);
		if (w->n == 0)
			t->gbn = 1;	/* a text starts a line */
		if (t->gbn)
			line0 = w->n;
		t->wh = clf_hash(CLF_HASH_INIT, text + st, en - st);
		if (kind == NT_WORD) {
			t->lh = names_hash(text + st, en - st);
			t->flags = word_flags(nm, text, st, en, t->lh);
			t->cls = letters == 1 ? (first_up ? 'I' : 'i') : up == letters ? 'U' :
			    up == 0 ? 'L' : up == 1 && first_up ? 'C' : 'M';
			if (letters >= 2) {
				nw++;
				nup += up == letters;
				ncap += first_up;
			}
		} else {
			/* a decimal, a time, a thousands separator: a measurement */
			size_t dots = 0, other = 0;
			for (k = st; k < en; k++) {
				dots += s[k] == '.';
				other += s[k] == '/' || s[k] == '-';
				t->msr |= s[k] == ':' || s[k] == ',';
			}
			t->msr |= dots == 1 && other == 0;
			/* short numbers by value; longer ones are all alike */
			t->lh = en - st <= 5 ? t->wh : clf_hash_str(CLF_HASH_INIT, "#long");
			t->cls = 'N';
		}
		/* phi-scrub's own tags ("[NAME]", "[NAME-5c1f9a]") are no PHI */
		if (kind == NT_WORD && st > 0 && s[st - 1] == '[' && up == letters && en < n &&
		    (s[en] == ']' || s[en] == '-'))
			t->tag = 1;
		/* a header ("SOCIAL:", "Resp Care:") opens a section */
		if (w->n - line0 < 3) {
			for (k = en; k < n && (s[k] == ' ' || s[k] == '\t'); k++)
				;
			if (k < n && s[k] == ':' && kind == NT_WORD) {
				sec = w->t[line0].lh;
				for (k = line0; k < w->n; k++)
					w->t[k].sec = sec;
			}
		}
		t->sec = sec;
		if (w->n > 0 && t->gbn)
			w->t[w->n - 1].eol = 1;
		w->n++;
		prev = i = en;
		if ((k = possessive(s, n, i)) > 0)
			prev = i = i + k;
	}
	if (w->n)
		w->t[w->n - 1].eol = 1;
	/* how long each line is, and which is the last: signatures stand alone */
	for (i = 0; i < w->n; i = k) {
		for (k = i + 1; k < w->n && !w->t[k].gbn; k++)
			;
		for (line0 = i; line0 < k; line0++) {
			w->t[line0].lnt = (unsigned char)(k - i > 255 ? 255 : k - i);
			w->t[line0].last = k == w->n;
		}
	}
	w->style = nw >= 4 && nup * 10 >= nw * 6 ? 'A' : nw >= 6 && ncap * 20 <= nw ? 'L' : 'M';
	return 0;
}

void
ner_marks(struct ner_work *w, const struct ntoks *tk)
{
	size_t i, j = 0;
	uint32_t span = 0;
	int open = 0;

	for (i = 0; i < tk->n; i++) {
		if (!tk->mark || !tk->mark[i]) {
			open = 0;
			continue;
		}
		/* one name per run of marked words joined by spaces or initials */
		if (!open)
			span++;
		open = tk->t[i].gap == G_SPACE || tk->t[i].gap == G_COMMA ||
		    (tk->t[i].gap == G_DOT && tk->t[i].one);
		while (j < w->n && w->t[j].s < tk->t[i].s)
			j++;
		if (j < w->n && w->t[j].s == tk->t[i].s) {
			w->t[j].heur = tk->why[i] ? tk->why[i] : NR_PARTICLE + 1;
			w->t[j].hspan = span;
		}
	}
}

/* ---- features ---- */

/* Where the features of one token go: a vector (training) or scores. */
struct femit {
	unsigned nbits;
	struct clf_vec *x;
	const struct ner *nr;
	float *acc;		/* [NER__N] */
	struct ner_fent *fc;	/* scoring a token's place: the feature cache */
	int err;
};

static void
put(struct femit *f, uint64_t h)
{
	uint32_t idx = clf_index(f->nbits, h);
	const float *r;
	int k;

	if (f->x) {
		if (clf_vec_add(f->x, idx, 1.0f) < 0)
			f->err = 1;
		return;
	}
	if (f->fc) {
		struct ner_fent *c = &f->fc[(h ^ h >> 31) & (FCACHE_SLOTS - 1)];
		if (c->h != (h | 1)) {
			c->h = h | 1;
			memset(c->v, 0, sizeof(c->v));
			if ((r = clf_row(&f->nr->clf, idx)) != NULL)
				for (k = 0; k < NER__N; k++)
					if (f->nr->lab[k] >= 0)
						c->v[k] = r[f->nr->lab[k]];
		}
		for (k = 0; k < NER__N; k++)
			f->acc[k] += c->v[k];
		return;
	}
	if ((r = clf_row(&f->nr->clf, idx)) == NULL)
		return;
	for (k = 0; k < NER__N; k++)
		if (f->nr->lab[k] >= 0)
			f->acc[k] += r[f->nr->lab[k]];
}

/* A feature: its tag (position and kind), then its value's bytes. */
static uint64_t
fh(const char *tag, const void *v, size_t n)
{
	uint64_t h = clf_hash_str(CLF_HASH_INIT, tag);

	h = clf_hash(h, "=", 1);
	return clf_hash(h, v, n);
}

static uint64_t
fh64(const char *tag, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return fh(tag, b, 8);
}

/* A word's case against the note's: n as the note writes, c more capitals, i an initial. */
static unsigned char
rcls(const struct ner_tok *t, int style)
{
	switch (t->cls) {
	case 'N': return 'd';
	case 'I': case 'i': return 'i';
	case 'L': return 'n';
	case 'U': return style == 'A' ? 'n' : style == 'L' ? 'c' : 'u';
	default: return style == 'A' ? 'm' : 'c';
	}
}

/* The cue words it is (lib/names' lists), as a small mask. */
static unsigned char
cue_bits(unsigned f)
{
	return (unsigned char)(((f & NF_TITLE) != 0) | ((f & (NF_REL | NF_LABEL)) != 0) << 1 |
	    ((f & NF_CUE) != 0) << 2 | ((f & NF_CRED) != 0) << 3 | ((f & NF_VERB) != 0) << 4 |
	    ((f & NF_NOT) != 0) << 5 | ((f & NF_PARTICLE) != 0) << 6);
}

/* The lexicons a word is in, as one small number. */
static unsigned char
dict_combo(unsigned f)
{
	return (unsigned char)(((f & NF_FIRST) != 0) | ((f & NF_LAST) != 0) << 1 |
	    ((f & NF_ENG) != 0) << 2 | ((f & NF_MED) != 0) << 3 |
	    ((f & (NF_GEO | NF_GEOW)) != 0) << 4 | ((f & NF_GEO) != 0) << 5 |
	    ((f & NF_FAC) != 0) << 6);
}

/* The shape of a word: Xx, XX, x., d/dd; runs of a kind past two cut. */
static size_t
shape(const unsigned char *s, size_t a, size_t b, char *out, size_t cap)
{
	size_t i, k = 0, run = 0;
	char last = 0;

	for (i = a; i < b && k + 1 < cap; i++) {
		char c;
		if (s[i] >= 'A' && s[i] <= 'Z')
			c = 'X';
		else if (s[i] >= 'a' && s[i] <= 'z')
			c = 'x';
		else if (is_digit(s[i]))
			c = 'd';
		else if (s[i] >= 0x80) {
			if (s[i] < 0xC0)
				continue;	/* a continuation byte */
			c = names_upper(s, b, i) ? 'X' : 'x';
		} else
			c = (char)s[i];
		run = c == last ? run + 1 : 1;
		last = c;
		if (run > (c == 'd' ? 4 : 2))
			continue;
		out[k++] = c;
	}
	return k;
}

/* Reads up to three numbers and their separators: "6/30", "3-24-17". */
static int
groups(const unsigned char *s, size_t a, size_t b, long *v, int *len, char *sep)
{
	int g = 0;
	size_t i = a;

	while (i < b && g < 4) {
		long x = 0;
		int d = 0;
		while (i < b && is_digit(s[i]) && d < 9)
			x = x * 10 + (s[i++] - '0'), d++;
		if (d == 0)
			break;
		v[g] = x;
		len[g] = d;
		sep[g] = i < b ? (char)s[i] : 0;
		g++;
		if (i < b && !is_digit(s[i]))
			i++;
	}
	return g;
}

/* What a number could be: a day and month, a fraction, a year, a time. */
static const char *
num_kind(const unsigned char *s, size_t a, size_t b)
{
	long v[4] = { 0 };
	int len[4] = { 0 }, g;
	char sep[4] = { 0 };
	int ord = b - a >= 3 && !is_digit(s[b - 1]);

	g = groups(s, a, b, v, len, sep);
	if (g == 1) {
		if (ord)
			return v[0] >= 1 && v[0] <= 31 ? "ord-day" : "ord";
		if (len[0] == 4)
			return v[0] >= 1900 && v[0] <= 2099 ? "year" : "d4";
		if (len[0] >= 5)
			return len[0] == 5 ? "d5" : len[0] <= 7 ? "d6-7" : "d8+";
		if (len[0] == 3)
			return "d3";
		return v[0] == 0 ? "zero" : v[0] <= 12 ? "le12" : v[0] <= 31 ? "le31" :
		    v[0] <= 89 ? "le89" : "ge90";
	}
	if (sep[0] == ':')
		return "time";
	if (sep[0] == '.' && g == 2)
		return "decimal";
	if (sep[0] == ',')
		return "thousands";
	if (g == 2) {
		int md = v[0] >= 1 && v[0] <= 12 && v[1] >= 1 && v[1] <= 31;
		if (sep[0] == '/')
			return md && len[1] <= 2 ? (v[1] > v[0] || v[0] > 9 ? "md/" : "md/lo") :
			    v[0] >= 1 && v[0] <= 12 && len[1] == 2 ? "my/" :
			    v[0] >= 1 && v[0] <= 12 && len[1] == 4 ? "myyyy/" : "x/x";
		return md ? "md-" : v[0] < v[1] ? "rng-" : "x-x";
	}
	if (g == 3) {
		int md = v[0] >= 1 && v[0] <= 12 && v[1] >= 1 && v[1] <= 31;
		if (md && (len[2] == 2 || len[2] == 4) && sep[0] == sep[1])
			return sep[0] == '/' ? "mdy/" : sep[0] == '-' ? "mdy-" : "mdy.";
		if (len[0] == 4 && v[1] >= 1 && v[1] <= 12 && v[2] >= 1 && v[2] <= 31)
			return "ymd";
		return "x3";
	}
	return "x4";
}

static void
word_feats(struct femit *f, const char *text, const struct ner_tok *t, int style, int pos)
{
	const unsigned char *s = (const unsigned char *)text;
	static const unsigned cues[] = { NF_TITLE, NF_CUE, NF_CRED, NF_LABEL, NF_NOT, NF_EPONYM,
		NF_REL, NF_VERB, NF_PARTICLE };
	char tag[4] = { (char)('c' + pos), 0, 0, 0 };
	unsigned char v[4], dc = dict_combo(t->flags);
	size_t i, k, len = t->e - t->s;
	int ap = pos < 0 ? -pos : pos;

	tag[1] = 'w';
	put(f, fh64(tag, t->lh));
	tag[1] = 'd';
	v[0] = dc;
	v[1] = t->cls;
	v[2] = (unsigned char)style;
	put(f, fh(tag, v, ap == 2 ? 2 : 3));
	if (ap == 2)
		return;
	tag[1] = 'c';
	put(f, fh(tag, v + 1, 2));
	tag[1] = 'f';
	for (i = 0; i < sizeof(cues) / sizeof(cues[0]); i++)
		if (t->flags & cues[i]) {
			v[0] = (unsigned char)i;
			put(f, fh(tag, v, 1));
		}
	if (t->kind == NT_NUM) {
		const char *nk = num_kind(s, t->s, t->e);
		tag[1] = 'n';
		put(f, fh(tag, nk, strlen(nk)));
	}
	if (pos != 0)
		return;
	{
		char sh[40];
		size_t sn = shape(s, t->s, t->e, sh, sizeof(sh));
		tag[1] = 's';
		put(f, fh(tag, sh, sn));
	}
	tag[1] = 'D';
	put(f, fh(tag, &dc, 1));
	tag[1] = 'l';
	v[0] = (unsigned char)(len > 12 ? 12 : len);
	put(f, fh(tag, v, 1));
	if (t->kind == NT_WORD && len >= 4) {
		char low[8];
		/* prefixes and suffixes, ASCII case folded */
		for (k = 0; k < 4; k++)
			low[k] = (char)(ascii_letter(s[t->s + k]) ? s[t->s + k] | 32 : s[t->s + k]);
		tag[1] = 'p';
		tag[2] = '3';
		put(f, fh(tag, low, 3));
		for (k = 0; k < 4; k++)
			low[k] = (char)(ascii_letter(s[t->e - 4 + k]) ? s[t->e - 4 + k] | 32 :
			    s[t->e - 4 + k]);
		tag[1] = 'x';
		tag[2] = '2';
		put(f, fh(tag, low + 2, 2));
		tag[2] = '3';
		put(f, fh(tag, low + 1, 3));
		tag[2] = '4';
		put(f, fh(tag, low, 4));
	}
	if (t->kind == NT_WORD && len >= 4) {
		/* the letters' trigrams, with the word's edges: what names of a language share */
		char g[3];
		size_t a;
		tag[1] = 'g';
		tag[2] = 0;
		for (a = 0; a + 1 <= len && a < 24; a++) {
			for (k = 0; k < 3; k++) {
				size_t at = t->s + a + k;
				g[k] = a + k == 0 ? '^' : at - 1 >= t->e ? '$' :
				    (char)(ascii_letter(s[at - 1]) ? s[at - 1] | 32 : s[at - 1]);
			}
			put(f, fh(tag, g, 3));
		}
		for (k = 0; k < len && s[t->s + k] < 0x80; k++)
			;
		tag[1] = 'u';
		v[0] = k < len;
		put(f, fh(tag, v, 1));
	}
}

/* Beyond the text's ends. */
static void
edge_feats(struct femit *f, int pos)
{
	char tag[4] = { (char)('c' + pos), 'w', 0, 0 };

	put(f, fh(tag, "<edge>", 6));
}

/* What the token's place says: the gaps around it, the heuristics, the section. */
static void
tok_feats(struct femit *f, const struct ner_work *w, size_t i)
{
	const struct ner_tok *t = &w->t[i], *p = i > 0 ? t - 1 : NULL,
	    *nx = i + 1 < w->n ? t + 1 : NULL;
	unsigned char v[12], rc = rcls(t, w->style), dc = dict_combo(t->flags);

	v[0] = t->gbc;
	v[1] = t->gbn;
	put(f, fh("gb", v, 2));
	v[0] = nx ? nx->gbc : '$';
	v[1] = nx ? nx->gbn : 2;
	put(f, fh("ga", v, 2));
	v[0] = t->heur;
	v[1] = rc;
	put(f, fh("h", v, 2));
	v[0] = t->heur != 0;
	v[1] = w->style;
	v[2] = t->cls;
	put(f, fh("hs", v, 3));
	v[0] = p ? p->heur != 0 : 2;
	v[1] = nx ? nx->heur != 0 : 2;
	v[2] = t->heur != 0;
	put(f, fh("hn", v, 3));
	v[0] = t->gbn > 0;
	v[1] = t->eol;
	v[2] = rc;
	put(f, fh("pl", v, 3));
	/* a short line (a signature, a header), the note's last, with what this word is */
	v[0] = t->lnt > 6 ? 7 : t->lnt;
	v[1] = t->last;
	v[2] = rc;
	v[3] = dc;
	put(f, fh("ln", v, 4));
	if (t->sec)
		put(f, fh64("sec", t->sec));
	/* the cues on either side, with what this word is */
	v[0] = p ? cue_bits(p->flags) : 255;
	v[1] = p ? p->gbc : '$';
	v[2] = t->gbc;
	v[3] = dc;
	v[4] = rc;
	put(f, fh("pc", v, 5));
	v[0] = nx ? cue_bits(nx->flags) : 255;
	v[1] = nx ? nx->gbc : '$';
	put(f, fh("nc", v, 5));
	/* the lexicons of the neighbours, with this one's: "Grace King", "KING, GRACE" */
	v[0] = p ? dict_combo(p->flags) : 255;
	v[1] = p ? rcls(p, w->style) : '$';
	v[2] = t->gbc;
	v[3] = dc;
	v[4] = rc;
	put(f, fh("pd", v, 5));
	v[0] = nx ? dict_combo(nx->flags) : 255;
	v[1] = nx ? rcls(nx, w->style) : '$';
	v[2] = nx ? nx->gbc : '$';
	put(f, fh("nd", v, 5));
}

int
ner_skip(const struct ner_work *w, size_t i)
{
	const struct ner_tok *t = &w->t[i];
	unsigned lists = NF_FIRST | NF_LAST | NF_GEO | NF_GEOW | NF_FAC;

	if (t->tag)
		return 1;
	if (t->kind == NT_NUM)
		return t->msr;
	if (t->heur)
		return 0;
	if ((t->flags & (NF_TITLE | NF_LABEL | NF_CRED | NF_REL)) && !(t->flags & (NF_FIRST | NF_LAST)))
		return 1;
	/* "ward", "will" in a note in mixed case: words; names there are capitalized */
	if (w->style == 'M' && t->cls == 'L')
		lists = NF_FAC;
	/* and a sentence's first word is capitalized whatever it is: "Many people..." */
	if (w->style == 'M' && t->cls == 'C' &&
	    (t->gbn > 0 || (t->gbc && strchr(".!?:;\"", t->gbc))))
		return (t->flags & (NF_ENG | NF_MED)) && !(t->flags & NF_FAC);
	return (t->flags & (NF_ENG | NF_MED)) && !(t->flags & lists) && rcls(t, w->style) == 'n';
}

int
ner_vector(const struct ner_work *w, const char *s, size_t i, unsigned nbits, struct clf_vec *x)
{
	struct femit f;
	int p;

	memset(&f, 0, sizeof(f));
	f.nbits = nbits;
	f.x = x;
	clf_vec_reset(x);
	for (p = -2; p <= 2; p++) {
		if ((p < 0 && i < (size_t)-p) || i + (size_t)(p > 0 ? p : 0) >= w->n)
			edge_feats(&f, p);
		else
			word_feats(&f, s, &w->t[(size_t)((long)i + p)], w->style, p);
	}
	tok_feats(&f, w, i);
	return f.err ? -1 : 0;
}

/* ---- classifying ---- */

static const struct ner_cent *
cached(const struct ner *nr, struct ner_work *w, const char *s, const struct ner_tok *t)
{
	uint64_t key = t->wh ^ (uint64_t)w->style * 0x9E3779B97F4A7C15ull;
	struct ner_cent *c;
	struct femit f;
	int p;

	if (key == 0)
		key = 1;
	c = &w->cache[(key ^ key >> 29) & w->cmask];
	if (c->key == key)
		return c;
	c->key = key;
	memset(&f, 0, sizeof(f));
	f.nbits = nr->clf.nbits;
	f.nr = nr;
	for (p = -2; p <= 2; p++) {
		memset(c->v[p + 2], 0, sizeof(c->v[p + 2]));
		f.acc = c->v[p + 2];
		word_feats(&f, s, t, w->style, p);
	}
	return c;
}

static void
classify(const struct ner *nr, struct ner_work *w, const char *s, size_t i, double *prob)
{
	float acc[NER__N];
	struct femit f;
	double sum = 0;
	int p, k;

	for (k = 0; k < NER__N; k++)
		acc[k] = nr->lab[k] >= 0 ? nr->clf.bias[nr->lab[k]] : -30.0f;
	memset(&f, 0, sizeof(f));
	f.nbits = nr->clf.nbits;
	f.nr = nr;
	f.acc = acc;
	f.fc = w->fcache;
	for (p = -2; p <= 2; p++) {
		if ((p < 0 && i < (size_t)-p) || i + (size_t)(p > 0 ? p : 0) >= w->n)
			edge_feats(&f, p);
		else {
			const struct ner_cent *c = cached(nr, w, s, &w->t[(size_t)((long)i + p)]);
			for (k = 0; k < NER__N; k++)
				acc[k] += c->v[p + 2][k];
		}
	}
	tok_feats(&f, w, i);
	/* liblinear's probabilities for one-vs-rest logistic regression */
	for (k = 0; k < NER__N; k++) {
		prob[k] = nr->lab[k] >= 0 ? 1 / (1 + (double)expf(-acc[k])) : 0;
		sum += prob[k];
	}
	for (k = 0; k < NER__N; k++)
		prob[k] /= sum;
}

/* Two tokens of one finding: in one line, close, the same label. */
static int
joins(const struct ner_tok *b)
{
	return b->gbn == 0 && (b->gbc == 0 || b->gbc == ' ' || b->gbc == '.' || b->gbc == '-' ||
	    b->gbc == '\'');
}

/*
 * What a label needs of a token's shape. Identifiers are the rules': they
 * have shapes to check. A piece of a phone number has three digits or
 * more (the number seven: see ner_find), a postal code four, an age over
 * 89 is a number from 90 up or a word, a date is no year alone.
 */
static int
shape_fits(const struct ner_tok *t, const char *s, int label)
{
	size_t i, d = 0;
	long v = 0;

	if (label == NER_ID)
		return 0;
	if (t->kind != NT_NUM)
		/* "garage B." is no place: an initial is a name's only */
		return label != NER_PHONE && label != NER_ZIP && (label == NER_NAME || t->cls == 'N' ||
		    (t->cls != 'I' && t->cls != 'i'));
	for (i = t->s; i < t->e; i++)
		if (s[i] >= '0' && s[i] <= '9') {
			d++;
			v = v < 100000 ? v * 10 + (s[i] - '0') : v;
		}
	if (label == NER_PHONE)
		return d >= 3;
	if (label == NER_ZIP)
		return d >= 4;
	if (label == NER_AGE)
		return d == t->e - t->s && v >= 90 && v <= 130;
	/* a year alone is no date: Safe Harbor keeps years */
	if (label == NER_DATE && d == 4 && d == t->e - t->s)
		return 0;
	return 1;
}

int
ner_find(const struct ner *nr, struct ner_work *w, const char *s, ner_fn fn, void *ctx)
{
	size_t i, j, k, run = 0;
	int lab = NER_O, rc;
	double pmin = 1;

	if (w->cache == NULL) {
		if ((w->cache = calloc(CACHE_SLOTS, sizeof(*w->cache))) == NULL ||
		    (w->fcache = calloc(FCACHE_SLOTS, sizeof(*w->fcache))) == NULL)
			return -1;
		w->cmask = CACHE_SLOTS - 1;
	}
	if (w->cached_for != nr) {
		memset(w->cache, 0, CACHE_SLOTS * sizeof(*w->cache));
		memset(w->fcache, 0, FCACHE_SLOTS * sizeof(*w->fcache));
		w->cached_for = nr;
	}
	for (i = 0; i < w->n; i++) {
		double prob[NER__N];
		int best = NER_O, l;
		if (ner_skip(w, i)) {
			w->t[i].lab = NER_O;
			w->t[i].p = 0;
			continue;
		}
		classify(nr, w, s, i, prob);
		for (l = 1; l < NER__N; l++)
			if (prob[l] >= nr->thr && (best == NER_O || prob[l] > prob[best]) &&
			    shape_fits(&w->t[i], s, l))
				best = l;
		w->t[i].lab = (unsigned char)best;
		w->t[i].p = (float)prob[best == NER_O ? NER_NAME : best];
	}
	/*
	 * After a title, a relation or a header label ("Dr.", "husband",
	 * "Name:"), a word no lexicon knows is a name whatever the model
	 * thought: the cue is the evidence, and no word of the language is there;
	 * nor one that is a first name too, but no verb ("son bill called").
	 */
	for (i = 0; i < w->n; i++) {
		struct ner_tok *t = &w->t[i];
		if (t->lab == NER_O && t->kind == NT_WORD && t->cls != 'I' && t->cls != 'i' &&
		    (t->heur == NR_TITLE || t->heur == NR_REL || t->heur == NR_LABEL) &&
		    !(t->flags & (NF_NOT | NF_GEO | NF_FAC | NF_VERB)) && !t->tag &&
		    (!(t->flags & (NF_ENG | NF_MED)) || ((t->flags & NF_FIRST) && t->e - t->s >= 3))) {
			t->lab = NER_NAME;
			t->p = (float)(nr->prop > t->p ? nr->prop : t->p);
		}
	}
	/* a name the heuristics found whole is a name whole once the model agrees */
	for (i = 0; i < w->n; i = j) {
		float top = 0;
		for (j = i; j < w->n && w->t[j].hspan && w->t[j].hspan == w->t[i].hspan; j++)
			if (w->t[j].lab == NER_NAME && w->t[j].p > top)
				top = w->t[j].p;
		if (j == i) {
			j++;
			continue;
		}
		for (; top > 0 && i < j; i++)
			if (w->t[i].lab == NER_O) {
				w->t[i].lab = NER_NAME;
				w->t[i].p = top;
			}
	}
	/* a phone number has seven digits or more, in one piece or several */
	for (i = 0; i < w->n; i = j) {
		size_t d = 0;
		for (j = i; j < w->n && w->t[j].lab == NER_PHONE && (j == i || joins(&w->t[j])); j++)
			for (k = w->t[j].s; k < w->t[j].e; k++)
				d += s[k] >= '0' && s[k] <= '9';
		if (j == i) {
			j++;
			continue;
		}
		for (k = i; d < 7 && k < j; k++)
			w->t[k].lab = NER_O;
	}
	/* Parkinson disease, Crohn's disease: a name before an eponym's noun is none */
	for (i = 0; i < w->n; i = j) {
		for (j = i + 1; w->t[i].lab == NER_NAME && j < w->n && w->t[j].lab == NER_NAME &&
		    joins(&w->t[j]); j++)
			;
		if (w->t[i].lab == NER_NAME && j < w->n && (w->t[j].flags & NF_EPONYM) &&
		    w->t[j].gbn == 0 && w->t[j].lab == NER_O)
			for (k = i; k < j; k++)
				w->t[k].lab = NER_O;
	}
	for (i = 0; i <= w->n; i++) {
		int best = i < w->n ? w->t[i].lab : NER_O;
		if (lab != NER_O && (i == w->n || best != lab || !joins(&w->t[i]))) {
			if ((rc = fn(ctx, w->t[run].s, w->t[i - 1].e, lab, pmin)) != 0)
				return rc;
			lab = NER_O;
		}
		if (best != NER_O && lab == NER_O) {
			lab = best;
			run = i;
			pmin = w->t[i].p;
		} else if (best != NER_O && w->t[i].p < pmin)
			pmin = w->t[i].p;
	}
	return 0;
}
