/*
 * lib/jscan.c: one JSON Lines record checked whole (grammar, UTF-8,
 * nesting), every string value reported with its path, and the exact
 * message a user sees for each kind of bad line; jstr_decode and
 * jstr_encode, which rewritten strings go through.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jscan.h"
#include "tap.h"

#define L(x) (x), sizeof(x) - 1

/* "ok", or the error message jscan_record gives for n bytes at p. */
static const char *
scan_n(const char *p, size_t n, int max_depth)
{
	static struct phk_err e;
	struct jscan s;

	memset(&s, 0, sizeof(s));
	memset(&e, 0, sizeof(e));
	s.max_depth = max_depth;
	if (jscan_record(&s, p, n, &e) == 0)
		return "ok";
	if (e.status != PHK_EXIT_INPUT)
		return "wrong exit status";
	return e.msg;
}

static void
good(const char *line)
{
	is_str(scan_n(line, strlen(line), 0), "ok", "valid: %s", line);
}

static void
bad(const char *line, const char *want, const char *name)
{
	is_str(scan_n(line, strlen(line), 0), want, "%s", name);
}

/* Paths and string spans the walk reports, as ".k=v;" pairs. */
struct walk {
	char out[1024];
	int n, stop_at;
};

static int
on_string(void *ctx, const struct jpath *p, size_t st, size_t en, int esc)
{
	struct walk *w = ctx;
	char seg[96];
	int i;

	if (++w->n == w->stop_at)
		return -1;
	for (i = 0; i < p->n; i++) {
		if (p->seg[i].key)
			snprintf(seg, sizeof(seg), ".%.*s", (int)p->seg[i].klen, p->seg[i].key);
		else
			snprintf(seg, sizeof(seg), "[%ld]", p->seg[i].index);
		strncat(w->out, seg, sizeof(w->out) - strlen(w->out) - 1);
	}
	snprintf(seg, sizeof(seg), "=%zu:%zu%s;", st, en, esc ? "e" : "");
	strncat(w->out, seg, sizeof(w->out) - strlen(w->out) - 1);
	return 0;
}

static const char *
walk(const char *line, int stop_at, int *rc)
{
	static struct walk w;
	struct jscan s;
	struct phk_err e;

	memset(&w, 0, sizeof(w));
	memset(&s, 0, sizeof(s));
	w.stop_at = stop_at;
	s.on_string = on_string;
	s.ctx = &w;
	*rc = jscan_record(&s, line, strlen(line), &e);
	return w.out;
}

static void
decodes(const char *raw, const char *want, size_t wn, const char *name)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	ok(jstr_decode(raw, strlen(raw), &b) == 0, "decode %s: succeeds", name);
	is_mem(b.p ? b.p : "", b.len, want, wn, "decode %s: bytes", name);
	buf_release(&b);
}

static void
encodes(const char *s, size_t n, const char *want, const char *name)
{
	struct buf b;

	buf_init(&b, 1 << 16);
	ok(jstr_encode(&b, s, n) == 0, "encode %s: succeeds", name);
	is_str(b.p, want, "encode %s: text", name);
	buf_release(&b);
}

/* encode then decode (inside the quotes) gives the bytes back, and
 * the encoding is itself a valid JSON string */
static void
roundtrip(const char *s, size_t n, const char *name)
{
	struct buf enc, dec, rec;

	buf_init(&enc, 1 << 16);
	buf_init(&dec, 1 << 16);
	buf_init(&rec, 1 << 16);
	jstr_encode(&enc, s, n);
	buf_adds(&rec, "{\"k\":");
	buf_add(&rec, enc.p, enc.len);
	buf_adds(&rec, "}");
	is_str(scan_n(rec.p, rec.len, 0), "ok", "round trip %s: encoding is valid JSON", name);
	ok(jstr_decode(enc.p + 1, enc.len - 2, &dec) == 0, "round trip %s: decodes", name);
	is_mem(dec.p ? dec.p : "", dec.len, s, n, "round trip %s: same bytes", name);
	buf_release(&enc);
	buf_release(&dec);
	buf_release(&rec);
}

