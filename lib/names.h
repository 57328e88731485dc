/*
 * names — finds personal names in free text: dictionaries of first names
 * and surnames (U.S. Census), an English word list to tell "Will" from
 * "will", and the cues clinicians write around names (titles, roles,
 * header labels, credentials). Read-only after names_init.
 */
#ifndef PHIKIT_NAMES_H
#define PHIKIT_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "policy.h"

enum {
	NF_FIRST = 1 << 0, NF_LAST = 1 << 1, NF_ENG = 1 << 2, NF_TITLE = 1 << 3,
	NF_CUE = 1 << 4, NF_CRED = 1 << 5, NF_LABEL = 1 << 6, NF_NOT = 1 << 7,
	NF_EPONYM = 1 << 8, NF_REL = 1 << 9, NF_VERB = 1 << 10, NF_PARTICLE = 1 << 11,
	NF_MED = 1 << 12,	/* in the medical vocabulary */
	NF_GEO = 1 << 13,	/* a place name of one word (the gazetteer) */
	NF_GEOW = 1 << 14,	/* a word of a place name of several ("Bel Air") */
	NF_FAC = 1 << 15	/* a word facilities are named with ("Memorial") */
};

/* Open-addressed words, folded to lowercase ASCII (Latin-1 accents too). */
struct lexicon {
	uint64_t *tab;		/* hash bits and flags, see names.c */
	uint64_t *trig;		/* per slot: trigger bits of rules (cue lexicon) */
	size_t mask, used;
};

/*
 * Two lexicons: the large dictionary (names, English) is consulted only for
 * words that can be names; the small cue lexicon, which stays in cache, for
 * every word.
 */
struct names {
	int enabled;
	struct lexicon dict, cues;
	const struct names_conf *conf;	/* the policy's, for the place cues and facility words */
};

/* What stands after a word (tok.gap). */
enum { G_SPACE, G_DOT, G_COMMA, G_COLON, G_NL, G_OTHER, G_END };

struct tok {
	size_t s, e;
	uint64_t hash;		/* of the folded word, as the lexicons hash it */
	uint32_t key;		/* its top half: names_key */
	unsigned flags;
	unsigned char cap, allcaps, ndig, one, gap, poss;
	unsigned char looked;	/* its dictionary flags are in flags */
};

/* A text's words, reused from one text to the next. */
struct ntoks {
	struct tok *t;
	size_t n, cap;
	unsigned char *mark;
	size_t mcap;
	uint64_t trig;		/* OR of the trigger bits of its words */
	struct hit {
		size_t pos;	/* where a trigger word starts */
		uint64_t bits;
	} *hits;
	size_t nhits, hcap;
	int lower;		/* a lowercase note */
	/* after names_detect: per word, why it was marked (NR_*), 0 if not */
	unsigned char *why;
	size_t wcap;
};

/* Why the heuristics took a word for a name. */
enum { NR_TITLE = 1, NR_REL, NR_LABEL, NR_CUE, NR_CRED, NR_VERB, NR_FIRST, NR_PAIR,
	NR_LASTFIRST, NR_PARTICLE };

int names_init(struct names *nm, const struct names_conf *c, struct phk_err *e);
void names_release(struct names *nm);
/* Makes word a trigger of rule bit (0..63): the rule runs where it appears. */
int names_add_trigger(struct names *nm, const char *word, unsigned bit);
/* The hash of a word folded as the lexicons fold it (tok.key). */
uint32_t names_key(const char *w, size_t n);
/* Lexicon flags of a word (any case, Latin-1 accents folded); 0 if unknown. */
unsigned names_flags(const struct names *nm, const char *w, size_t n);
/* The 64-bit hash of a word folded as the lexicons fold it, and its flags. */
uint64_t names_hash(const char *w, size_t n);
unsigned names_flags_hash(const struct names *nm, uint64_t h);
/* Byte length of the letter at s[i] (0: none); whether it is a capital. */
size_t names_letter(const unsigned char *s, size_t n, size_t i);
int names_upper(const unsigned char *s, size_t n, size_t i);

/* Splits s into words and looks up their cues and triggers. */
int names_tokenize(const struct names *nm, const char *s, size_t n, struct ntoks *tk);
void ntoks_release(struct ntoks *tk);

/* A name found at s[start..end). */
typedef int (*names_fn)(void *ctx, size_t start, size_t end, const char *rule);
/* After names_tokenize on the same text. */
int names_detect(const struct names *nm, const char *s, size_t n, struct ntoks *tk,
    names_fn fn, void *ctx);
/*
 * Places with no shape, after names_tokenize on the same text, each span
 * to fn (rule "places"): a gazetteer town that is no English or medical
 * word after a place cue ("lives in Catonsville", "from towson"); up to two
 * capitalized words before a facility head ("Harbor Hosp", "HARFORD
 * MEMORIAL", "Union Memorial Hospital"); a facility name of two words
 * ("Sacred Heart").
 */
int names_places(const struct names *nm, const char *s, size_t n, struct ntoks *tk,
    names_fn fn, void *ctx);

#endif
