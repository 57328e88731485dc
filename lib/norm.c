#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "norm.h"

/* ---- tables ---- */

/*
 * Cyrillic and Greek letters that UTS #39's confusables.txt maps to a
 * single Latin letter, for words that mix them with Latin ones.
 */
static const struct conf {
	uint32_t cp;
	char to;
} confusables[] = {
	{ 0x0391, 'A' }, { 0x0392, 'B' }, { 0x0395, 'E' }, { 0x0396, 'Z' }, { 0x0397, 'H' },
	{ 0x0399, 'I' }, { 0x039A, 'K' }, { 0x039C, 'M' }, { 0x039D, 'N' }, { 0x039F, 'O' },
	{ 0x03A1, 'P' }, { 0x03A4, 'T' }, { 0x03A5, 'Y' }, { 0x03A7, 'X' }, { 0x03B1, 'a' },
	{ 0x03B9, 'i' }, { 0x03BD, 'v' }, { 0x03BF, 'o' }, { 0x03C1, 'p' }, { 0x03C5, 'u' },
	{ 0x0405, 'S' }, { 0x0406, 'I' }, { 0x0408, 'J' }, { 0x0410, 'A' }, { 0x0412, 'B' },
	{ 0x0415, 'E' }, { 0x041A, 'K' }, { 0x041C, 'M' }, { 0x041D, 'H' }, { 0x041E, 'O' },
	{ 0x0420, 'P' }, { 0x0421, 'C' }, { 0x0422, 'T' }, { 0x0423, 'Y' }, { 0x0425, 'X' },
	{ 0x0430, 'a' }, { 0x0435, 'e' }, { 0x043E, 'o' }, { 0x0440, 'p' }, { 0x0441, 'c' },
	{ 0x0443, 'y' }, { 0x0445, 'x' }, { 0x0455, 's' }, { 0x0456, 'i' }, { 0x0458, 'j' },
	{ 0x04AE, 'Y' }, { 0x04AF, 'y' }, { 0x04BA, 'h' }, { 0x04BB, 'h' }, { 0x04C0, 'l' },
	{ 0x04CF, 'l' }, { 0x0500, 'd' }, { 0x0501, 'd' }, { 0x051B, 'q' }, { 0x051D, 'w' },
};

