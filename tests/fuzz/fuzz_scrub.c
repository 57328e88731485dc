/*
 * phi-scrub on one record, as the JSON Lines reader hands it over, and a
 * property: when a record is scrubbed, no value with a digit in it that
 * the scrubber reported finding (an SSN, an MRN, a phone number, a date,
 * a street address...) is left anywhere in any string of the output
 * (outside phikit's own annotation and run_id, the grouping key it never
 * rewrites), and the output is one valid JSON
 * object; when it fails, nothing is emitted. A finding counts when it is
 * at least four bytes. Words (names, towns) are left out: phi-scrub
 * removes them wherever they stand as words, and a name glued to other
 * letters or digits in the input ("1580199iseEloise") is not one.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "scrub.h"

static struct policy pol;
static struct scrubber sc;
static struct buf out;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct scrub_opts o;
	struct phk_err e;

	memset(&o, 0, sizeof(o));
	o.replace = -1;
	o.keep_year = -1;
	if (policy_load(&pol, fuzz_policy_path((*argv)[0]), &e) < 0 ||
	    scrubber_init(&sc, &pol, &o, &e) < 0)
		abort();
	buf_init(&out, 1u << 26);
	(void)argc;
	return 0;
}

static int
in(const char *v, size_t vn, const char *t, size_t tn)
{
	size_t i;

	for (i = 0; i + tn <= vn; i++)
		if (memcmp(v + i, t, tn) == 0)
			return 1;
	return 0;
}

static int
counts(const char *t, size_t tn)
{
	size_t i;

	if (tn < 4)
		return 0;
	for (i = 0; i < tn; i++)
		if (isdigit((unsigned char)t[i]))
			return 1;
	return 0;
}

/* Every string value under j (keys aside) against every counted finding. */
static void
walk(json_t *j, int top)
{
	const char *k;
	json_t *v;
	size_t i, f;

	if (json_is_object(j)) {
		json_object_foreach(j, k, v)
			/* run_id is an identifier phi-scrub never rewrites (DESIGN.md) */
			if (!(top && (strcmp(k, "phikit") == 0 || strcmp(k, "run_id") == 0)))
				walk(v, 0);
	} else if (json_is_array(j)) {
		json_array_foreach(j, i, v)
			walk(v, 0);
	} else if (json_is_string(j)) {
		for (i = 0; i < sc.nstrs; i++)
			for (f = sc.strs[i].f0; f < sc.strs[i].f0 + sc.strs[i].nf; f++) {
				const char *t = sc.arena.p + sc.strs[i].ds + sc.f[f].s;
				size_t tn = sc.f[f].e - sc.f[f].s;
				if (counts(t, tn) && in(json_string_value(j),
				    json_string_length(j), t, tn))
					abort();	/* a found value passed on */
			}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - (const char *)data) : size;
	struct phk_err e;
	json_error_t je;
	json_t *j;

	if (n && data[n - 1] == '\r')
		n--;
	if (scrub_line(&sc, (const char *)data, n, &out, &e) < 0) {
		if (out.len != 0)
			abort();	/* a failed record left something to emit */
		return 0;
	}
	if ((j = json_loadb(out.p, out.len, JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &je)) == NULL) {
		/* valid JSON jansson cannot hold: a \u0000 in a key */
		if (strstr(je.text, "NUL byte in object key"))
			return 0;
		abort();	/* what was emitted is not JSON */
	}
	if (!json_is_object(j))
		abort();	/* nor one object */
	walk(j, 1);
	json_decref(j);
	return 0;
}
