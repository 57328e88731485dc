/*
 * guard-check on one record with the preset, with and without --fix: it
 * is checked (and what it emits is a JSON object carrying phikit.guard,
 * to jscan and to jansson, which may refuse only what it cannot hold: a
 * 30-digit integer, 1e999, \u0000 in a key) or it is refused with nothing
 * to emit, as bad input or a rule failing closed, never as "out of memory"
 * (M1: a 30-digit integer in args once stopped the whole stream so).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "guard.h"
#include "jscan.h"

static struct policy pol;
static struct guard g, gfix;
static struct buf out;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct guard_opts o;
	struct phk_err e;

	memset(&o, 0, sizeof(o));
	if (policy_load(&pol, fuzz_policy_path((*argv)[0]), &e) < 0 || guard_init(&g, &pol, &o, &e) < 0)
		abort();
	o.fix = 1;
	if (guard_init(&gfix, &pol, &o, &e) < 0)
		abort();
	buf_init(&out, 1u << 26);
	(void)argc;
	return 0;
}

static void
check(struct guard *gd, const char *line, size_t n)
{
	struct phk_err e;
	long pk[2], gs[2];
	size_t rn;
	size_t auxn;
	json_t *j;

	if (guard_line(gd, line, n, &out, &e) < 0) {
		if (out.len != 0)
			abort();	/* a refused record left something to emit */
		if (e.status != PHK_EXIT_INPUT && e.status != PHK_EXIT_USAGE)
			abort();	/* a record of 64 KiB at most is not "out of memory" */
		return;
	}
	/* the record, then the aux bytes guard_runs_order reads, then their length (filter.h) */
	if (out.len < sizeof(auxn))
		abort();
	memcpy(&auxn, out.p + out.len - sizeof(auxn), sizeof(auxn));
	if (auxn > out.len - sizeof(auxn))
		abort();
	rn = out.len - sizeof(auxn) - auxn;
	if (fuzz_json_object(out.p, rn, &j))
		json_decref(j);
	/* phikit.guard, an object, found the way hitl gate finds it */
	if (jscan_find(out.p, rn, "phikit", pk, &e) != 1 || out.p[pk[0]] != '{' ||
	    jscan_find(out.p + pk[0], (size_t)(pk[1] - pk[0]), "guard", gs, &e) != 1 ||
	    out.p[pk[0] + gs[0]] != '{')
		abort();	/* passed on without its verdict */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *nl = memchr(data, '\n', size);
	size_t n = nl ? (size_t)(nl - (const char *)data) : size;

	check(&g, (const char *)data, n);
	check(&gfix, (const char *)data, n);
	return 0;
}
