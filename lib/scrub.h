/*
 * scrub — Safe Harbor de-identification of one JSON Lines record: every
 * in-scope string value is searched with the policy's rules and the name
 * detector, names found anywhere in the record are removed everywhere in
 * it, and the record is rewritten with the values replaced and a
 * phikit.scrub annotation (counts, optionally where — never what).
 * All bytes outside rewritten strings are copied through unchanged.
 */
#ifndef PHIKIT_SCRUB_H
#define PHIKIT_SCRUB_H

#include <stddef.h>
#include <stdint.h>

#include "acm.h"
#include "buf.h"
#include "diag.h"
#include "fieldpath.h"
#include "jscan.h"
#include "names.h"
#include "ner.h"
#include "norm.h"
#include "policy.h"
#include "rules.h"
#include "vault.h"

#define SCRUB_MAX_FIELDS 32
#define SCRUB_KEY_BYTES 32

struct scrub_opts {
	int replace;		/* REPLACE_*, or -1 for the policy's */
	int keep_year;		/* -1: the policy's */
	int date_shift;		/* shift dates instead of replacing them */
	int report;		/* list findings in the annotation */
	const unsigned char *key;	/* SCRUB_KEY_BYTES in sodium memory, or NULL */
	/*
	 * With pseudonyms: every value replaced is stored here under its token
	 * and the record's run_id (lib/vault); a record without one is refused.
	 */
	struct vault *vault;
	const struct fieldpath *fields;
	size_t nfields;
	/*
	 * The patterns and the name heuristics only, whatever names.detect
	 * says: guard-check's identifiers in answers. The token model learned
	 * notes, and in an answer reads capitalized terms ("Calcium Acetate")
	 * as places.
	 */
	int rules_only;
};

struct finding {
	size_t s, e;		/* in the decoded string */
	int cat;
	const char *rule;
	int merged;		/* overlapped another finding: plain replacement */
	size_t ord;		/* found order: earlier rules win ties */
	float conf;		/* how sure: 1 for a rule, the model's probability */
};

struct sstr {
	size_t rs, re;		/* raw span inside the quotes in the line */
	int esc;
	int annot;		/* under the top-level "phikit": annotations, not prose */
	size_t ds, dn;		/* decoded text in the arena */
	size_t f0, nf;		/* its findings */
	size_t t0, nt;		/* its words in rt */
	size_t path;		/* offset of its rendered path in paths (report) */
};

struct scrubber {
	const struct policy *pol;
	struct scrub_opts o;
	int replace, keep_year;
	int this_year;		/* for --keep-year: years that show an age over 89 go */
	struct names names;
	struct rx_engine rx;
	struct ntoks tk;
	int *trigbit;		/* per rule: its trigger bit, or -1 */
	int borrowed;		/* names and trigbit belong to another scrubber */
	/* per record */
	struct sstr *strs;
	size_t nstrs, capstrs;
	struct finding *f;
	size_t nf, capf;
	struct buf arena, paths, tmp, words, ann, head;
	/*
	 * The name words of the record, for propagation: open addressing, a
	 * slot live while its gen is the record's, so nothing is cleared.
	 */
	struct nset {
		uint32_t hash, off, len, gen;
		unsigned char eng;
	} *nset;
	size_t ncap, nnames;
	uint32_t gen;
	struct rtok {
		size_t s, e;
		uint32_t key;
		unsigned char cap;
	} *rt;			/* the words of every string of the record */
	size_t nrt, rtcap;
	/*
	 * Values found (other than names) for propagation: each distinct one
	 * once, found again in every string by one Aho-Corasick pass.
	 */
	struct pval {
		size_t off, n;	/* in the arena */
		int cat, digit;	/* digit: it holds one */
	} *pv;
	size_t npv, cappv;
	struct acm ac;
	struct sstr *cur;	/* the string pv_propagate is in */
	const char *line;
	size_t run_s, run_e;	/* raw run_id value, if any */
	int has_run;
	char vrun[129];		/* --vault: the record's run_id, decoded */
	/* --vault: the record's values, stored once it is written (offsets in vbuf) */
	struct vrec { size_t tok, val, n, norm, nn; } *vr;
	size_t nvr, capvr;
	struct vault_item *vit;
	size_t capvit;
	struct buf vbuf;
	long counts[CAT__N];
	struct phk_err *e;
	/* totals over the whole run, for --stats */
	unsigned long long total[CAT__N], records;
	/* per record: which --field paths selected a string */
	unsigned char fhit[SCRUB_MAX_FIELDS];
	char input_hex[65];	/* the content it was given (lib/bind) */
	uint64_t keyok[1024];	/* hashes of keys the detectors found clean */
	/* the token classifier (names.model), shared by clones like names */
	struct ner ner;
	int detect;		/* NAMES_DETECT_* */
	struct ner_work nw;
	/* the normalized shadow every detector reads (lib/norm) */
	struct norm nrm;
	size_t find0;		/* scrub_find: the first finding of this text */
	const char *ftext;	/* and the text */
	struct fspan { size_t s, e; } *ov;	/* the rules' spans by start, ends as running max */
	size_t nov, ovcap;
};

int scrubber_init(struct scrubber *s, const struct policy *p,
    const struct scrub_opts *o, struct phk_err *e);
void scrubber_release(struct scrubber *s);
/* Another scrubber for another thread, sharing src's read-only lexicons. */
int scrubber_clone(struct scrubber *s, const struct scrubber *src, struct phk_err *e);
/*
 * Scrubs one line into out (reset first). 0 on success; -1 with e set:
 * PHK_EXIT_INPUT for bad input, PHK_EXIT_USAGE when a rule failed closed,
 * PHK_EXIT_IO otherwise. On failure out holds nothing to emit.
 */
int scrub_line(struct scrubber *s, const char *line, size_t n, struct buf *out,
    struct phk_err *e);

/* Finds PHI in one text; findings are appended to s->f (for tests, guard). */
int scrub_find(struct scrubber *s, const char *text, size_t n);

#endif