static int
confusable(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(confusables) / sizeof(confusables[0]);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (confusables[mid].cp == cp)
			return confusables[mid].to;
		if (confusables[mid].cp < cp)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* HTML's named entities that prose uses; the rest by number. */
static const struct ent {
	const char *name;
	uint32_t cp;
} entities[] = {
	{ "amp", '&' }, { "apos", '\'' }, { "bull", 0x2022 }, { "gt", '>' },
	{ "hellip", 0x2026 }, { "laquo", 0xAB }, { "ldquo", 0x201C }, { "lsquo", 0x2018 },
	{ "lt", '<' }, { "mdash", 0x2014 }, { "middot", 0xB7 }, { "minus", 0x2212 },
	{ "nbsp", 0xA0 }, { "ndash", 0x2013 }, { "quot", '"' }, { "raquo", 0xBB },
	{ "rdquo", 0x201D }, { "rsquo", 0x2019 }, { "shy", 0xAD }, { "thinsp", 0x2009 },
	{ "zwj", 0x200D }, { "zwnj", 0x200C },
};

/* HTML elements that sit inside a line of text: dropped without a trace. */
static const char *const inline_tags[] = {
	"a", "abbr", "b", "bdi", "bdo", "cite", "code", "del", "dfn", "em", "font", "i",
	"ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
	"sup", "tt", "u", "var",
};

/* ---- output ---- */

void
norm_init(struct norm *nm)
{
	memset(nm, 0, sizeof(*nm));
	buf_init(&nm->out, (size_t)UINT32_MAX - 64);
}

void
norm_release(struct norm *nm)
{
	buf_release(&nm->out);
	free(nm->ms);
	free(nm->me);
	memset(nm, 0, sizeof(*nm));
}

static int
emit(struct norm *nm, const void *p, size_t k, size_t ss, size_t se)
{
	size_t at = nm->out.len, i;

	if (nm->out.len + k + 1 > nm->mcap) {
		size_t cap = nm->mcap ? nm->mcap : 256;
		uint32_t *a, *b;
		while (cap < nm->out.len + k + 1)
			cap *= 2;
		if ((a = realloc(nm->ms, cap * sizeof(*a))) == NULL)
			return -1;
		nm->ms = a;
		if ((b = realloc(nm->me, cap * sizeof(*b))) == NULL)
			return -1;
		nm->me = b;
		nm->mcap = cap;
	}
	if (buf_add(&nm->out, p, k) < 0)
		return -1;
	for (i = at; i < at + k; i++) {
		nm->ms[i] = (uint32_t)ss;
		nm->me[i] = (uint32_t)se;
	}
	return 0;
}

static int
emitc(struct norm *nm, char c, size_t ss, size_t se)
{
	return emit(nm, &c, 1, ss, se);
}

static int
last_is_space(const struct norm *nm)
{
	return nm->out.len > 0 && nm->out.p[nm->out.len - 1] == ' ';
}

/* ---- one code point, after NFKC ---- */

struct st {
	struct norm *nm;
	unsigned flags;
	const unsigned char *s;
	size_t n;
	size_t word_end;	/* the word the scan is in ends here */
	int word_latin;		/* and has a Latin letter */
};

static int
is_letter_cp(uint32_t cp)
{
	utf8proc_category_t c;

	if (cp < 0x80)
		return ((cp | 32) >= 'a' && (cp | 32) <= 'z');
	c = utf8proc_category((utf8proc_int32_t)cp);
	return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_ME);
}

/* Where the word starting at i ends, and whether it has a Latin letter. */
static void
scan_word(struct st *t, size_t i)
{
	int latin = 0;

	while (i < t->n) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;
		if (t->s[i] < 0x80) {
			if (!is_letter_cp(t->s[i]))
				break;
			latin = 1;
			i++;
			continue;
		}
		k = utf8proc_iterate(t->s + i, (utf8proc_ssize_t)(t->n - i), &cp);
		if (k <= 0 || !is_letter_cp((uint32_t)cp))
			break;
		i += (size_t)k;
	}
	t->word_end = i;
	t->word_latin = latin;
}

static int
put_utf8(struct norm *nm, uint32_t cp, size_t ss, size_t se)
{
	utf8proc_uint8_t u[4];
	utf8proc_ssize_t k = utf8proc_encode_char((utf8proc_int32_t)cp, u);

	return emit(nm, u, (size_t)k, ss, se);
}

/* A code point as the shadow has it (NFKC already applied). */
static int
put_cp(struct st *t, uint32_t cp, size_t ss, size_t se)
{
	struct norm *nm = t->nm;
	utf8proc_category_t cat;
	int c;

	if (cp < 0x80) {
		if ((t->flags & NORM_SPACE) && (cp == ' ' || cp == '\t')) {
			if (last_is_space(nm))
				return 0;
			cp = ' ';
		}
		return emitc(nm, (char)cp, ss, se);
	}
	cat = utf8proc_category((utf8proc_int32_t)cp);
	if ((t->flags & NORM_FORMAT) && cat == UTF8PROC_CATEGORY_CF)
		return 0;
	if (t->flags & NORM_PUNCT) {
		if (cat == UTF8PROC_CATEGORY_ZS)
			return (t->flags & NORM_SPACE) && last_is_space(nm) ? 0 : emitc(nm, ' ', ss, se);
		if (cat == UTF8PROC_CATEGORY_ZL || cat == UTF8PROC_CATEGORY_ZP)
			return emitc(nm, '\n', ss, se);
		if (cat == UTF8PROC_CATEGORY_PD || cp == 0x2212 || cp == 0x2043)
			return emitc(nm, '-', ss, se);
		switch (cp) {
		case 0x2018: case 0x2019: case 0x201A: case 0x201B: case 0x2032: case 0x2035:
		case 0x02BC:
			return emitc(nm, '\'', ss, se);
		case 0x201C: case 0x201D: case 0x201E: case 0x201F: case 0x2033: case 0x2036:
		case 0x00AB: case 0x00BB:
			return emitc(nm, '"', ss, se);
		}
	}
	if ((t->flags & NORM_CONFUSABLE) && t->word_latin && ss < t->word_end &&
	    (c = confusable(cp)) != 0)
		return emitc(nm, (char)c, ss, se);
	return put_utf8(nm, cp, ss, se);
}

