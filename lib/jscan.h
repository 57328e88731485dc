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
/* Room for the decoded form of the keys written with escapes along one path. */
#define JSCAN_KEYBUF 4096

struct jseg {
	/*
	 * The key, decoded: the raw bytes inside the quotes when it has no
	 * escape, else its decoded bytes in the scanner's key buffer (so
	 * "t\u0065xt" is the key text, as to every other JSON reader). NULL
	 * for an array element.
	 */
	const char *key;
	size_t klen;
	long index;		/* array index when key is NULL; else the member's place */
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
	/* called for each object key, raw p[start..end) inside its quotes, the
	 * path ending in its own segment; or NULL */
	jscan_fn on_key;
	/* called for each number value, raw p[start..end), has_escape 0; or NULL */
	jscan_fn on_number;
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
	/*
	 * More top-level keys to locate: nmore names, spans into more_span;
	 * a second one of the first 47 is refused as a duplicate.
	 */
	const char *const *more;
	int nmore;
	long (*more_span)[2];	/* [i][0], [i][1]: value span, or -1 */
	struct jpath path;
	/* private */
	const char *p;
	size_t n, i;
	struct phk_err *e;
	size_t ktop;		/* bytes of kbuf in use */
	char kbuf[JSCAN_KEYBUF];
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
	s->on_key = NULL;
	s->on_number = NULL;
	s->ctx = NULL;
	s->max_depth = 0;
	s->find = find;
	s->more = NULL;
	s->nmore = 0;
	s->more_span = NULL;
}

/*
 * 0 if the line is one valid JSON object; else -1 with e set (PHK_EXIT_INPUT).
 *
 * Keys are compared decoded, and a key that phikit interprets must appear
 * once in its object (DESIGN.md): a second one is bad input, 'duplicate key
 * "tool" at byte 31' (or '... "verdict" in .phikit.guard at byte 57'). They
 * are, at the object's top: run_id, phikit, tool, agent, args, usage,
 * messages, text, choices, and the keys the caller locates (find, more);
 * in phikit: scrub, guard, ledger, hitl; in phikit.guard: verdict; in an
 * object tool: name; in a chat completion's choices[]: message, in its
 * message: tool_calls, in a tool_calls[] element: function, and in that
 * function: name and arguments.
 */
int jscan_record(struct jscan *s, const char *p, size_t n, struct phk_err *e);

/*
 * Where key is in the JSON object p[0..n) (raw JSON text, its top level):
 * 1 with span[0], span[1] its value's bytes; 0 when it is not there; -1
 * with e set (PHK_EXIT_INPUT) when p is not one valid object or the key is
 * there twice ('duplicate key "name" at byte 20'). key is one of ours: the
 * message names it.
 */
int jscan_find(const char *p, size_t n, const char *key, long span[2], struct phk_err *e);

/*
 * jansson, for the few values phikit reads whole (a tool call's args,
 * usage, an answer, a logged payload): json_loadb(p, n, flags) with its
 * failures sorted. Valid JSON that jansson cannot hold (an integer past 64
 * bits, a real past a double, \u0000 in a key, or in a string without
 * JSON_ALLOW_NUL, nesting past 2048 levels), a duplicate key under
 * JSON_REJECT_DUPLICATES, and malformed JSON are bad input: NULL with e set
 * to PHK_EXIT_INPUT and "WHAT: an integer too large for 64 bits" and the
 * like. Only a failed allocation is PHK_EXIT_IO, "out of memory". jansson's
 * own text, which quotes the input ("near '...'"), is never passed on.
 * scanned: jscan_record has passed the text, so jansson finding it
 * malformed can only mean an allocation failed in its lexer.
 */
struct json_t;
struct json_error_t;
struct json_t *jscan_json(const char *p, size_t n, size_t flags, int scanned, const char *what,
    struct phk_err *e);
/*
 * The reason behind a json_error_t, naming no byte of the input ("an integer
 * too large for 64 bits", "malformed JSON", "out of memory"...), and in
 * *status PHK_EXIT_INPUT, or PHK_EXIT_IO when an allocation failed or
 * (jansson's file loaders) the file cannot be opened.
 */
const char *jscan_json_why(const struct json_error_t *je, int scanned, int *status);
/*
 * A logged record, for reading what phikit wrote in it: the whole record;
 * or, when jansson cannot hold all of it (an integer past 64 bits in the
 * text it carries), an object with only what it can hold of the phikit
 * members scrub, guard, ledger and hitl. NULL with e set when the record is
 * malformed or an allocation failed.
 */
struct json_t *jscan_json_annotations(const char *p, size_t n, struct phk_err *e);

/*
 * Whether a value (raw JSON text) is a string that DESIGN.md allows as an
 * identifier (run_id, actor, kind): ^[A-Za-z0-9._:@/+=-]{1,128}$.
 */
int jscan_is_ident(const char *raw, size_t n);

/* Length of a valid UTF-8 sequence at s (max n bytes), or 0 if invalid. */
size_t utf8_seqlen(const unsigned char *s, size_t n);
/* The code points in s[0..n) (valid UTF-8): offsets as jq and Python count them. */
size_t utf8_count(const char *s, size_t n);

/* Decode raw string bytes (already validated) to UTF-8; appends to out. */
int jstr_decode(const char *raw, size_t n, struct buf *out);
/* Append s as a quoted JSON string, escaping as jq -c does. */
int jstr_encode(struct buf *out, const char *s, size_t n);

#endif
