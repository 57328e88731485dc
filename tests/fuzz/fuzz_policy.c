/*
 * The policy loader on any YAML: it loads, or it refuses with a message;
 * patterns compile under PCRE2's limits. Inputs are capped at 64 KiB so a
 * run tries many small policies rather than a few large ones.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "policy.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy p;
	struct phk_err e;

	if (size > 65536)
		return 0;
	if (policy_load(&p, fuzz_tmpfile(data, size, "site.yaml"), &e) == 0)
		policy_release(&p);
	else if (e.msg[0] == '\0')
		abort();	/* refused without saying why */
	return 0;
}
