/*
 * bind — what binds an annotation to the record it vouches for.
 *
 * A record's content is its bytes with the top-level "phikit" member (and
 * the comma that joins it to its neighbour) cut out: what every program
 * copies through verbatim, and what a model's answer or an edit changes.
 * phi-scrub writes the SHA-256 of the content it leaves, and of the
 * content it was given, into phikit.scrub (content_sha256, input_sha256),
 * with the fields it searched; guard-check writes the SHA-256 of the
 * content it judged into phikit.guard. A program that logs or releases a
 * record checks the hashes against the record as it is now, so no record
 * rides on another's annotation: an answer added after the prompt was
 * scrubbed, a field edited, an annotation copied or written by hand.
 *
 * This catches mistakes of composition, not forgery: the hash is public,
 * and whoever writes records can write matching annotations (the ledger's
 * signatures are what hold against that).
 */
#ifndef PHIKIT_BIND_H
#define PHIKIT_BIND_H

#include <stddef.h>

#include "diag.h"
#include "fieldpath.h"
#include "jscan.h"
#include "policy.h"

#define BIND_MAX_FIELDS 32

/* The content's SHA-256, lowercase hex, of a line already scanned into js. */
void bind_content_hex(const char *line, size_t n, const struct jscan *js, char hex[65]);

/*
 * Whether the record's phikit.scrub covers its content as it is now and
 * searched every field the policy's ledger.content_fields names. 0; or -1
 * with e set (PHK_EXIT_INPUT) saying what is wrong and what to do.
 */
int bind_check_scrub(const char *line, size_t n, const struct jscan *js,
    const struct policy *p, struct phk_err *e);

/*
 * The record's guard verdict, bound to its content: phikit.guard's
 * content_sha256 is the content's, or the content phi-scrub was given when
 * it scrubbed this record after guard-check. Fills verdict (allow, warn,
 * ask, deny); 0, or -1 with e set (PHK_EXIT_INPUT).
 */
int bind_guard_verdict(const char *line, size_t n, const struct jscan *js, char verdict[8],
    struct phk_err *e);

#endif
