/*
 * validate — checks that turn a shape into an identifier: check digits,
 * issuing rules, real calendar dates. Each takes the matched bytes.
 */
#ifndef PHIKIT_VALIDATE_H
#define PHIKIT_VALIDATE_H

#include <stddef.h>

/*
 * Nonzero if text[vs..ve) passes validator v (enum phk_validator); text
 * has tn bytes, and some validators look at the words around the value.
 */
int validate(int v, const char *text, size_t tn, size_t vs, size_t ve, int age_over);
/* Nonzero if the word ending at text[end] (spaces, "," or "." skipped) is a U.S. state. */
int state_before(const char *text, size_t end);

int luhn_ok(const char *s, size_t n);	/* over the digits, others skipped */
int card_ok(const char *s, size_t n);
int npi_ok(const char *s, size_t n);
int dea_ok(const char *s, size_t n);
int ssn_ok(const char *s, size_t n);
int ipv4_ok(const char *s, size_t n);
int ipv6_ok(const char *s, size_t n);
int vin_ok(const char *s, size_t n);
int iban_ok(const char *s, size_t n);	/* ISO 13616: mod 97 of the rearranged code is 1 */

/* A parsed date and how it was written, so it can be shifted in place. */
struct pdate {
	int y, m, d;		/* y 0: no year written; d 0: no day */
	int style;		/* private: which layout */
	int yy;			/* two-digit year written */
	int ypos, ylen;		/* where the year stands in the text */
	char sep;
	int mon_abbr, mon_case;	/* month words: abbreviated, capitalized */
	int dfirst;		/* "5 March 2020" */
	int pad;		/* month and day written with two digits */
	int mon_dot;		/* "Mar." */
};
/* Nonzero if s[0..n) is a real calendar date in a known layout. */
int date_parse(const char *s, size_t n, struct pdate *d);
/* Writes d shifted by days, in the layout it was read in; returns length. */
size_t date_shift_format(const struct pdate *d, long days, char *out, size_t cap);

#endif
