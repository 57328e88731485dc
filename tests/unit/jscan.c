/* Unit tests of lib/jscan.c, lib/buf.c, lib/jsonl.c and field paths. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "jscan.h"
#include "jsonl.h"
#include "scrub.h"
#include "tap.h"

static const char *
scan_err(const char *line)
{
	static struct phk_err e;
	struct jscan s;

	memset(&s, 0, sizeof(s));
	memset(&e, 0, sizeof(e));
	if (jscan_record(&s, line, strlen(line), &e) == 0)
		return "ok";
	return e.msg;
}

static int nstrings;
static char paths[512];

static int
count(void *ctx, const struct jpath *p, size_t st, size_t en, int esc)
{
	(void)ctx;
	(void)st;
	(void)en;
	(void)esc;
	nstrings++;
	if (p->n >= 1 && p->seg[p->n - 1].key == NULL) {
		char tmp[32];
		snprintf(tmp, sizeof(tmp), "[%ld]", p->seg[p->n - 1].index);
		strncat(paths, tmp, sizeof(paths) - strlen(paths) - 1);
	}
	return 0;
}

static void
roundtrip(const char *raw, const char *want, const char *name)
{
	struct buf a, b;

	buf_init(&a, 1 << 20);
	buf_init(&b, 1 << 20);
	ok(jstr_decode(raw, strlen(raw), &a) == 0, "%s: decodes", name);
	is_str(a.p ? a.p : "", want, "%s: decoded", name);
	jstr_encode(&b, a.p ? a.p : "", a.len);
	buf_release(&a);
	buf_release(&b);
}

int
main(void)
{
	char deep[4000];
	struct jscan s;
	struct phk_err e;
	struct buf b;
	struct fieldpath fp;
	int fds[2], i;
	const char *line;
	size_t n;

	is_str(scan_err("{\"a\":[1,-2.5e3,true,false,null,{\"b\":\"\\u00e9\\ud83d\\ude00\"}]}"),
	    "ok", "a valid object");
	is_str(scan_err(""), "empty line", "empty line");
	is_str(scan_err("[1,2]"), "not a JSON object", "an array is no record");
	is_str(scan_err("{\"a\":1"), "expected ',' or '}' at byte 7", "unclosed object");
	is_str(scan_err("{\"a\":01}"), "expected ',' or '}' at byte 7", "leading zero");
	is_str(scan_err("{\"a\":\"x\xff\"}"), "invalid UTF-8 at byte 8", "invalid UTF-8");
	is_str(scan_err("{\"a\":\"\xc0\xaf\"}"), "invalid UTF-8 at byte 7", "overlong UTF-8");
	is_str(scan_err("{\"a\":\"\\ud800\"}"), "lone UTF-16 surrogate at byte 7", "lone surrogate");
	is_str(scan_err("{\"a\":\"\\x\"}"), "bad escape in string at byte 7", "bad escape");
	is_str(scan_err("{\"a\":\"\t\"}"), "control character in string at byte 7", "raw tab");
	is_str(scan_err("{} x"), "trailing bytes after the object at byte 4", "trailing bytes");
	memset(deep, '[', sizeof(deep));
	memcpy(deep, "{\"a\":", 5);
	deep[sizeof(deep) - 1] = '\0';
	is_str(scan_err(deep), "nesting deeper than 512 levels", "deep nesting refused");
	{
		static const char nul[] = "{\"a\":\"x\0\"}";
		memset(&s, 0, sizeof(s));
		ok(jscan_record(&s, nul, sizeof(nul) - 1, &e) < 0 &&
		    strcmp(e.msg, "NUL byte at byte 8") == 0, "a NUL byte");
	}

	memset(&s, 0, sizeof(s));
	s.on_string = count;
	line = "{\"k\":\"v\",\"m\":[\"x\",{\"c\":\"y\"}],\"n\":3}";
	nstrings = 0;
	paths[0] = '\0';
	ok(jscan_record(&s, line, strlen(line), &e) == 0, "walk: valid");
	is_int(nstrings, 3, "walk: three string values, keys not counted");
	is_str(paths, "[0]", "walk: array index reported");
	is_int((long)s.top_close, (long)strlen(line) - 1, "walk: closing brace found");
	line = "{\"a\":1,\"phikit\":{\"x\":2},\"run_id\":\"r-1\"}";
	ok(jscan_record(&s, line, strlen(line), &e) == 0 && s.pk_key == 7 &&
	    s.pk_start == 16 && s.pk_end == 23, "walk: phikit member located");
	ok(s.run_start >= 0 && jscan_is_ident(line + s.run_start,
	    (size_t)(s.run_end - s.run_start)), "walk: run_id located and valid");
	ok(!jscan_is_ident("\"a b\"", 5), "ident: a space is refused");
	ok(!jscan_is_ident("42", 2), "ident: a number is refused");

	roundtrip("a\\nb\\t\\\"q\\\"\\\\", "a\nb\t\"q\"\\", "escapes");
	roundtrip("\\u00e9\\ud83d\\ude00", "\xc3\xa9\xf0\x9f\x98\x80", "surrogate pair");
	buf_init(&b, 64);
	jstr_encode(&b, "a\"b\\c\n\x01", 7);
	is_str(b.p, "\"a\\\"b\\\\c\\n\\u0001\"", "encode escapes as jq -c does");
	buf_release(&b);

	buf_init(&b, 8);
	ok(buf_adds(&b, "12345678") == 0, "buf: fills to its ceiling");
	ok(buf_adds(&b, "9") < 0 && errno == E2BIG, "buf: refuses past it");
	is_str(b.p, "12345678", "buf: contents unchanged after refusal");
	buf_release(&b);

	/* the reader: lines with and without CR, an over-long one skipped */
	if (pipe(fds) == 0) {
		struct jsonl_reader rd;
		const char *in = "{\"a\":1}\r\n" "{\"long\":\"xxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n" "{\"b\":2}";
		if (write(fds[1], in, strlen(in)) < 0)
			return 1;
		close(fds[1]);
		jsonl_reader_init(&rd, fds[0], "<pipe>", 24);
		ok(jsonl_read(&rd, &line, &n, &e) == 1 && n == 7 && !memcmp(line, "{\"a\":1}", 7),
		    "reader: CRLF line without its CR");
		ok(jsonl_read(&rd, &line, &n, &e) == -1 && e.status == PHK_EXIT_INPUT &&
		    strcmp(e.msg, "line longer than 24 bytes") == 0 && rd.lineno == 2,
		    "reader: over-long line refused with its number");
		ok(jsonl_read(&rd, &line, &n, &e) == 1 && n == 7 && rd.lineno == 3,
		    "reader: the next line still read, no final newline needed");
		is_int(jsonl_read(&rd, &line, &n, &e), 0, "reader: end of input");
		jsonl_reader_release(&rd);
		close(fds[0]);
	}

	ok(fieldpath_parse(&fp, ".text", &e) == 0 && fp.n == 1 && !strcmp(fp.seg[0].key, "text"),
	    "field: .text");
	fieldpath_release(&fp);
	ok(fieldpath_parse(&fp, ".messages[].content", &e) == 0 && fp.n == 3 &&
	    fp.seg[1].key == NULL && fp.seg[1].index == -1, "field: .messages[].content");
	fieldpath_release(&fp);
	ok(fieldpath_parse(&fp, ".a[2].b", &e) == 0 && fp.seg[1].index == 2, "field: .a[2].b");
	fieldpath_release(&fp);
	for (i = 0; i < 3; i++) {
		static const char *const bad[] = { "text", ".a[x]", ".." };
		ok(fieldpath_parse(&fp, bad[i], &e) < 0 && e.status == PHK_EXIT_USAGE,
		    "field: '%s' refused", bad[i]);
	}
	return done_testing();
}
