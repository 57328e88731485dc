/*
 * bundle — the audit bundle: one JSON document holding a run's entries,
 * their payloads (null once erased), an inclusion proof for each against
 * the latest signed checkpoint, and optionally a consistency proof from a
 * checkpoint the auditor saved earlier. phikit-ledger(5) documents it;
 * lverify reads it back.
 */
#ifndef PHIKIT_BUNDLE_H
#define PHIKIT_BUNDLE_H

#include <stdio.h>

#include "diag.h"
#include "ledger.h"

struct bundle_opts {
	const char *run;	/* one run; or NULL and a time range: */
	const char *from, *to;	/* ts >= from, ts < to (prefixes of a ts), or NULL */
	const char *since;	/* saved checkpoint notes (the largest tree size counts), or NULL */
	size_t since_len;
};

/* Writes the bundle for o->run to f; the number of entries, or -1 with e set. */
long bundle_write(struct ledger *l, const struct bundle_opts *o, FILE *f, struct phk_err *e);

#endif
