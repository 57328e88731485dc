/*
 * rules — PCRE2 patterns compiled once with JIT, matched under a match
 * limit and a bounded JIT stack, so a pathological pattern fails closed
 * (an error) instead of hanging the pipeline.
 */
#ifndef PHIKIT_RULES_H
#define PHIKIT_RULES_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

#include "diag.h"

struct regex {
	pcre2_code *code;
	int group;		/* capture group that holds the value: "v", else 0 */
	int from;		/* group "vs": the value starts where it starts */
	int jit;		/* JIT-compiled: matched with pcre2_jit_match */
};

struct rx_engine {
	pcre2_match_context *mctx;
	pcre2_jit_stack *jstack;
	pcre2_match_data *md;
};

int rx_engine_init(struct rx_engine *x, unsigned long match_limit);
void rx_engine_release(struct rx_engine *x);

/* Compiles pat; on error e says what and where (offset in the pattern). */
int regex_compile(struct regex *r, const char *pat, int caseless, struct phk_err *e);
/* The same, matching only where it is started (for regex_at). */
int regex_compile_anchored(struct regex *r, const char *pat, int caseless, struct phk_err *e);
/* One anchored attempt at s[at]: 1 with the value span and *end; 0; -1 (e set). */
int regex_at(struct rx_engine *x, const struct regex *r, const char *s, size_t n,
    size_t at, size_t *vs, size_t *ve, size_t *end, struct phk_err *e);
void regex_release(struct regex *r);

/*
 * Finds the next match in s[0..n) at or after *pos: 1 with the value span
 * in [*vs, *ve) and *pos moved past the match; 0 none; -1 limit hit or
 * other error (e set).
 */
int regex_next(struct rx_engine *x, const struct regex *r, const char *s,
    size_t n, size_t *pos, size_t *vs, size_t *ve, struct phk_err *e);

#endif
