/*
 * guard-check on one record with the preset, with and without --fix: it
 * is checked (and what it emits is a JSON object carrying phikit.guard)
 * or it is refused with nothing to emit.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "guard.h"

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
	json_error_t je;
	size_t auxn;
	json_t *j;

	if (guard_line(gd, line, n, &out, &e) < 0) {
		if (out.len != 0)
			abort();	/* a refused record left something to emit */
		return;
	}
	/* the record, then the aux bytes guard_runs_order reads, then their length (filter.h) */
	if (out.len < sizeof(auxn))
		abort();
	memcpy(&auxn, out.p + out.len - sizeof(auxn), sizeof(auxn));
	if (auxn > out.len - sizeof(auxn))
		abort();
	if ((j = json_loadb(out.p, out.len - sizeof(auxn) - auxn, JSON_ALLOW_NUL, &je)) == NULL ||
	    !json_is_object(json_object_get(json_object_get(j, "phikit"), "guard")))
		abort();	/* passed on without its verdict */
	json_decref(j);
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
