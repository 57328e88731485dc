/*
 * ledger-verify on an exported audit bundle: any file is verified or
 * found INVALID with a reason; never a crash, never "valid" without a
 * checkpoint and entries.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "lverify.h"

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
	struct lverify_opts o = { NULL, 0, NULL, 0 };
	struct lverify_result r;
	struct phk_err e;

	if (lverify_bundle(fuzz_tmpfile(data, size, "bundle.json"), &o, &r, &e) < 0)
		return 0;
	if (r.ok && (!r.has_ck || r.entries == 0))
		abort();	/* valid with nothing checked */
	if (!r.ok && r.what[0] == '\0')
		abort();	/* invalid without a reason */
	return 0;
}
