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
	NF_EPONYM = 1 << 8
};

struct lex_ent {
	uint32_t hash, off;
	uint16_t len, flags;
};

struct names {
	struct lex_ent *tab;
	size_t mask, used;
	char *arena;
	size_t alen, acap;
};

int names_init(struct names *nm, const struct names_conf *c, struct phk_err *e);
void names_release(struct names *nm);
/* Lexicon flags of a word (any case, Latin-1 accents folded); 0 if unknown. */
unsigned names_flags(const struct names *nm, const char *w, size_t n);

/* A name found at s[start..end). */
typedef int (*names_fn)(void *ctx, size_t start, size_t end, const char *rule);
int names_detect(const struct names *nm, const char *s, size_t n, names_fn fn, void *ctx);

/* Word boundaries as names_detect sees them (for propagation). */
int name_is_wordchar(const unsigned char *s, size_t n, size_t i);

#endif
