/*
 * ner — a trained token classifier for the PHI that has no checkable
 * shape: names, places, dates as clinicians write them, phone numbers and
 * identifiers with no cue a pattern knows. It sits beside the rules: the
 * patterns keep what a validator can check (SSN, NPI, cards, e-mail...),
 * the classifier reads each word in its context.
 *
 * A text is cut into tokens (words, and numbers with their separators:
 * "6/30-7/2", "10:26", "20th"); each token gets features — its shape and
 * case, its prefixes and suffixes, the lexicons it is in (first names,
 * surnames, English, the medical vocabulary, the gazetteer, facility
 * words, the cue words: lib/names' NF_* flags), the same of the two tokens
 * on either side, the punctuation and line breaks around it, the section
 * it is in, whether the note is written in capitals or in lower case, and
 * what the name heuristics of lib/names said of it — hashed into a lib/clf
 * model (one-vs-rest logistic regression). The same code extracts them at
 * training (tools/ner-features) and at run time (ner_find), so a model is
 * only ever applied to the features it learned from; NER_MODEL_NAME
 * changes whenever they do, and clf_load refuses a model made for others.
 *
 * Speed: a word's own features, and its features as a neighbour, depend on
 * its bytes and the note's style only, so their weights are summed once
 * per word and kept in a small cache (struct ner_work); a token then costs
 * five cached vectors and a few features of its position.
 */
#ifndef PHIKIT_NER_H
#define PHIKIT_NER_H

#include <stddef.h>
#include <stdint.h>

#include "clf.h"
#include "diag.h"
#include "names.h"

#define NER_MODEL_NAME "phikit-ner-1"

/* What the model tells; O is no PHI. */
enum { NER_O, NER_NAME, NER_LOC, NER_ADDR, NER_ZIP, NER_DATE, NER_PHONE, NER_AGE, NER_ID, NER__N };
extern const char *const ner_label_names[NER__N];

struct ner {
	struct clf clf;
	int lab[NER__N];	/* the model's label number of each NER_ label, or -1 */
	double thr;		/* a token is PHI when its label's probability reaches it */
	double prop;		/* a name this sure goes wherever it stands in the record */
};

enum { NT_WORD = 1, NT_NUM = 2 };

struct ner_tok {
	size_t s, e;		/* bytes of the text */
	uint64_t wh;		/* hash of its exact bytes: the cache key */
	uint64_t lh;		/* hash of the folded word (names_hash) */
	uint64_t sec;		/* the section it stands in: its header's lh, or 0 */
	unsigned flags;		/* NF_* */
	unsigned char kind, cls;	/* NT_*; shape class */
	unsigned char gbc, gbn;	/* the gap before: first mark (0 touching, ' '), newlines */
	unsigned char heur;	/* why the name heuristics took it for a name (NR_*), or 0 */
	unsigned char eol;	/* last token of its line */
	unsigned char lnt;	/* tokens in its line (up to 255) */
	unsigned char tag;	/* a replacement tag phi-scrub wrote: [NAME], [DATE-1a2b3c] */
	unsigned char msr;	/* a number that measures: 9.9, 10:26, 1,200 */
	unsigned char last;	/* in the text's last line */
	uint32_t hspan;		/* which of the heuristics' names it is in (1...), or 0 */
	unsigned char lab;	/* ner_find: the label it got, */
	float p;		/* and how sure */
};

/* A thread's working memory: tokens, the word cache, the feature cache. */
struct ner_work {
	struct ner_tok *t;
	size_t n, cap;
	unsigned char style;	/* 'A' capitals, 'L' lower case, 'M' mixed */
	struct ner_cent *cache;
	size_t cmask;
	struct ner_fent *fcache;	/* a feature's weights, by its hash */
	const struct ner *cached_for;
};

int ner_load(struct ner *nr, const char *path, struct phk_err *e);
void ner_release(struct ner *nr);
void ner_work_init(struct ner_work *w);
void ner_work_release(struct ner_work *w);

/* Cuts s[0..n) into tokens with their lexicon flags and context. 0, -1 if out of memory. */
int ner_tokenize(struct ner_work *w, const struct names *nm, const char *s, size_t n);
/* After names_detect on the same text: what the name heuristics said of each word. */
void ner_marks(struct ner_work *w, const struct ntoks *tk);

/*
 * Whether token i is left out: an English or medical word in no name or
 * place list (written in lower case in a note in mixed case: but a
 * facility word), that the
 * heuristics did not mark, written as the note writes its words; a cue
 * word ("Dr", "Name", "MD", "wife"); a replacement tag of phi-scrub's; a
 * decimal, a time or a number with a thousands separator. It
 * is no PHI without being scored, and no training example.
 */
int ner_skip(const struct ner_work *w, size_t i);

/*
 * The features of token i as clf indices among 2^nbits, into x (reset
 * first): what tools/ner-features writes for training. 0, -1 if out of memory.
 */
int ner_vector(const struct ner_work *w, const char *s, size_t i, unsigned nbits, struct clf_vec *x);

/* A span the model found, with its label (NER_*) and probability. */
typedef int (*ner_fn)(void *ctx, size_t s, size_t e, int label, double p);
/*
 * After ner_tokenize (and ner_marks) on the same text: classifies every
 * token and reports runs of tokens with the same label as one span. A
 * name the heuristics found whole ("de la Cruz", "VOLKOV, FRANK") is
 * reported whole when the model takes a word of it for a name.
 * 0, or the callback's nonzero return, or -1 if out of memory.
 */
int ner_find(const struct ner *nr, struct ner_work *w, const char *s, ner_fn fn, void *ctx);

#endif
