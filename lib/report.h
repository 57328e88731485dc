/*
 * report — one self-contained HTML page about a run of the ledger for an
 * auditor's browser: its timeline, redaction counts per category, guard
 * verdicts with their rules and citations, review decisions with their
 * reviewers, and whether the ledger verifies. Inline CSS, no script, a
 * Content-Security-Policy that loads nothing; every string escaped. It
 * shows no payload text: only what phikit wrote into payloads.
 */
#ifndef PHIKIT_REPORT_H
#define PHIKIT_REPORT_H

#include <stdio.h>

#include "diag.h"
#include "ledger.h"
#include "note.h"

struct report_opts {
	const char *run;	/* required */
	const struct note_verifier *keys;	/* to verify checkpoints; none: self-asserted */
	size_t nkeys;
};

/* Writes the page to f; the number of the run's entries, or -1 with e set. */
long report_html(struct ledger *l, const struct report_opts *o, FILE *f, struct phk_err *e);

#endif
