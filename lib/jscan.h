/*
 * jscan — a validating, non-allocating scan of one JSON Lines record.
 * It checks the whole line (RFC 8259 grammar, UTF-8, nesting limit) and
 * reports every string value (not keys) with its JSON path, so a filter can
 * rewrite strings and copy every other byte through untouched: key order,
 * number spelling and whitespace survive exactly.
 */
#ifndef PHIKIT_JSCAN_H
#define PHIKIT_JSCAN_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"

#define JSCAN_MAX_DEPTH 512

struct jseg {
	const char *key;	/* raw key bytes inside the quotes, or NULL */
	size_t klen;
	long index;		/* array index when key is NULL */
};

struct jpath {
	struct jseg seg[JSCAN_MAX_DEPTH];
	int n;
};

/* Called for each string value: raw bytes p[start..end) inside its quotes. */
typedef int (*jscan_fn)(void *ctx, const struct jpath *path,
    size_t start, size_t end, int has_escape);

struct jscan {
	jscan_fn on_string;
	void *ctx;
	int max_depth;
	/* Filled by jscan_record: */
	size_t top_close;	/* offset of the record's closing '}' */
	size_t top_members;	/* members of the top-level object */
	long pk_key;		/* offset of the top-level "phikit" key's quote, or -1 */
	long pk_start, pk_end;	/* its value's span */
	long run_start, run_end;	/* the top-level "run_id" value's span, or -1 */
	const char *find;	/* set by the caller: a top-level key to locate */
	long find_start, find_end;	/* its value's span, or -1 */
	/* more top-level keys to locate: nmore names; spans into more_span */
	const char *const *more;
	int nmore;
	long (*more_span)[2];	/* [i][0], [i][1]: value span, or -1 */
	struct jpath path;
	/* private */
	const char *p;
	size_t n, i;
	struct phk_err *e;
};

/*
 * Readies s to scan, locating the top-level key find (or none, NULL) and no
 * others; set on_string, ctx and more after it. Not a memset: the path
 * stack is 12 KiB and is written only as deep as a record goes.
 */
static inline void
jscan_init(struct jscan *s, const char *find)
{
	s->on_string = NULL;
	s->ctx = NULL;
	s->max_depth = 0;
	s->find = find;
	s->more = NULL;
	s->nmore = 0;
	s->more_span = NULL;
}

/* 0 if the line is one valid JSON object; else -1 with e set (PHK_EXIT_INPUT). */
int jscan_record(struct jscan *s, const char *p, size_t n, struct phk_err *e);

/*
 * Whether a value (raw JSON text) is a string that DESIGN.md allows as an
 * identifier (run_id, actor, kind): ^[A-Za-z0-9._:@/+=-]{1,128}$.
 */
int jscan_is_ident(const char *raw, size_t n);

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
size_t utf8_seqlen(const unsigned char *s, size_t n);

/* Decode raw string bytes (already validated) to UTF-8; appends to out. */
int jstr_decode(const char *raw, size_t n, struct buf *out);
/* Append s as a quoted JSON string, escaping as jq -c does. */
int jstr_encode(struct buf *out, const char *s, size_t n);

#endif
