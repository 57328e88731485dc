/*
 * restore — re-identification of model answers (phi-restore): the
 * pseudonym tokens phi-scrub wrote ("[NAME-5c1f9a]") in the chosen
 * strings of a record are replaced by their originals from the vault,
 * looked up under the record's run_id, and the record is annotated
 * phikit.restore with what was done:
 *
 *   {"restored":N,"altered":N,"not_found":N,"ambiguous":N,"erased":N[,"why":TEXT]}
 *
 * restored counts every token replaced, altered those of them a model had
 * changed (brackets dropped, case changed: "name-5C1F9A" is
 * [NAME-5c1f9a]); not_found tokens the run's vault holds no value for;
 * ambiguous tokens under which two different values were stored (the
 * token is 24 bits), left as they are; erased tokens of a run whose key
 * was shredded (ledger-admin anonymize, prune), and why says when and by
 * which. A record carrying phikit.restore holds PHI again: ledger-append
 * refuses it under require_scrubbed and guard-check reports it.
 *
 * Who may restore is the policy's access.actions.reidentify, and nobody
 * when it names no role (restore_access).
 */
#ifndef PHIKIT_RESTORE_H
#define PHIKIT_RESTORE_H

#include <stddef.h>

#include "answer.h"
#include "buf.h"
#include "diag.h"
#include "fieldpath.h"
#include "ledger.h"
#include "policy.h"
#include "vault.h"

/* What was done, per record and per run. */
struct restore_counts {
	unsigned long long records, restored, altered, not_found, ambiguous, erased;
};

struct restore_run {
	char run[LEDGER_IDENT_MAX + 1];
	struct restore_counts c;
};

struct restorer {
	struct vault *v;
	const struct fieldpath *fields;	/* -f paths; none: the answer fields */
	size_t nfields;
	struct answer_fields af;
	struct restore_run *runs;	/* every run seen, for the ledger */
	size_t nruns, capruns;
	/* per record */
	struct restore_counts rec;
	char why[96];
	char run[LEDGER_IDENT_MAX + 1];
	struct rstr { size_t rs, re; int esc; } *strs;
	size_t nstrs, capstrs;
	struct buf dec, txt, line, ann;
	struct phk_err *e;
	/* what the vault said of each token of the current run, looked up once */
	struct rcache {
		int state;	/* VAULT_*, or -1: empty */
		size_t off, len;	/* a value, in cval */
		char tok[24];
	} *cache;
	size_t ncache;
	char crun[LEDGER_IDENT_MAX + 1];
	struct buf cval;
};

int restorer_init(struct restorer *r, struct vault *v, const struct fieldpath *fields,
    size_t nfields, struct phk_err *e);
void restorer_release(struct restorer *r);
/* One record into out (reset first); 0, or -1 with e set. */
int restore_line(struct restorer *r, const char *line, size_t n, struct buf *out,
    struct phk_err *e);

/*
 * May user re-identify: 0; else an access.refusal entry (action
 * reidentify) is appended to l and -1 returned with e (PHK_EXIT_VIOLATION).
 */
int restore_access(struct ledger *l, const struct policy *p, const char *user,
    struct phk_err *e);
/*
 * One vault.restore entry per run seen (who, the run, the counts, never
 * a value), or one of run "phikit:vault" when there was none. 0 or -1.
 */
int restore_log(struct ledger *l, const struct restorer *r, const struct policy *p,
    const char *user, const char *vault, struct phk_err *e);

#endif