/*
 * A base code point and the combining marks after it, s[ss..se): composed
 * (NFC, or NFKC under NORM_COMPAT), then each code point put.
 */
static int
put_cluster(struct st *t, size_t ss, size_t se, int compat)
{
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t k, i;
	utf8proc_int32_t cp;
	int rc = 0;

	k = utf8proc_map(t->s + ss, (utf8proc_ssize_t)(se - ss), &m,
	    (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE | (compat ? UTF8PROC_COMPAT : 0)));
	if (k < 0) {
		/* not something utf8proc maps: the bytes as they were */
		return emit(t->nm, t->s + ss, se - ss, ss, se);
	}
	for (i = 0; i < k && rc == 0; ) {
		utf8proc_ssize_t l = utf8proc_iterate(m + i, k - i, &cp);
		if (l <= 0)
			break;
		rc = put_cp(t, (uint32_t)cp, ss, se);
		i += l;
	}
	free(m);
	return rc;
}

/* ---- markup ---- */

static int
is_word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z') || c >= 0x80;
}

/* An HTML tag at s[i] ('<'): its end past '>', or 0. *block: it breaks a line. */
static size_t
html_tag(const unsigned char *s, size_t n, size_t i, int *block)
{
	size_t j = i + 1, a, k;
	char name[16];

	if (j < n && (s[j] == '/' || s[j] == '!'))
		j++;
	if (j >= n || !((s[j] | 32) >= 'a' && (s[j] | 32) <= 'z'))
		return 0;
	for (a = j; j < n && j - a < sizeof(name) - 1 && (((s[j] | 32) >= 'a' && (s[j] | 32) <= 'z') ||
	    (s[j] >= '0' && s[j] <= '9')); j++)
		name[j - a] = (char)(s[j] | 32);
	name[j - a] = '\0';
	if (j < n && !(s[j] == '>' || s[j] == ' ' || s[j] == '/' || s[j] == '\t' || s[j] == '\n'))
		return 0;
	for (; j < n && j - i < 512 && s[j] != '>' && s[j] != '<'; j++)
		;
	if (j >= n || s[j] != '>')
		return 0;
	*block = 1;
	for (k = 0; k < sizeof(inline_tags) / sizeof(inline_tags[0]); k++)
		if (strcmp(name, inline_tags[k]) == 0)
			*block = 0;
	return j + 1;
}

/* An HTML entity at s[i] ('&'): its end past ';', or 0; *cp what it stands for. */
static size_t
html_entity(const unsigned char *s, size_t n, size_t i, uint32_t *cp)
{
	size_t j = i + 1, a, k;
	uint32_t v = 0;

	if (j < n && s[j] == '#') {
		int hex = ++j < n && (s[j] | 32) == 'x';
		j += (size_t)hex;
		for (a = j; j < n && j - a < 7; j++) {
			unsigned d = s[j] >= '0' && s[j] <= '9' ? s[j] - '0' :
			    hex && (s[j] | 32) >= 'a' && (s[j] | 32) <= 'f' ? (s[j] | 32) - 'a' + 10 : 99;
			if (d == 99)
				break;
			v = v * (hex ? 16 : 10) + d;
		}
		if (j == a || j >= n || s[j] != ';' || v == 0 || v > 0x10FFFF ||
		    (v >= 0xD800 && v <= 0xDFFF))
			return 0;
		*cp = v;
		return j + 1;
	}
	for (a = j; j < n && j - a < 8 && ((s[j] | 32) >= 'a' && (s[j] | 32) <= 'z'); j++)
		;
	if (j >= n || s[j] != ';' || j == a)
		return 0;
	for (k = 0; k < sizeof(entities) / sizeof(entities[0]); k++)
		if (strlen(entities[k].name) == j - a && memcmp(entities[k].name, s + a, j - a) == 0) {
			*cp = entities[k].cp;
			return j + 1;
		}
	return 0;
}

