/*
 * api — include/phikit.h over the library: the filters' own engines
 * (lib/scrub, lib/guard), the record in and the filter's bytes out.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../include/phikit.h"
#include "buf.h"
#include "diag.h"
#include "filter.h"
#include "guard.h"
#include "jscan.h"
#include "policy.h"
#include "scrub.h"

#define API __attribute__((visibility("default")))

struct phikit_policy {
	struct policy p;
};

struct phikit_scrubber {
	struct scrubber sc;
	struct buf out, rec;
};

struct phikit_guard {
	struct guard g;
	struct guard_runs runs;
	struct buf out, alt;
};

static int
fail(const struct phk_err *e, char *err, size_t errlen)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", e->msg);
	return e->status ? e->status : PHIKIT_IO;
}

static int
oom(char *err, size_t errlen)
{
	struct phk_err e;

	phk_err_set(&e, PHK_EXIT_IO, "out of memory");
	return fail(&e, err, errlen);
}

/* A copy of p[0..n) the caller frees with phikit_free. */
static int
give(const char *p, size_t n, char **out, size_t *outn, char *err, size_t errlen)
{
	if ((*out = malloc(n + 1)) == NULL)
		return oom(err, errlen);
	memcpy(*out, p, n);
	(*out)[n] = '\0';
	if (outn)
		*outn = n;
	return 0;
}

API const char *
phikit_version(int *api)
{
	if (api)
		*api = PHIKIT_API_VERSION;
	return PHIKIT_VERSION;
}

API int
phikit_policy_load(const char *path, phikit_policy **out, char *err, size_t errlen)
{
	struct phk_err e;
	phikit_policy *p;

	*out = NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return oom(err, errlen);
	if (policy_load(&p->p, path ? path : policy_default_path(), &e) < 0) {
		free(p);
		return fail(&e, err, errlen);
	}
	*out = p;
	return 0;
}

API const char *
phikit_policy_name(const phikit_policy *p)
{
	return p->p.name;
}

API const char *
phikit_policy_sha256(const phikit_policy *p)
{
	return p->p.sha256;
}

API void
phikit_policy_free(phikit_policy *p)
{
	if (p) {
		policy_release(&p->p);
		free(p);
	}
}

API int
phikit_scrubber_new(const phikit_policy *p, phikit_scrubber **out, char *err, size_t errlen)
{
	struct scrub_opts o = { .replace = -1, .keep_year = -1 };
	struct phk_err e;
	phikit_scrubber *s;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return oom(err, errlen);
	if (scrubber_init(&s->sc, &p->p, &o, &e) < 0) {
		free(s);
		return fail(&e, err, errlen);
	}
	buf_init(&s->out, (size_t)-1 / 2);
	buf_init(&s->rec, (size_t)-1 / 2);
	*out = s;
	return 0;
}

API int
phikit_scrub_record(phikit_scrubber *s, const char *rec, size_t n, char **out, size_t *outn,
    char *err, size_t errlen)
{
	struct phk_err e;

	*out = NULL;
	buf_reset(&s->out);
	if (scrub_line(&s->sc, rec, n, &s->out, &e) < 0)
		return fail(&e, err, errlen);
	return give(s->out.p, s->out.len, out, outn, err, errlen);
}

API int
phikit_scrub_text(phikit_scrubber *s, const char *text, size_t n, char **out, size_t *outn,
    char *err, size_t errlen)
{
	struct phk_err e;
	struct jscan js;
	struct buf t;
	long at[2];
	int rc;

	*out = NULL;
	buf_reset(&s->rec);
	if (buf_adds(&s->rec, "{\"text\":") < 0 || jstr_encode(&s->rec, text, n) < 0 ||
	    buf_addc(&s->rec, '}') < 0)
		return oom(err, errlen);
	buf_reset(&s->out);
	if (scrub_line(&s->sc, s->rec.p, s->rec.len, &s->out, &e) < 0)
		return fail(&e, err, errlen);
	/* the "text" member of what phi-scrub wrote, decoded */
	jscan_init(&js, "text");
	if (jscan_record(&js, s->out.p, s->out.len, &e) < 0)
		return fail(&e, err, errlen);
	at[0] = js.find_start;
	at[1] = js.find_end;
	buf_init(&t, (size_t)-1 / 2);
	rc = at[0] < 0 || jstr_decode(s->out.p + at[0] + 1, (size_t)(at[1] - at[0] - 2), &t) < 0;
	if (rc) {
		buf_release(&t);
		return oom(err, errlen);
	}
	rc = give(t.p ? t.p : "", t.len, out, outn, err, errlen);
	buf_release(&t);
	return rc;
}

API void
phikit_scrubber_free(phikit_scrubber *s)
{
	if (s) {
		scrubber_release(&s->sc);
		buf_release(&s->out);
		buf_release(&s->rec);
		free(s);
	}
}

API int
phikit_guard_new(const phikit_policy *p, phikit_guard **out, char *err, size_t errlen)
{
	struct guard_opts o;
	struct phk_err e;
	phikit_guard *g;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return oom(err, errlen);
	if (guard_init(&g->g, &p->p, &o, &e) < 0) {
		free(g);
		return fail(&e, err, errlen);
	}
	if (guard_runs_init(&g->runs, &p->p, 0) < 0) {
		guard_release(&g->g);
		free(g);
		return oom(err, errlen);
	}
	buf_init(&g->out, (size_t)-1 / 2);
	buf_init(&g->alt, (size_t)-1 / 2);
	*out = g;
	return 0;
}

API int
phikit_guard_record(phikit_guard *g, const char *rec, size_t n, char **out, size_t *outn,
    char *err, size_t errlen)
{
	struct phk_err e;
	size_t auxn, len;
	int rc;

	*out = NULL;
	buf_reset(&g->out);
	if (guard_line(&g->g, rec, n, &g->out, &e) < 0)
		return fail(&e, err, errlen);
	/* the line, its aux bytes, their length: the per-run stage in call order */
	if (g->out.len < sizeof(auxn))
		return oom(err, errlen);
	memcpy(&auxn, g->out.p + g->out.len - sizeof(auxn), sizeof(auxn));
	len = g->out.len - sizeof(auxn) - auxn;
	buf_reset(&g->alt);
	if ((rc = guard_runs_order(&g->runs, g->out.p, len, g->out.p + len, auxn, &g->alt,
	    &e)) < 0)
		return fail(&e, err, errlen);
	if (rc == FILTER_REWRITE)
		return give(g->alt.p, g->alt.len, out, outn, err, errlen);
	return give(g->out.p, len, out, outn, err, errlen);
}

API void
phikit_guard_free(phikit_guard *g)
{
	if (g) {
		guard_runs_release(&g->runs);
		guard_release(&g->g);
		buf_release(&g->out);
		buf_release(&g->alt);
		free(g);
	}
}

API void
phikit_free(void *p)
{
	free(p);
}
