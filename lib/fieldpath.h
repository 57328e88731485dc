/*
 * fieldpath — the paths a user names a record's fields by, written as in
 * jq: ".text", ".messages[].content", ".a[2].b", "." for the whole record.
 * A trailing "?" (".choices[].message.content?") marks a path that may
 * select nothing in a record, as jq's ".a?" may.
 */
#ifndef PHIKIT_FIELDPATH_H
#define PHIKIT_FIELDPATH_H

#include "buf.h"
#include "diag.h"
#include "jscan.h"

struct fieldpath {
	struct fseg {
		char *key;	/* NULL: an array index */
		long index;	/* -1: any index ("[]") */
	} seg[16];
	int n;
	int optional;		/* written with a trailing "?" */
	char *text;		/* as written, without the "?" */
};

/* Parses ".messages[].content"; 0 or -1 with e set (PHK_EXIT_USAGE). */
int fieldpath_parse(struct fieldpath *fp, const char *s, struct phk_err *e);
void fieldpath_release(struct fieldpath *fp);
/* Whether fp selects the value at jp: fp is a prefix of it. */
int fieldpath_match(const struct fieldpath *fp, const struct jpath *jp);
/*
 * Whether searching the fields under fp searches every field under r:
 * fp is a prefix of r, "[]" standing for any index and an index only for
 * itself.
 */
int fieldpath_covers(const struct fieldpath *fp, const struct fieldpath *r);
/*
 * Appends jp as a path (".messages[0].content"). Paths travel into
 * annotations and exports, so a key is copied only when it is a plain
 * field name (a letter or _, then letters, digits, _ and -, at most 64);
 * any other key is shown by its place in its object: .{2} is the third.
 */
int fieldpath_render(struct buf *b, const struct jpath *jp);

#endif
