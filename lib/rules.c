#include <string.h>

#include "rules.h"

int
rx_engine_init(struct rx_engine *x, unsigned long match_limit)
{
	memset(x, 0, sizeof(*x));
	if ((x->mctx = pcre2_match_context_create(NULL)) == NULL ||
	    (x->jstack = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL)) == NULL ||
	    (x->md = pcre2_match_data_create(32, NULL)) == NULL) {
		rx_engine_release(x);
		return -1;
	}
	pcre2_set_match_limit(x->mctx, (uint32_t)match_limit);
	pcre2_set_depth_limit(x->mctx, 1000);
	pcre2_jit_stack_assign(x->mctx, NULL, x->jstack);
	return 0;
}

void
rx_engine_release(struct rx_engine *x)
{
	pcre2_match_data_free(x->md);
	pcre2_jit_stack_free(x->jstack);
	pcre2_match_context_free(x->mctx);
	memset(x, 0, sizeof(*x));
}

static int
compile(struct regex *r, const char *pat, uint32_t opts, struct phk_err *e)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int err, g;

	opts |= PCRE2_UTF | PCRE2_NO_UTF_CHECK;

	memset(r, 0, sizeof(*r));
	r->code = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, opts,
	    &err, &off, NULL);
	if (r->code == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		phk_err_set(e, PHK_EXIT_USAGE, "bad pattern at offset %zu: %s",
		    (size_t)off, (char *)msg);
		return -1;
	}
	/* JIT is an optimization: without it the interpreter and its limits apply. */
	r->jit = pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE) == 0;
	g = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)"v");
	r->group = g > 0 ? g : 0;
	g = pcre2_substring_number_from_name(r->code, (PCRE2_SPTR)"vs");
	r->from = g > 0 ? g : 0;
	return 0;
}

int
regex_compile(struct regex *r, const char *pat, int caseless, struct phk_err *e)
{
	return compile(r, pat, caseless ? PCRE2_CASELESS : 0, e);
}

int
regex_compile_anchored(struct regex *r, const char *pat, int caseless, struct phk_err *e)
{
	return compile(r, pat, PCRE2_ANCHORED | (caseless ? PCRE2_CASELESS : 0), e);
}

/*
 * The value: group "v" if it took part, else the whole match; a group
 * "vs" (which may sit in a lookbehind) moves its start back, so a rule can
 * begin its scan at a rare character and still take what stands before it.
 */
static void
value_span(const struct regex *r, int rc, const PCRE2_SIZE *ov, size_t *vs, size_t *ve)
{
	if (r->group && rc > r->group && ov[2 * r->group] != PCRE2_UNSET) {
		*vs = ov[2 * r->group];
		*ve = ov[2 * r->group + 1];
	} else {
		*vs = ov[0];
		*ve = ov[1];
	}
	if (r->from && rc > r->from && ov[2 * r->from] != PCRE2_UNSET && ov[2 * r->from] < *vs)
		*vs = ov[2 * r->from];
}

static int
limit_error(int rc, struct phk_err *e)
{
	PCRE2_UCHAR msg[128];

	pcre2_get_error_message(rc, msg, sizeof(msg));
	phk_err_set(e, PHK_EXIT_USAGE, "pattern failed closed: %s", (char *)msg);
	return -1;
}

int
regex_at(struct rx_engine *x, const struct regex *r, const char *s, size_t n,
    size_t at, size_t *vs, size_t *ve, size_t *end, struct phk_err *e)
{
	PCRE2_SIZE *ov;
	int rc;

	rc = r->jit ? pcre2_jit_match(r->code, (PCRE2_SPTR)s, n, at, 0, x->md, x->mctx) :
	    pcre2_match(r->code, (PCRE2_SPTR)s, n, at, PCRE2_NO_UTF_CHECK, x->md, x->mctx);
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	if (rc < 0)
		return limit_error(rc, e);
	ov = pcre2_get_ovector_pointer(x->md);
	*end = ov[1];
	value_span(r, rc, ov, vs, ve);
	return *ve > *vs;
}

void
regex_release(struct regex *r)
{
	pcre2_code_free(r->code);
	r->code = NULL;
}

int
regex_next(struct rx_engine *x, const struct regex *r, const char *s,
    size_t n, size_t *pos, size_t *vs, size_t *ve, struct phk_err *e)
{
	PCRE2_SIZE *ov;
	int rc;

	for (;;) {
		if (*pos > n)
			return 0;
		/* The fast path skips pcre2_match's option checks; limits still apply. */
		rc = r->jit ? pcre2_jit_match(r->code, (PCRE2_SPTR)s, n, *pos, 0, x->md, x->mctx) :
		    pcre2_match(r->code, (PCRE2_SPTR)s, n, *pos, PCRE2_NO_UTF_CHECK, x->md, x->mctx);
		if (rc == PCRE2_ERROR_NOMATCH)
			return 0;
		if (rc < 0)
			return limit_error(rc, e);
		ov = pcre2_get_ovector_pointer(x->md);
		if (ov[1] == ov[0]) {
			/* An empty match finds nothing; step over one character. */
			*pos = ov[0] + 1;
			while (*pos < n && ((unsigned char)s[*pos] & 0xC0) == 0x80)
				(*pos)++;
			continue;
		}
		*pos = ov[1];
		value_span(r, rc, ov, vs, ve);
		if (*ve > *vs)
			return 1;
	}
}
