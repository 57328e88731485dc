/*
 * gclf — guard-check's sentence classifier, the second opinion beside the
 * pattern rules: a prohibited_output rule with `classifier:` names a model
 * file (lib/clf) and one of its labels; every sentence of an output is
 * read by the model and counts when that label's probability reaches the
 * rule's threshold.
 *
 * One extractor, here, for guard-check and for tools/guard-features, which
 * writes the training examples: the model sees what it was trained on. A
 * sentence of the normalized shadow is read as lower-case words; its
 * features are the words, word pairs, the first word and pair, the last
 * three and four letters of long words (the shape drug and condition names
 * share: -pril, -olol, -itis), and the signals the rules are built of: a
 * dose, a frequency, a dosage form, a word of the medical vocabulary that
 * is no English word (NF_MED), the reader addressed, the speaker, a
 * negation, a condition, a question.
 */
#ifndef PHIKIT_GCLF_H
#define PHIKIT_GCLF_H

#include <stddef.h>

#include "clf.h"
#include "diag.h"
#include "names.h"
#include "policy.h"

struct gclf {
	struct gclf_model {
		char *path;
		struct clf c;
	} *m;
	size_t nm;
	int *rmodel, *rlabel;		/* per guard rule: its model and label, or -1 */
	int borrowed;			/* m and the rule maps are another gclf's */
	const struct names *names;	/* the vocabulary: NF_MED, NF_ENG */
	struct clf_vec x;
	double *prob;			/* this gclf's, per model: nm * CLF_MAX_LABELS */
	unsigned char *done;		/* per model: prob holds this sentence's */
};

/*
 * Loads every model the policy's rules name (each file once) and checks
 * each rule's label is the model's. 0, or -1 with e set (PHK_EXIT_USAGE:
 * missing, corrupt or the wrong model; the message names the file).
 */
int gclf_init(struct gclf *g, const struct policy *p, const struct names *nm, struct phk_err *e);
/* Another for another thread, sharing src's models. */
int gclf_clone(struct gclf *g, const struct gclf *src, struct phk_err *e);
void gclf_release(struct gclf *g);

/*
 * The features of one sentence s[0..n) (normalized text) under nbits, into
 * x (reset first). With fn, each feature's string is also passed to it
 * (tools/guard-features --explain). 0, or -1 when out of memory.
 */
int gclf_features(const struct names *nm, unsigned nbits, const char *s, size_t n,
    struct clf_vec *x, void (*fn)(void *ctx, const char *feat, size_t len), void *ctx);

/*
 * The probability rule gets from its model for sentence s[0..n): models
 * are run once per sentence whatever the number of rules reading them
 * (gclf_reset between sentences). -1 when out of memory.
 */
double gclf_rule_prob(struct gclf *g, int rule, const char *s, size_t n);
void gclf_reset(struct gclf *g);

/*
 * The sentence around s[a..b): back to the last ". ", "! ", "? ", ": ",
 * ";" or line break, forward to the next one (kept). guard-check's
 * rules and its classifier read the same sentences.
 */
void gclf_sentence(const char *s, size_t n, size_t a, size_t b, size_t *ss, size_t *se);
/*
 * The next sentence the classifier reads, from *pos on: its span in
 * [*ss, *se), opening quotes and blanks left out, *pos moved past it;
 * sentences under 8 bytes are skipped. 1, or 0 at the end of s.
 * guard-check and tools/guard-features read the same sentences.
 */
int gclf_next(const char *s, size_t n, size_t *pos, size_t *ss, size_t *se);

#endif
