/*
 * Signed notes and checkpoints as --since files and bundles carry them:
 * the note parser, the checkpoint parser, signature checks against a fixed
 * key, and picking the largest note out of a file of notes.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "lverify.h"
#include "note.h"

static struct note_verifier v;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct phk_err e;

	/* golang.org/x/mod/sumdb/note's documented example key */
	if (note_verifier_parse(&v, "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    &e) < 0)
		abort();
	(void)argc;
	(void)argv;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char origin[256];
	struct phk_err e;
	struct note nt;
	uint64_t n;
	mhash root;
	size_t off, len;

	if (note_parse(&nt, p, size, &e) == 0) {
		if (nt.text_len > size)
			abort();
		(void)note_verify(&nt, p, &v, 1);
		(void)checkpoint_parse(p, nt.text_len, origin, &n, root, &e);
	}
	if (lverify_since_note(p, size, &off, &len) == 0 && (off > size || len > size - off))
		abort();	/* a note outside the file */
	if (lverify_last_note(p, size, &off, &len) == 0 && (off > size || len > size - off))
		abort();
	return 0;
}
