/*
 * norm — a normalized shadow of a text, for matching. Detectors run on the
 * shadow; every byte of it maps back to the source bytes it came from, so
 * a match found in the shadow is reported, and replaced, where it stands in
 * the source. What an editor, an EHR export or an evasive model writes
 * (full-width digits, NBSP, a soft hyphen, a zero-width space, an en dash,
 * a Cyrillic letter in a Latin word, **markdown**, &nbsp;) reads in the
 * shadow as plain text does. Unicode data (NFKC, categories) is utf8proc's.
 *
 * Ownership: the shadow and its map belong to the struct norm and stay
 * valid until the next norm_run or norm_release. When nothing changes,
 * p is the source itself and no map is kept (changed == 0).
 */
#ifndef PHIKIT_NORM_H
#define PHIKIT_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum {
	/* NFKC: full-width forms, ligatures, super- and subscripts, NBSP,
	 * circled digits to what they stand for; combining marks composed */
	NORM_COMPAT = 1 << 0,
	/* format characters dropped: soft hyphen, zero-width space and
	 * joiners, word joiner, BOM, bidi marks and overrides (category Cf) */
	NORM_FORMAT = 1 << 1,
	/* every dash to '-', every space separator to ' ', line and
	 * paragraph separators to '\n', curly quotes and primes to ' and " */
	NORM_PUNCT = 1 << 2,
	/* in a word that has Latin letters, the Cyrillic and Greek letters
	 * that look like Latin ones become those (UTS #39 mixed-script) */
	NORM_CONFUSABLE = 1 << 3,
	/* HTML tags dropped (a block tag leaves a space), entities decoded;
	 * markdown emphasis, code ticks, heading and quote marks dropped */
	NORM_MARKUP = 1 << 4,
	/* runs of spaces and tabs become one space */
	NORM_SPACE = 1 << 5,

	/* what phi-scrub's detectors read */
	NORM_TEXT = NORM_COMPAT | NORM_FORMAT | NORM_PUNCT | NORM_CONFUSABLE,
	/* what guard-check's rules read */
	NORM_PROSE = NORM_TEXT | NORM_MARKUP | NORM_SPACE
};

struct norm {
	const char *p;		/* the shadow */
	size_t n;
	int changed;		/* 0: p is the source, offsets are the same */
	/* private */
	struct buf out;
	uint32_t *ms, *me;	/* per shadow byte: the source span that made it */
	size_t mcap;
	const char *src;
	size_t srcn;
};

void norm_init(struct norm *nm);
void norm_release(struct norm *nm);
/*
 * Makes the shadow of s[0..n) (valid UTF-8) under flags. 0; -1 when out
 * of memory or n is 4 GiB or more (errno ENOMEM or E2BIG).
 */
int norm_run(struct norm *nm, const char *s, size_t n, unsigned flags);
/*
 * The source span of shadow bytes [a, b): from the start of what made
 * byte a to the end of what made byte b - 1 (a == b: an empty span where
 * byte a came from).
 */
void norm_span(const struct norm *nm, size_t a, size_t b, size_t *sa, size_t *sb);

#endif