/* A code point from an entity: through NFKC and the rest, as if written. */
static int
put_decoded(struct st *t, uint32_t cp, size_t ss, size_t se)
{
	const utf8proc_property_t *pr;
	utf8proc_int32_t out[8];
	utf8proc_ssize_t k, i;

	if (cp >= 0x80 && (t->flags & NORM_COMPAT) &&
	    (pr = utf8proc_get_property((utf8proc_int32_t)cp))->decomp_type != 0) {
		k = utf8proc_decompose_char((utf8proc_int32_t)cp, out, 8,
		    (utf8proc_option_t)(UTF8PROC_COMPAT), NULL);
		for (i = 0; i < k && i < 8; i++)
			if (put_cp(t, (uint32_t)out[i], ss, se) < 0)
				return -1;
		return 0;
	}
	return put_cp(t, cp, ss, se);
}

/* ---- the pass ---- */

/* Past the combining marks that start at s[i]. */
static size_t
marks_end(const unsigned char *s, size_t n, size_t i)
{
	while (i < n && s[i] >= 0x80) {
		utf8proc_int32_t cp;
		utf8proc_ssize_t l = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
		utf8proc_category_t cc;
		if (l <= 0)
			break;
		cc = utf8proc_category(cp);
		if (cc != UTF8PROC_CATEGORY_MN && cc != UTF8PROC_CATEGORY_MC &&
		    cc != UTF8PROC_CATEGORY_ME)
			break;
		i += (size_t)l;
	}
	return i;
}

