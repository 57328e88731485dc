/*
 * report — one self-contained HTML page an auditor opens in a browser or
 * prints: of a run or a time range, made from the ledger database or from
 * an exported audit bundle, and verified as it is made (the checks of
 * ledger-verify). It states what it was made from (the bundle's SHA-256),
 * the checkpoint and the verifier keys in full, totals for the period,
 * every answer's verdict with its request, rules, citations and model,
 * denials and rejections first, every review decision with its reviewer,
 * the policies each stage ran under, and the timeline. Inline CSS with a
 * print layout, no script, a Content-Security-Policy that loads nothing;
 * every string escaped. It shows no payload text: only what phikit wrote
 * into payloads.
 *
 * From a database the page is rendered from the bundle trace-export would
 * write for the same scope, so the two pages state the same things; the
 * database is verified whole besides.
 */
#ifndef PHIKIT_REPORT_H
#define PHIKIT_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "diag.h"
#include "ledger.h"
#include "note.h"

struct report_opts {
	const char *run;	/* from a database: one run; or NULL and a range */
	const char *from, *to;
	const struct note_verifier *keys;	/* trusted keys; none: self-asserted */
	size_t nkeys;
	const char *since;	/* saved checkpoint notes, or NULL */
	size_t since_len;
	int valid;		/* out: 1 when everything verified */
	char what[512];		/* out: else the first failure */
};

/*
 * Write the page to f: the number of entries it reports, or -1 with e set
 * when nothing could be reported. A trail that does not verify still gets
 * its page, which says so first; o->valid is then 0.
 */
long report_html_db(struct ledger *l, struct report_opts *o, FILE *f, struct phk_err *e);
long report_html_bundle(const char *path, struct report_opts *o, FILE *f, struct phk_err *e);

#endif
