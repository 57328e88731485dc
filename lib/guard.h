/*
 * guard — checks one JSON Lines record of model output against a policy's
 * prohibited_output, required_disclosure, permissions and limits, and
 * annotates phikit.guard with a verdict and violations (rule ids, kinds,
 * citations, where — never what). Per-run limits live in guard_runs, the
 * ordered second stage of the filter, so they count in input order.
 */
#ifndef PHIKIT_GUARD_H
#define PHIKIT_GUARD_H

#include <stddef.h>
#include <stdint.h>

#include "answer.h"
#include "buf.h"
#include "clf.h"
#include "diag.h"
#include "gclf.h"
#include "norm.h"
#include "policy.h"
#include "rules.h"
#include "scrub.h"
#include "toolcall.h"

#define GUARD_MAX_FIELDS 32

struct guard_opts {
	const struct fieldpath *fields;	/* NULL: the default output fields */
	size_t nfields;
	int fix;		/* append missing disclosures, truncate long output */
};

/* One text field of the record being checked. */
struct gstr {
	size_t rs, re;		/* raw span inside the quotes in the line */
	int esc;
	size_t ds, dn;		/* decoded text in the arena */
	size_t path;		/* its rendered path in paths */
	size_t fs, fn;		/* its fixed text in fixed, when fn != (size_t)-1 */
	int cls;		/* GSTR_* */
};

/* What a checked text is: an answer, a record's plain text, a tool call's arguments. */
enum { GSTR_ANSWER, GSTR_PLAIN, GSTR_ARGS };

struct gviol {
	const char *rule, *kind, *citation, *reason;
	int sev;
	int cat;		/* phi: the category, else -1 */
	long path;		/* offset of the field's path in paths, or -1 */
	size_t off, len;	/* in code points */
};

struct guard {
	const struct policy *pol;
	struct guard_opts o;
	struct answer_fields defaults;	/* lib/answer's fields (a clone borrows them) */
	struct scrubber sc;	/* the PHI detectors: phi-scrub's own engine */
	int has_sc, borrowed;
	struct rx_engine rx;
	/* word -> rules it lets run (their triggers), open addressing */
	struct gtrig {
		uint64_t hash, bits;
	} *trig;
	size_t tmask;
	int *tbit;		/* per rule: its trigger bit, or -1 */
	/* per text */
	uint64_t words;		/* trigger bits of the words present */
	struct ghit {
		size_t pos;	/* where a trigger word starts */
		uint64_t bits;
	} *hits;
	size_t nhits, hcap;
	int phi_done;		/* scrub_find ran on this text */
	/* per record */
	struct gstr *strs;
	size_t nstrs, capstrs;
	struct gviol *v;
	size_t nv, capv;
	/* code points up to byte cp_b of text cp_t: offsets counted onward, not from 0 */
	const char *cp_t;
	size_t cp_b, cp_n;
	struct buf arena, paths, fixed, ann, tmp;
	long agent_s, agent_e;	/* raw string span, or -1 */
	struct toolcalls tc;	/* the calls the record asks for */
	int has_answer;		/* it holds a model's answer (choices, output) */
	struct phk_err *e;
	/*
	 * Per text: the rules read its normalized shadow (lib/norm, NORM_PROSE);
	 * a hit is reported where its shadow bytes came from in src.
	 */
	struct norm nm, nm2;
	const char *src;
	size_t srcn;
	/* where the pack's own disclaimers stand in the shadow: never an excuse */
	struct gspan {
		size_t s, e;
	} *dsp;
	size_t ndsp, dspcap;
	int dsp_done;
	/* the sentence classifier (lib/gclf): models shared with clones */
	struct gclf gc;
};

int guard_init(struct guard *g, const struct policy *p, const struct guard_opts *o,
    struct phk_err *e);
/* Another guard for another thread, sharing src's read-only dictionaries. */
int guard_clone(struct guard *g, const struct guard *src, struct phk_err *e);
void guard_release(struct guard *g);
/*
 * Checks one line; out gets the annotated (and with fix, repaired) record
 * followed by the aux trailer guard_runs_order reads (filter.h). 0, or -1
 * with e set: PHK_EXIT_INPUT bad input, PHK_EXIT_USAGE a rule failed
 * closed, PHK_EXIT_IO otherwise. On failure out holds nothing to emit.
 */
int guard_line(struct guard *g, const char *line, size_t n, struct buf *out,
    struct phk_err *e);

/* Per-run state: a bounded table of the most recently seen runs. */
struct grun {
	uint64_t hash;
	uint32_t chain, prev, next;	/* bucket chain; recency list */
	unsigned long records;
	double cost;
	unsigned char len;
	char id[128];
};

struct guard_runs {
	const struct policy *pol;
	int drop_denied;
	int track;		/* the policy has per-run limits */
	struct grun *t;
	size_t n, cap, max;
	uint32_t *bucket, nbucket;
	uint32_t head, tail;	/* most and least recently seen */
	/* totals, for --stats and --fail */
	unsigned long long verdicts[SEV_DENY + 1], dropped, forgotten, records;
};

int guard_runs_init(struct guard_runs *r, const struct policy *p, int drop_denied);
void guard_runs_release(struct guard_runs *r);
/* The filter's order stage (filter_order_fn) with a struct guard_runs. */
int guard_runs_order(void *ctx, const char *line, size_t n, const char *aux, size_t auxn,
    struct buf *alt, struct phk_err *e);

#endif
