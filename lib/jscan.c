#include <string.h>

#include "jscan.h"

static int
fail(struct jscan *s, const char *what)
{
	phk_err_set(s->e, PHK_EXIT_INPUT, "%s at byte %zu", what, s->i + 1);
	return -1;
}

static void
ws(struct jscan *s)
{
	while (s->i < s->n) {
		char c = s->p[s->i];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		s->i++;
	}
}

size_t
utf8_seqlen(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if (c == 0xE0 && s[1] < 0xA0)
			return 0;	/* overlong */
		if (c == 0xED && s[1] >= 0xA0)
			return 0;	/* UTF-16 surrogate */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

static int
hex4(const char *p, unsigned *v)
{
	unsigned x = 0;
	int k;

	for (k = 0; k < 4; k++) {
		char c = p[k];
		x <<= 4;
		if (c >= '0' && c <= '9')
			x |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			x |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			x |= (unsigned)(c - 'A' + 10);
		else
			return -1;
	}
	*v = x;
	return 0;
}

/* Bytes that stand for themselves inside a string: ASCII but controls, '"', '\\'. */
static const unsigned char plain[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x22 '"' */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,	/* 0x5c '\\' */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* At the opening quote; leaves i past the closing quote. */
static int
string(struct jscan *s, size_t *start, size_t *end, int *esc)
{
	const unsigned char *p = (const unsigned char *)s->p;
	unsigned u, lo;
	size_t len;

	s->i++;
	*start = s->i;
	*esc = 0;
	for (;;) {
		/* Fast skip over plain ASCII: one table load a byte. */
		while (s->i < s->n && plain[p[s->i]])
			s->i++;
		if (s->i >= s->n)
			return fail(s, "unterminated string");
		if (p[s->i] == '"')
			break;
		if (p[s->i] == '\\') {
			*esc = 1;
			if (s->i + 1 >= s->n)
				return fail(s, "unterminated string");
			switch (p[s->i + 1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				s->i += 2;
				continue;
			case 'u':
				if (s->i + 6 > s->n || hex4(s->p + s->i + 2, &u) < 0)
					return fail(s, "bad \\u escape");
				if (u >= 0xDC00 && u <= 0xDFFF)
					return fail(s, "lone UTF-16 surrogate");
				if (u >= 0xD800 && u <= 0xDBFF) {
					if (s->i + 12 > s->n || p[s->i + 6] != '\\' ||
					    p[s->i + 7] != 'u' ||
					    hex4(s->p + s->i + 8, &lo) < 0 ||
					    lo < 0xDC00 || lo > 0xDFFF)
						return fail(s, "lone UTF-16 surrogate");
					s->i += 6;
				}
				s->i += 6;
				continue;
			default:
				return fail(s, "bad escape in string");
			}
		}
		if (p[s->i] == 0)
			return fail(s, "NUL byte");
		if (p[s->i] < 0x20)
			return fail(s, "control character in string");
		if ((len = utf8_seqlen(p + s->i, s->n - s->i)) == 0)
			return fail(s, "invalid UTF-8");
		s->i += len;
	}
	*end = s->i;
	s->i++;
	return 0;
}

static int
number(struct jscan *s)
{
	const char *p = s->p;
	size_t i = s->i;

	if (i < s->n && p[i] == '-')
		i++;
	if (i < s->n && p[i] == '0')
		i++;
	else if (i < s->n && p[i] >= '1' && p[i] <= '9')
		while (i < s->n && p[i] >= '0' && p[i] <= '9')
			i++;
	else
		return fail(s, "malformed number");
	if (i < s->n && p[i] == '.') {
		i++;
		if (i >= s->n || p[i] < '0' || p[i] > '9')
			return s->i = i, fail(s, "malformed number");
		while (i < s->n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	if (i < s->n && (p[i] == 'e' || p[i] == 'E')) {
		i++;
		if (i < s->n && (p[i] == '+' || p[i] == '-'))
			i++;
		if (i >= s->n || p[i] < '0' || p[i] > '9')
			return s->i = i, fail(s, "malformed number");
		while (i < s->n && p[i] >= '0' && p[i] <= '9')
			i++;
	}
	s->i = i;
	return 0;
}

static int
literal(struct jscan *s, const char *w, size_t len)
{
	if (s->n - s->i < len || memcmp(s->p + s->i, w, len) != 0)
		return fail(s, "malformed JSON");
	s->i += len;
	return 0;
}

static int value(struct jscan *s);

static int
push(struct jscan *s)
{
	if (s->path.n >= s->max_depth) {
		phk_err_set(s->e, PHK_EXIT_INPUT, "nesting deeper than %d levels",
		    s->max_depth);
		return -1;
	}
	s->path.n++;
	return 0;
}

static int
object(struct jscan *s)
{
	struct jseg *seg;
	size_t ks, ke, keyq;
	int esc, top = s->path.n == 0, n = 0, is_run, is_find, more, m;

	if (push(s) < 0)
		return -1;
	seg = &s->path.seg[s->path.n - 1];
	s->i++;
	ws(s);
	if (s->i < s->n && s->p[s->i] == '}')
		goto close;
	for (;;) {
		if (s->i >= s->n || s->p[s->i] != '"')
			return fail(s, "expected a key");
		keyq = s->i;
		if (string(s, &ks, &ke, &esc) < 0)
			return -1;
		seg->key = s->p + ks;
		seg->klen = ke - ks;
		seg->index = -1;
		ws(s);
		if (s->i >= s->n || s->p[s->i] != ':')
			return fail(s, "expected ':'");
		s->i++;
		ws(s);
		if (top && ke - ks == 6 && memcmp(s->p + ks, "phikit", 6) == 0) {
			s->pk_key = (long)keyq;
			s->pk_start = (long)s->i;
		}
		is_run = top && ke - ks == 6 && memcmp(s->p + ks, "run_id", 6) == 0;
		is_find = top && s->find && strlen(s->find) == ke - ks &&
		    memcmp(s->p + ks, s->find, ke - ks) == 0;
		if (is_find)
			s->find_start = (long)s->i;
		more = -1;
		for (m = 0; top && m < s->nmore; m++)
			if (strlen(s->more[m]) == ke - ks && memcmp(s->p + ks, s->more[m], ke - ks) == 0) {
				more = m;
				s->more_span[m][0] = (long)s->i;
			}
		if (is_run)
			s->run_start = (long)s->i;
		if (value(s) < 0)
			return -1;
		if (top && s->pk_key == (long)keyq)
			s->pk_end = (long)s->i;
		if (is_run)
			s->run_end = (long)s->i;
		if (is_find)
			s->find_end = (long)s->i;
		if (more >= 0)
			s->more_span[more][1] = (long)s->i;
		n++;
		ws(s);
		if (s->i < s->n && s->p[s->i] == ',') {
			s->i++;
			ws(s);
			continue;
		}
		if (s->i < s->n && s->p[s->i] == '}')
			break;
		return fail(s, "expected ',' or '}'");
	}
close:
	if (top) {
		s->top_close = s->i;
		s->top_members = (size_t)n;
	}
	s->i++;
	s->path.n--;
	return 0;
}

static int
array(struct jscan *s)
{
	struct jseg *seg;
	long idx = 0;

	if (push(s) < 0)
		return -1;
	seg = &s->path.seg[s->path.n - 1];
	seg->key = NULL;
	seg->klen = 0;
	s->i++;
	ws(s);
	if (s->i < s->n && s->p[s->i] == ']')
		goto close;
	for (;;) {
		seg->index = idx++;
		if (value(s) < 0)
			return -1;
		ws(s);
		if (s->i < s->n && s->p[s->i] == ',') {
			s->i++;
			ws(s);
			continue;
		}
		if (s->i < s->n && s->p[s->i] == ']')
			break;
		return fail(s, "expected ',' or ']'");
	}
close:
	s->i++;
	s->path.n--;
	return 0;
}

static int
value(struct jscan *s)
{
	size_t st, en;
	int esc;

	if (s->i >= s->n)
		return fail(s, "unexpected end of line");
	switch (s->p[s->i]) {
	case '{':
		return object(s);
	case '[':
		return array(s);
	case '"':
		if (string(s, &st, &en, &esc) < 0)
			return -1;
		if (s->on_string && s->on_string(s->ctx, &s->path, st, en, esc) < 0)
			return -1;
		return 0;
	case 't':
		return literal(s, "true", 4);
	case 'f':
		return literal(s, "false", 5);
	case 'n':
		return literal(s, "null", 4);
	case '\0':
		return fail(s, "NUL byte");
	default:
		if (s->p[s->i] == '-' || (s->p[s->i] >= '0' && s->p[s->i] <= '9'))
			return number(s);
		return fail(s, "malformed JSON");
	}
}

int
jscan_record(struct jscan *s, const char *p, size_t n, struct phk_err *e)
{
	int i;

	s->p = p;
	s->n = n;
	s->i = 0;
	s->e = e;
	s->path.n = 0;
	s->pk_key = s->pk_start = s->pk_end = -1;
	s->run_start = s->run_end = -1;
	s->find_start = s->find_end = -1;
	for (i = 0; i < s->nmore; i++)
		s->more_span[i][0] = s->more_span[i][1] = -1;
	if (s->max_depth <= 0 || s->max_depth > JSCAN_MAX_DEPTH)
		s->max_depth = JSCAN_MAX_DEPTH;
	if (n == 0) {
		phk_err_set(e, PHK_EXIT_INPUT, "empty line");
		return -1;
	}
	if (memchr(p, '\0', n) != NULL) {
		s->i = (size_t)((const char *)memchr(p, '\0', n) - p);
		return fail(s, "NUL byte");
	}
	ws(s);
	if (s->i >= s->n || s->p[s->i] != '{') {
		phk_err_set(e, PHK_EXIT_INPUT, "not a JSON object");
		return -1;
	}
	if (object(s) < 0)
		return -1;
	ws(s);
	if (s->i != s->n)
		return fail(s, "trailing bytes after the object");
	return 0;
}

int
jscan_is_ident(const char *raw, size_t n)
{
	size_t i, len = 0;

	/*
	 * No escapes, not even "\/": the ledger hashes an identifier as
	 * written, and a verifier re-encoding it must get the same bytes.
	 */
	if (n < 2 || raw[0] != '"' || raw[n - 1] != '"')
		return 0;
	for (i = 1; i < n - 1; i++, len++) {
		unsigned char c = (unsigned char)raw[i];
		if (!((c | 32) >= 'a' && (c | 32) <= 'z') && !(c >= '0' && c <= '9') &&
		    (c == 0 || !strchr("._:@/+=-", c)))
			return 0;
	}
	return len >= 1 && len <= 128;
}

static int
put_utf8(struct buf *out, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return buf_add(out, b, n);
}

int
jstr_decode(const char *raw, size_t n, struct buf *out)
{
	size_t i = 0, j;
	unsigned u, lo;
	char c;

	while (i < n) {
		for (j = i; j < n && raw[j] != '\\'; j++)
			;
		if (j > i && buf_add(out, raw + i, j - i) < 0)
			return -1;
		if (j >= n)
			break;
		if (j + 1 >= n)
			return -1;
		c = raw[j + 1];
		i = j + 2;
		switch (c) {
		case 'b': c = '\b'; break;
		case 'f': c = '\f'; break;
		case 'n': c = '\n'; break;
		case 'r': c = '\r'; break;
		case 't': c = '\t'; break;
		case 'u':
			if (j + 6 > n || hex4(raw + j + 2, &u) < 0)
				return -1;
			i = j + 6;
			if (u >= 0xD800 && u <= 0xDBFF) {
				if (i + 6 > n || hex4(raw + i + 2, &lo) < 0)
					return -1;
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
			if (put_utf8(out, u) < 0)
				return -1;
			continue;
		default:
			break;	/* '"', '\\', '/' stand for themselves */
		}
		if (buf_addc(out, c) < 0)
			return -1;
	}
	return 0;
}

int
jstr_encode(struct buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;
	char esc[7];

	if (buf_addc(out, '"') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		size_t rl = 2;

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		switch (c) {
		case '"': rep = "\\\""; break;
		case '\\': rep = "\\\\"; break;
		case '\n': rep = "\\n"; break;
		case '\t': rep = "\\t"; break;
		case '\r': rep = "\\r"; break;
		case '\b': rep = "\\b"; break;
		case '\f': rep = "\\f"; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			rep = esc;
			rl = 6;
		}
		if (buf_add(out, s + run, i - run) < 0 || buf_add(out, rep, rl) < 0)
			return -1;
		run = i + 1;
	}
	if (buf_add(out, s + run, n - run) < 0)
		return -1;
	return buf_addc(out, '"');
}