static char *
nested(int levels)
{
	/* {"a": then levels-1 '[' */
	char *p = malloc((size_t)levels + 8);
	int i;

	memcpy(p, "{\"a\":", 5);
	for (i = 0; i < levels - 1; i++)
		p[5 + i] = '[';
	p[5 + levels - 1] = '\0';
	return p;
}

static char *
nested_closed(int levels)
{
	/* {"a":[[...1...]]} with levels in all */
	size_t n = (size_t)levels * 2 + 8, k = 0;
	char *p = malloc(n);
	int i;

	memcpy(p, "{\"a\":", 5);
	k = 5;
	for (i = 0; i < levels - 1; i++)
		p[k++] = '[';
	p[k++] = '1';
	for (i = 0; i < levels - 1; i++)
		p[k++] = ']';
	p[k++] = '}';
	p[k] = '\0';
	return p;
}

int
main(void)
{
	struct jscan s;
	struct phk_err e;
	char *deep;
	const char *line;
	int rc;

	/* valid records */
	good("{}");
	good(" \t{ } \t");
	good("{\"a\":1}");
	good("{\"a\":[1,-2.5e3,0,-0,1E+2,1.5e-3,true,false,null,{},[]]}");
	good("{\"a\":\"\\u00e9\\ud83d\\ude00\\n\\/\\\"\\\\\\b\\f\\r\\t\"}");
	good("{\"caf\xc3\xa9\":\"\xe2\x82\xac \xf0\x9f\x98\x80 \xc3\xa9\"}");
	good("{\"a\":\"\\u0000\"}");	/* an escaped NUL is valid JSON */
	good("{\"a\":1,\"a\":2}");	/* duplicate keys: JSON allows them */

	/* bad records: the message a user reads */
	bad("", "empty line", "an empty line");
	bad("   ", "not a JSON object", "only white space");
	bad("[1,2]", "not a JSON object", "an array");
	bad("\"text\"", "not a JSON object", "a string");
	bad("42", "not a JSON object", "a number");
	bad("{\"a\":1", "expected ',' or '}' at byte 7", "an unclosed object");
	bad("{\"a\" 1}", "expected ':' at byte 6", "a missing colon");
	bad("{a:1}", "expected a key at byte 2", "an unquoted key");
	bad("{\"a\":1,}", "expected a key at byte 8", "a trailing comma");
	bad("{\"a\":[1,]}", "malformed JSON at byte 9", "a trailing comma in an array");
	bad("{\"a\":[1 2]}", "expected ',' or ']' at byte 9", "a missing comma in an array");
	bad("{\"a\":01}", "expected ',' or '}' at byte 7", "a leading zero");
	bad("{\"a\":1.}", "malformed number at byte 8", "a bare decimal point");
	bad("{\"a\":1e}", "malformed number at byte 8", "an empty exponent");
	bad("{\"a\":-}", "malformed number at byte 6", "a lone minus");
	bad("{\"a\":tru}", "malformed JSON at byte 6", "a misspelt literal");
	bad("{\"a\":}", "malformed JSON at byte 6", "a missing value");
	bad("{\"a\":", "unexpected end of line at byte 6", "a truncated record");
	bad("{\"a\":\"x", "unterminated string at byte 8", "an unterminated string");
	bad("{\"a\":\"\\x\"}", "bad escape in string at byte 7", "a bad escape");
	bad("{\"a\":\"\\u12\"}", "bad \\u escape at byte 7", "a short \\u escape");
	bad("{\"a\":\"\\u12g4\"}", "bad \\u escape at byte 7", "a \\u escape with a non-hex digit");
	bad("{\"a\":\"\t\"}", "control character in string at byte 7", "a raw tab in a string");
	bad("{\"a\":\"x\ny\"}", "control character in string at byte 8", "a raw newline in a string");
	bad("{\"a\":\"x\xff\"}", "invalid UTF-8 at byte 8", "a 0xff byte");
	bad("{\"a\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 7", "an overlong encoding");
	bad("{\"a\":\"\xe0\x80\xaf\"}", "invalid UTF-8 at byte 7", "an overlong three-byte encoding");
	bad("{\"a\":\"\xed\xa0\x80\"}", "invalid UTF-8 at byte 7", "an encoded surrogate");
	bad("{\"a\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8 at byte 7", "past U+10FFFF");
	bad("{\"a\":\"\xe2\x82\"}", "invalid UTF-8 at byte 7", "a truncated sequence");
	bad("{\"a\":\"\x80\"}", "invalid UTF-8 at byte 7", "a lone continuation byte");
	bad("{\"a\":\"\xc1\xbf\"}", "invalid UTF-8 at byte 7", "an overlong two-byte lead (C1)");
	bad("{\"a\":\"\xf0\x8f\xbf\xbf\"}", "invalid UTF-8 at byte 7", "an overlong four-byte encoding");
	bad("{\"a\":\"\xf0\x9f\x98\"}", "invalid UTF-8 at byte 7", "a four-byte sequence cut short");
	bad("{\"\xff\":1}", "invalid UTF-8 at byte 3", "invalid UTF-8 in a key");
	bad("{\"a\":\"\\ud800\"}", "lone UTF-16 surrogate at byte 7", "a lone high surrogate");
	bad("{\"a\":\"\\udc00\"}", "lone UTF-16 surrogate at byte 7", "a lone low surrogate");
	bad("{\"a\":\"\\ud800\\u0041\"}", "lone UTF-16 surrogate at byte 7",
	    "a high surrogate before a non-surrogate");
	bad("{} x", "trailing bytes after the object at byte 4", "trailing bytes");
	bad("{}{}", "trailing bytes after the object at byte 3", "two objects on a line");
	{
		static const char nul[] = "{\"a\":\"x\0\"}";
		static const char nul2[] = "{\"a\":1}\0";
		is_str(scan_n(nul, sizeof(nul) - 1, 0), "NUL byte at byte 8", "a NUL byte in a string");
		is_str(scan_n(nul2, sizeof(nul2) - 1, 0), "NUL byte at byte 8", "a NUL byte after the object");
	}

	/* nesting: 512 levels is the limit, the record object included */
	deep = nested_closed(512);
	is_str(scan_n(deep, strlen(deep), 0), "ok", "512 levels are accepted");
	free(deep);
	deep = nested_closed(513);
	is_str(scan_n(deep, strlen(deep), 0), "nesting deeper than 512 levels", "513 levels are refused");
	free(deep);
	deep = nested(100000);
	is_str(scan_n(deep, strlen(deep), 0), "nesting deeper than 512 levels",
	    "100000 levels: refused, no stack overflow");
	free(deep);
	deep = nested_closed(4);
	is_str(scan_n(deep, strlen(deep), 3), "nesting deeper than 3 levels", "a lower max_depth applies");
	free(deep);
	deep = nested_closed(4);
	is_str(scan_n(deep, strlen(deep), 100000), "ok", "max_depth past the limit is the limit");
	free(deep);
	deep = nested_closed(600);
	is_str(scan_n(deep, strlen(deep), 100000), "nesting deeper than 512 levels",
	    "max_depth cannot raise the limit");
	free(deep);

	/* the walk: string values (not keys) with their paths and spans */
	line = "{\"k\":\"v\",\"m\":[\"x\",{\"c\":\"y\\n\"}],\"n\":3,\"o\":{\"p\":[[\"z\"]]}}";
	is_str(walk(line, 0, &rc), ".k=6:7;.m[0]=15:16;.m[1].c=24:27e;.o.p[0][0]=49:50;",
	    "walk: every string value with its path and span, keys not reported");
	is_int(rc, 0, "walk: the record is valid");
	walk(line, 2, &rc);
	is_int(rc, -1, "walk: a callback's error stops the scan");

	/* keys are the keys every JSON reader sees: escapes decoded */
	line = "{\"t\\u0065xt\":\"v\",\"\\u00e9\\n\":{\"k\\\"\":[\"w\"]}}";
	is_str(walk(line, 0, &rc), ".text=14:15;.\xc3\xa9\n.k\"[0]=37:38;",
	    "walk: keys with escapes reported decoded");
	memset(&s, 0, sizeof(s));
	line = "{\"a\":1,\"ph\\u0069kit\":{},\"run\\u005fid\":\"r-1\"}";
	ok(jscan_record(&s, line, strlen(line), &e) == 0 && s.pk_start == 21 && s.run_start == 38,
	    "phikit and run_id found however they are spelled");

	/* a key phikit interprets, twice: bad input, the key and its object named */
	bad("{\"tool\":\"a\",\"tool\":\"b\"}", "duplicate key \"tool\" at byte 13", "tool twice");
	bad("{\"tool\":\"a\",\"t\\u006fol\":\"b\"}", "duplicate key \"tool\" at byte 13",
	    "tool twice, once with an escape");
	bad("{\"run_id\":\"a\", \"run_id\":\"b\"}", "duplicate key \"run_id\" at byte 16",
	    "run_id twice");
	bad("{\"phikit\":{\"guard\":{\"verdict\":\"allow\",\"verdict\":\"deny\"}}}",
	    "duplicate key \"verdict\" in .phikit.guard at byte 39", "phikit.guard.verdict twice");
	bad("{\"choices\":[{\"message\":{\"tool_calls\":[{},{\"function\":{\"name\":\"a\","
	    "\"arguments\":\"{}\",\"name\":\"b\"}}]}}]}",
	    "duplicate key \"name\" in .choices[0].message.tool_calls[1].function at byte 83",
	    "function.name twice");
	good("{\"t\":1,\"t\":2,\"a\":{\"tool\":1,\"tool\":2},\"phikit\":{\"x\":1,\"x\":2}}");
	good("{\"choices\":{\"message\":1,\"message\":2},\"tool\":[{\"name\":1,\"name\":2}]}");
	memset(&s, 0, sizeof(s));
	s.find = "id";
	line = "{\"id\":1,\"id\":2}";
	ok(jscan_record(&s, line, strlen(line), &e) < 0 && !strcmp(e.msg,
	    "duplicate key \"id\" at byte 9"), "a key the caller locates, twice: refused");
	{
		long span[2];
		line = "{\"name\":\"x\",\"n\\u0061me\":\"y\"}";
		is_int(jscan_find(line, strlen(line), "name", span, &e), -1, "jscan_find: twice is -1");
		is_str(e.msg, "duplicate key \"name\" at byte 13", "jscan_find: the key named");
		line = "{\"a\":1, \"name\" : \"x\" }";
		is_int(jscan_find(line, strlen(line), "name", span, &e), 1, "jscan_find: once is 1");
		ok(span[0] == 17 && span[1] == 20, "jscan_find: the value's span");
		is_int(jscan_find(line, strlen(line), "nam", span, &e), 0, "jscan_find: absent is 0");
		is_int(jscan_find("[]", 2, "name", span, &e), -1, "jscan_find: not an object is -1");
	}
	{
		/* escaped keys are decoded into 4 KiB along one path; past that, refused */
		size_t k, len = 0, cap = 6 * 4097 + 64;
		char *big = malloc(cap);
		len += (size_t)snprintf(big + len, cap - len, "{");
		for (k = 0; k < 1100; k++)
			len += (size_t)snprintf(big + len, cap - len, "\"\\u0061\":{");
		len += (size_t)snprintf(big + len, cap - len, "}");
		for (k = 0; k < 1100; k++)
			big[len++] = '}';
		big[len] = '\0';
		is_str(scan_n(big, len, 0), "nesting deeper than 512 levels", "deep escaped keys: nesting first");
		len = (size_t)snprintf(big, cap, "{\"");
		for (k = 0; k < 4097; k++)
			len += (size_t)snprintf(big + len, cap - len, "\\u0061");
		len += (size_t)snprintf(big + len, cap - len, "\":1}");
		is_str(scan_n(big, len, 0), "keys with escapes too long (4096 bytes along one path) at byte 2",
		    "a key of 4097 escaped bytes: refused");
		len = (size_t)snprintf(big, cap, "{\"");
		for (k = 0; k < 4096; k++)
			len += (size_t)snprintf(big + len, cap - len, "\\u0061");
		len += (size_t)snprintf(big + len, cap - len, "\":1}");
		is_str(scan_n(big, len, 0), "ok", "a key of 4096 escaped bytes: fits");
		free(big);
	}

	memset(&s, 0, sizeof(s));
	line = "{\"a\":1,\"phikit\":{\"x\":2} ,\"run_id\":\"r-1\"}";
	ok(jscan_record(&s, line, strlen(line), &e) == 0, "record with phikit and run_id: valid");
	is_int(s.pk_key, 7, "phikit: its key's quote located");
	is_int(s.pk_start, 16, "phikit: its value starts at the '{'");
	is_int(s.pk_end, 23, "phikit: its value ends after the '}'");
	is_int(s.run_start, 34, "run_id: its value starts at the quote");
	is_int(s.run_end, 39, "run_id: its value ends after the quote");
	is_int((long long)s.top_close, (long long)strlen(line) - 1, "the closing brace located");
	is_int((long long)s.top_members, 3, "three top-level members");
	line = "{\"a\":{\"phikit\":1,\"run_id\":\"x\"}}";
	ok(jscan_record(&s, line, strlen(line), &e) == 0 && s.pk_key == -1 && s.run_start == -1,
	    "phikit and run_id count only at the top level");

	/* identifiers, as DESIGN.md defines them */
	ok(jscan_is_ident("\"r-42\"", 6), "ident: r-42");
	ok(jscan_is_ident("\"a.b_c:d@e/f+g=h-0\"", 19), "ident: every allowed punctuation");
	ok(!jscan_is_ident("\"a\\/b\"", 6), "ident: an escaped slash refused (leaves hash it as written)");
	ok(!jscan_is_ident("\"\"", 2), "ident: empty refused");
	ok(!jscan_is_ident("\"a b\"", 5), "ident: a space refused");
	ok(!jscan_is_ident("\"caf\xc3\xa9\"", 7), "ident: non-ASCII refused");
	ok(!jscan_is_ident("42", 2), "ident: a number refused");
	ok(!jscan_is_ident("null", 4), "ident: null refused");
	{
		char id[140];
		memset(id, 'x', sizeof(id));
		id[0] = '"';
		id[129] = '"';
		ok(jscan_is_ident(id, 130), "ident: 128 characters accepted");
		id[130] = '"';
		ok(!jscan_is_ident(id, 131), "ident: 129 characters refused");
	}

	/* decoding */
	decodes("plain", L("plain"), "plain text");
	decodes("a\\nb\\t\\\"q\\\"\\\\\\/", L("a\nb\t\"q\"\\/"), "the short escapes");
	decodes("\\b\\f\\r", L("\b\f\r"), "\\b \\f \\r");
	decodes("caf\\u00e9", L("caf\xc3\xa9"), "a two-byte \\u escape");
	decodes("\\u20ac", L("\xe2\x82\xac"), "a three-byte \\u escape");
	decodes("\\ud83d\\ude00", L("\xf0\x9f\x98\x80"), "a surrogate pair");
	decodes("\\uD83D\\uDE00", L("\xf0\x9f\x98\x80"), "a surrogate pair in capitals");
	decodes("a\\u0000b", L("a\0b"), "an escaped NUL");
	decodes("caf\xc3\xa9", L("caf\xc3\xa9"), "raw UTF-8 passes");

	/* encoding, as jq -c writes strings */
	encodes(L(""), "\"\"", "empty");
	encodes(L("a\"b\\c"), "\"a\\\"b\\\\c\"", "quote and backslash");
	encodes(L("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"", "the short escapes");
	encodes(L("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"", "other controls and DEL");
	encodes(L("a\0b"), "\"a\\u0000b\"", "a NUL byte");
	encodes(L("a/b"), "\"a/b\"", "a slash unescaped");
	encodes(L("caf\xc3\xa9 \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"", "UTF-8 unescaped");

	roundtrip(L("SSN [SSN], \"quoted\"\n\ttab\\"), "escapes");
	roundtrip(L("\0\x01\x1f\x7f"), "controls");
	roundtrip(L("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "UTF-8");

	return done_testing();
}