/* Bytes that may change under flags; a text without any is its own shadow. */
static int
needs_work(const unsigned char *s, size_t n, unsigned flags)
{
	size_t i;
	int uni = (flags & NORM_TEXT) != 0, mk = (flags & NORM_MARKUP) != 0,
	    sp = (flags & NORM_SPACE) != 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c >= 0x80) {
			if (uni)
				return 1;
			continue;
		}
		if (mk && (c == '<' || c == '&' || c == '*' || c == '_' || c == '~' || c == '`' ||
		    c == '>' || c == '#'))
			return 1;
		if (sp && (c == '\t' || (c == ' ' && i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t'))))
			return 1;
	}
	return 0;
}

int
norm_run(struct norm *nm, const char *src, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)src;
	struct st t;
	size_t i = 0;
	int bol = 1;		/* at a line's start, before anything but blanks */

	nm->src = src;
	nm->srcn = n;
	nm->p = src;
	nm->n = n;
	nm->changed = 0;
	if (n >= (size_t)UINT32_MAX - 64) {
		errno = E2BIG;
		return -1;
	}
	if (!needs_work(s, n, flags))
		return 0;
	buf_reset(&nm->out);
	memset(&t, 0, sizeof(t));
	t.nm = nm;
	t.flags = flags;
	t.s = s;
	t.n = n;
	while (i < n) {
		unsigned char c = s[i];
		size_t j;

		if (i >= t.word_end && is_word_byte(c)) {
			/* a word starts (or a non-letter word char): know it before folding */
			if ((flags & NORM_CONFUSABLE) && c >= 0x80)
				scan_word(&t, i);
			else if ((flags & NORM_CONFUSABLE) && ((c | 32) >= 'a' && (c | 32) <= 'z'))
				scan_word(&t, i);
		}
		if (c < 0x80) {
			if (c == '\n') {
				bol = 1;
				if (emitc(nm, '\n', i, i + 1) < 0)
					return -1;
				i++;
				continue;
			}
			if (flags & NORM_MARKUP) {
				uint32_t cp;
				int block;
				if (bol && (c == '>' || c == '#')) {
					/* "> quoted", "## Heading": the marks go */
					for (j = i; j < n && s[j] == c && j - i < 6; j++)
						;
					if (c == '>' || (j < n && s[j] == ' ')) {
						i = j < n && s[j] == ' ' ? j + 1 : j;
						continue;
					}
				}
				if (c == '<' && (j = html_tag(s, n, i, &block)) > 0) {
					if (block && !last_is_space(nm) && emitc(nm, ' ', i, j) < 0)
						return -1;
					i = j;
					continue;
				}
				if (c == '&' && (j = html_entity(s, n, i, &cp)) > 0) {
					if (put_decoded(&t, cp, i, j) < 0)
						return -1;
					bol = 0;
					i = j;
					continue;
				}
				if (c == '`') {
					for (j = i; j < n && s[j] == '`'; j++)
						;
					i = j;
					continue;
				}
				if (c == '*' || c == '_' || c == '~') {
					int before, after;
					for (j = i; j < n && s[j] == c; j++)
						;
					before = i > 0 && is_word_byte(s[i - 1]);
					after = j < n && is_word_byte(s[j]);
					/* an emphasis mark touches a word on one side only */
					if (before != after && (c != '~' || j - i >= 2)) {
						i = j;
						continue;
					}
				}
			}
			if (c != ' ' && c != '\t')
				bol = 0;
			if (i + 1 < n && s[i + 1] >= 0x80 && (j = marks_end(s, n, i + 1)) > i + 1) {
				/* "e" and a combining accent: one letter */
				if (put_cluster(&t, i, j, (flags & NORM_COMPAT) != 0) < 0)
					return -1;
				i = j;
				continue;
			}
			if (put_cp(&t, c, i, i + 1) < 0)
				return -1;
			i++;
			continue;
		}
		{
			utf8proc_int32_t cp;
			utf8proc_ssize_t k = utf8proc_iterate(s + i, (utf8proc_ssize_t)(n - i), &cp);
			const utf8proc_property_t *pr;
			size_t e;
			int compat;

			if (k <= 0) {
				/* not UTF-8 after all: the byte as it is */
				if (emit(nm, s + i, 1, i, i + 1) < 0)
					return -1;
				i++;
				continue;
			}
			bol = 0;
			/* the combining marks that follow belong to it */
			e = marks_end(s, n, i + (size_t)k);
			pr = utf8proc_get_property(cp);
			compat = (flags & NORM_COMPAT) && pr->decomp_type != 0;
			if (e > i + (size_t)k || compat) {
				if (put_cluster(&t, i, e, (flags & NORM_COMPAT) != 0) < 0)
					return -1;
			} else if (put_cp(&t, (uint32_t)cp, i, e) < 0)
				return -1;
			i = e;
		}
	}
	if (nm->out.len == n && memcmp(nm->out.p, src, n) == 0)
		return 0;
	/* the end maps to the end */
	if (nm->out.len + 1 > nm->mcap && emit(nm, "", 0, n, n) < 0)
		return -1;
	nm->ms[nm->out.len] = (uint32_t)n;
	nm->me[nm->out.len] = (uint32_t)n;
	nm->p = nm->out.p;
	nm->n = nm->out.len;
	nm->changed = 1;
	return 0;
}

void
norm_span(const struct norm *nm, size_t a, size_t b, size_t *sa, size_t *sb)
{
	if (!nm->changed) {
		*sa = a;
		*sb = b;
		return;
	}
	if (a > nm->n)
		a = nm->n;
	if (b > nm->n)
		b = nm->n;
	*sa = nm->ms[a];
	*sb = b > a ? nm->me[b - 1] : nm->ms[a];
	if (*sb < *sa)
		*sb = *sa;
}
