/*
 * lib/scrub.c fieldpath_parse: the --field paths, written as in jq
 * (.text, .messages[].content, .a[2].b); anything else is a usage error
 * with a message that shows how to write one.
 */
#include <stdio.h>
#include <string.h>

#include "scrub.h"
#include "tap.h"

/* The parsed path rendered back: ".a[*].b[2]" ([*] for "any index"). */
static const char *
parsed(const char *s)
{
	static char out[sizeof(((struct phk_err *)0)->msg) + 32];
	struct fieldpath fp;
	struct phk_err e;
	int i;

	memset(&e, 0, sizeof(e));
	if (fieldpath_parse(&fp, s, &e) < 0) {
		snprintf(out, sizeof(out), "error %d: %s", e.status, e.msg);
		return out;
	}
	snprintf(out, sizeof(out), "%d:", fp.n);
	for (i = 0; i < fp.n; i++) {
		size_t k = strlen(out);
		if (fp.seg[i].key)
			snprintf(out + k, sizeof(out) - k, ".%s", fp.seg[i].key);
		else if (fp.seg[i].index < 0)
			snprintf(out + k, sizeof(out) - k, "[*]");
		else
			snprintf(out + k, sizeof(out) - k, "[%ld]", fp.seg[i].index);
	}
	fieldpath_release(&fp);
	return out;
}

static void
good(const char *s, const char *want)
{
	is_str(parsed(s), want, "field '%s'", s);
}

static void
bad(const char *s)
{
	char want[256];

	snprintf(want, sizeof(want),
	    "error 2: bad field path '%s' (try .text or .messages[].content)", s);
	is_str(parsed(s), want, "field '%s' refused", s);
}

int
main(void)
{
	struct fieldpath fp;
	struct phk_err e;

	good(".text", "1:.text");
	good(".messages[].content", "3:.messages[*].content");
	good(".a[2].b", "3:.a[2].b");
	good(".choices[].message.content", "4:.choices[*].message.content");
	good(".a.b.c", "3:.a.b.c");
	good(".[0]", "1:[0]");
	good(".a[][]", "3:.a[*][*]");
	good(".", "0:");
	good(".a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", "16:.a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p");

	bad("text");
	bad("");
	bad("..");
	bad(".a.");
	bad(".a[x]");
	bad(".a[");
	bad(".a[1");
	bad(".a[-1]");
	bad("[0]");
	bad(".a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q");	/* 17 segments */

	memset(&e, 0, sizeof(e));
	ok(fieldpath_parse(&fp, ".a.b[", &e) < 0 && fp.n == 0,
	    "a refused path leaves nothing behind to release");
	return done_testing();
}
