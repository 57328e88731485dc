/*
 * phi-scrub on one record, as the JSON Lines reader hands it over, and a
 * property: when a record is scrubbed, no value with a digit in it that
 * the scrubber reported finding (an SSN, an MRN, a phone number, a date,
 * a street address...) is left anywhere in any string of the output
 * (outside phikit's own annotation and run_id, the grouping key it never
 * rewrites), and the output is one valid JSON object, to jscan and to
 * jansson (which may refuse only what it cannot hold: a 30-digit integer,
 * 1e999, \u0000 in a key); when it fails, nothing is emitted, and the
 * failure is bad input or a rule failing closed, never "out of memory".
 * A finding counts when it is at least four bytes. Words (names, towns)
 * are left out: phi-scrub removes them wherever they stand as words, and a
 * name glued to other letters or digits in the input ("1580199iseEloise")
 * is not one.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jscan.h"
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

/* One string value of the output (keys aside) against every counted finding. */
static int
on_string(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	static struct buf d;
	const char *v;
	size_t i, f, vn;

	/* phikit's annotation, and run_id: an identifier phi-scrub never rewrites (DESIGN.md) */
	if (jp->seg[0].klen == 6 && (memcmp(jp->seg[0].key, "phikit", 6) == 0 ||
	    memcmp(jp->seg[0].key, "run_id", 6) == 0))
		return 0;
	(void)esc;
	if (d.max == 0)
		buf_init(&d, 1u << 26);
	buf_reset(&d);
	if (jstr_decode(out.p + st, en - st, &d) < 0)
		abort();
	v = d.p ? d.p : "";
	vn = d.len;
	(void)ctx;
	for (i = 0; i < sc.nstrs; i++)
		for (f = sc.strs[i].f0; f < sc.strs[i].f0 + sc.strs[i].nf; f++) {
			const char *t = sc.arena.p + sc.strs[i].ds + sc.f[f].s;
			size_t tn = sc.f[f].e - sc.f[f].s;
			if (counts(t, tn) && in(v, vn, t, tn))
				abort();	/* a found value passed on */
		}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - (const char *)data) : size;
	struct phk_err e;
	struct jscan js;
	json_t *j;

	if (n && data[n - 1] == '\r')
		n--;
	if (scrub_line(&sc, (const char *)data, n, &out, &e) < 0) {
		if (out.len != 0)
			abort();	/* a failed record left something to emit */
		if (e.status == PHK_EXIT_IO)
			abort();	/* a record of 64 KiB at most is not "out of memory" */
		return 0;
	}
	/*
	 * One object, by jscan and by jansson: jansson may refuse only what
	 * it cannot hold (a 30-digit integer, 1e999, \u0000 in a key), valid
	 * JSON phi-scrub passes on; the property is checked on jscan's walk,
	 * which holds any valid JSON.
	 */
	if (fuzz_json_object(out.p, out.len, &j))
		json_decref(j);
	jscan_init(&js, NULL);
	js.on_string = on_string;
	if (jscan_record(&js, out.p, out.len, &e) < 0)
		abort();
	return 0;
}
