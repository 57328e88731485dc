#include <jansson.h>
#include <stdio.h>
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
utf8_count(const char *s, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
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

/* ---- keys ---- */

static size_t
utf8_put(char *b, unsigned cp)
{
	if (cp < 0x80) {
		b[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	b[0] = (char)(0xF0 | (cp >> 18));
	b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	b[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/*
 * A key's raw bytes, already validated by string(), decoded into out:
 * its length, or (size_t)-1 when it does not fit in cap bytes.
 */
static size_t
key_decode(const char *raw, size_t n, char *out, size_t cap)
{
	size_t i = 0, k = 0, m;
	unsigned u, lo;
	char b[4];

	while (i < n) {
		if (raw[i] != '\\') {
			b[0] = raw[i++];
			m = 1;
		} else if (raw[i + 1] == 'u') {
			(void)hex4(raw + i + 2, &u);
			i += 6;
			if (u >= 0xD800 && u <= 0xDBFF) {
				(void)hex4(raw + i + 2, &lo);
				u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
				i += 6;
			}
			m = utf8_put(b, u);
		} else {
			switch (raw[i + 1]) {
			case 'b': b[0] = '\b'; break;
			case 'f': b[0] = '\f'; break;
			case 'n': b[0] = '\n'; break;
			case 'r': b[0] = '\r'; break;
			case 't': b[0] = '\t'; break;
			default: b[0] = raw[i + 1];	/* '"', '\\', '/' */
			}
			i += 2;
			m = 1;
		}
		if (m > cap - k)
			return (size_t)-1;
		memcpy(out + k, b, m);
		k += m;
	}
	return k;
}

static int
key_is(const struct jseg *g, const char *k)
{
	size_t n = strlen(k);

	return g->key != NULL && g->klen == n && memcmp(g->key, k, n) == 0;
}

/*
 * The objects whose keys phikit interprets, by where they are, and those
 * keys: each may appear once (DESIGN.md).
 */
enum { KC_NONE, KC_TOP, KC_PHIKIT, KC_GUARD, KC_TOOL, KC_CHOICE, KC_MESSAGE, KC_CALL,
    KC_FUNCTION };
static const char *const once_top[] = { "run_id", "phikit", "tool", "agent", "args", "usage",
    "messages", "text", "choices", NULL };
static const char *const once_phikit[] = { "scrub", "guard", "ledger", "hitl", NULL };
static const char *const once_guard[] = { "verdict", NULL };
static const char *const once_name[] = { "name", NULL };
static const char *const once_choice[] = { "message", NULL };
static const char *const once_message[] = { "tool_calls", NULL };
static const char *const once_call[] = { "function", NULL };
static const char *const once_function[] = { "name", "arguments", NULL };
static const char *const *const once_keys[] = {
	[KC_NONE] = NULL, [KC_TOP] = once_top, [KC_PHIKIT] = once_phikit,
	[KC_GUARD] = once_guard, [KC_TOOL] = once_name, [KC_CHOICE] = once_choice,
	[KC_MESSAGE] = once_message, [KC_CALL] = once_call, [KC_FUNCTION] = once_function,
};

/* Which of those an object is, from the path that leads to it. */
static int
key_context(const struct jpath *p)
{
	const struct jseg *g = p->seg;

	switch (p->n) {
	case 0:
		return KC_TOP;
	case 1:
		return key_is(&g[0], "phikit") ? KC_PHIKIT : key_is(&g[0], "tool") ? KC_TOOL :
		    KC_NONE;
	case 2:
		if (key_is(&g[0], "phikit"))
			return key_is(&g[1], "guard") ? KC_GUARD : KC_NONE;
		return key_is(&g[0], "choices") && g[1].key == NULL ? KC_CHOICE : KC_NONE;
	case 3:
	case 5:
	case 6:
		if (!key_is(&g[0], "choices") || g[1].key != NULL || !key_is(&g[2], "message"))
			return KC_NONE;
		if (p->n == 3)
			return KC_MESSAGE;
		if (!key_is(&g[3], "tool_calls") || g[4].key != NULL)
			return KC_NONE;
		return p->n == 5 ? KC_CALL : key_is(&g[5], "function") ? KC_FUNCTION : KC_NONE;
	default:
		return KC_NONE;
	}
}

/*
 * A second key our own: the key named (it is ours, not the input's), with
 * the path of its object, which holds only our keys and array indexes.
 */
static int
duplicate(struct jscan *s, size_t keyq, const char *key)
{
	char where[192];
	size_t w = 0;
	int i, k;

	where[0] = '\0';
	for (i = 0; i + 1 < s->path.n; i++) {
		const struct jseg *g = &s->path.seg[i];
		k = g->key ? snprintf(where + w, sizeof(where) - w, "%s.%.*s", w ? "" : " in ",
		    (int)g->klen, g->key) : snprintf(where + w, sizeof(where) - w, "%s[%ld]",
		    w ? "" : " in .", g->index);
		if (k < 0 || (size_t)k >= sizeof(where) - w)
			break;
		w += (size_t)k;
	}
	phk_err_set(s->e, PHK_EXIT_INPUT, "duplicate key \"%s\"%s at byte %zu", key, where,
	    keyq + 1);
	return -1;
}

/* bits of an object's seen mask: its interpreted keys, then find, then more */
#define SEEN_FIND 16
#define SEEN_MORE 17
#define SEEN_MORE_MAX (64 - SEEN_MORE)

static int
object(struct jscan *s)
{
	const char *const *once = once_keys[key_context(&s->path)];
	struct jseg *seg;
	size_t ks, ke, keyq, mark = s->ktop, len;
	unsigned long long seen = 0;
	int esc, top = s->path.n == 0, n = 0, is_run, is_find, is_pk, more, m;

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
		/* the key as every other JSON reader sees it: "t\u006fol" is "tool" */
		s->ktop = mark;
		seg->index = n;	/* which member of its object */
		if (!esc) {
			seg->key = s->p + ks;
			seg->klen = ke - ks;
		} else {
			if ((len = key_decode(s->p + ks, ke - ks, s->kbuf + mark,
			    sizeof(s->kbuf) - mark)) == (size_t)-1) {
				s->i = keyq;
				return fail(s, "keys with escapes too long (4096 bytes along one "
				    "path)");
			}
			seg->key = s->kbuf + mark;
			seg->klen = len;
			s->ktop = mark + len;
		}
		if (s->on_key && s->on_key(s->ctx, &s->path, ks, ke, esc) < 0)
			return -1;
		for (m = 0; once && once[m]; m++)
			if (key_is(seg, once[m])) {
				if (seen & (1ull << m))
					return duplicate(s, keyq, once[m]);
				seen |= 1ull << m;
				break;
			}
		is_pk = top && key_is(seg, "phikit");
		is_run = top && key_is(seg, "run_id");
		is_find = top && s->find && key_is(seg, s->find);
		if (is_find) {
			if (seen & (1ull << SEEN_FIND))
				return duplicate(s, keyq, s->find);
			seen |= 1ull << SEEN_FIND;
		}
		more = -1;
		for (m = 0; top && m < s->nmore; m++)
			if (key_is(seg, s->more[m])) {
				if (m < SEEN_MORE_MAX && (seen & (1ull << (SEEN_MORE + m))))
					return duplicate(s, keyq, s->more[m]);
				if (m < SEEN_MORE_MAX)
					seen |= 1ull << (SEEN_MORE + m);
				more = m;
			}
		ws(s);
		if (s->i >= s->n || s->p[s->i] != ':')
			return fail(s, "expected ':'");
		s->i++;
		ws(s);
		if (is_pk) {
			s->pk_key = (long)keyq;
			s->pk_start = (long)s->i;
		}
		if (is_find)
			s->find_start = (long)s->i;
		if (more >= 0)
			s->more_span[more][0] = (long)s->i;
		if (is_run)
			s->run_start = (long)s->i;
		if (value(s) < 0)
			return -1;
		if (is_pk)
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
	s->ktop = mark;
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
		if (s->p[s->i] == '-' || (s->p[s->i] >= '0' && s->p[s->i] <= '9')) {
			st = s->i;
			if (number(s) < 0)
				return -1;
			if (s->on_number && s->on_number(s->ctx, &s->path, st, s->i, 0) < 0)
				return -1;
			return 0;
		}
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
	s->ktop = 0;
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
jscan_find(const char *p, size_t n, const char *key, long span[2], struct phk_err *e)
{
	struct jscan s;

	jscan_init(&s, key);
	if (jscan_record(&s, p, n, e) < 0)
		return -1;
	span[0] = s.find_start;
	span[1] = s.find_end;
	return s.find_start >= 0;
}

const char *
jscan_json_why(const json_error_t *je, int scanned, int *status)
{
	*status = PHK_EXIT_INPUT;
	/* jansson leaves the text empty when an allocation fails */
	if (je->text[0] == '\0')
		goto oom;
	switch (json_error_code(je)) {
	case json_error_out_of_memory:
		goto oom;
	case json_error_numeric_overflow:
		return strncmp(je->text, "too big", 7) == 0 ? "an integer too large for 64 bits" :
		    "a number too large for a double";
	case json_error_null_byte_in_key:
		return "\\u0000 in an object key";
	case json_error_null_character:
		return "\\u0000 in a string";
	case json_error_stack_overflow:
		return "nesting deeper than 2048 levels";
	case json_error_duplicate_key:
		return "a duplicate key";
	case json_error_cannot_open_file:
	case json_error_invalid_argument:
		*status = PHK_EXIT_IO;
		return "cannot be read";
	default:
		break;
	}
	/* scanned text is valid JSON: the lexer lost an allocation */
	if (scanned)
		goto oom;
	if (json_error_code(je) == json_error_invalid_utf8)
		return "invalid UTF-8";
	if (strncmp(je->text, "control character", 17) == 0)
		return "a control character in a string";
	if (strncmp(je->text, "invalid Unicode", 15) == 0)
		return "a lone UTF-16 surrogate";
	if (json_error_code(je) == json_error_premature_end_of_input)
		return "unexpected end of input";
	return "malformed JSON";
oom:
	*status = PHK_EXIT_IO;
	return "out of memory";
}

json_t *
jscan_json(const char *p, size_t n, size_t flags, int scanned, const char *what,
    struct phk_err *e)
{
	json_error_t je;
	json_t *j;

	memset(&je, 0, sizeof(je));
	if ((j = json_loadb(p, n, flags, &je)) == NULL) {
		int st;
		const char *why = jscan_json_why(&je, scanned, &st);
		if (st == PHK_EXIT_IO && strcmp(why, "out of memory") == 0)
			phk_err_set(e, st, "%s", why);
		else
			phk_err_set(e, st, "%s: %s", what, why);
	}
	return j;
}

json_t *
jscan_json_annotations(const char *p, size_t n, struct phk_err *e)
{
	static const char *const members[] = { "scrub", "guard", "ledger", "hitl" };
	long pk[2], m[2];
	json_t *j, *o, *v;
	size_t i;
	int rc;

	if ((j = jscan_json(p, n, 0, 0, "the record", e)) != NULL || e->status != PHK_EXIT_INPUT)
		return j;
	/* valid JSON jansson cannot hold whole: phikit's members, one by one */
	if ((rc = jscan_find(p, n, "phikit", pk, e)) < 0)
		return NULL;
	if ((j = json_object()) == NULL || json_object_set_new(j, "phikit", o = json_object()) < 0)
		goto oom;
	if (rc == 0 || p[pk[0]] != '{')
		return j;
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		if ((rc = jscan_find(p + pk[0], (size_t)(pk[1] - pk[0]), members[i], m, e)) < 0) {
			json_decref(j);
			return NULL;
		}
		if (rc == 0)
			continue;
		if ((v = jscan_json(p + pk[0] + m[0], (size_t)(m[1] - m[0]), JSON_DECODE_ANY, 1,
		    members[i], e)) == NULL) {
			if (e->status != PHK_EXIT_INPUT) {
				json_decref(j);
				return NULL;
			}
			continue;	/* this member is what jansson cannot hold */
		}
		if (json_object_set_new(o, members[i], v) < 0)
			goto oom;
	}
	return j;
oom:
	json_decref(j);
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
	return NULL;
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

	return buf_add(out, b, utf8_put(b, cp));
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
