/*
 * lib/norm.c: the normalized shadow detectors read, and the way back from
 * a shadow span to the source bytes it came from.
 */
#define _GNU_SOURCE	/* memmem */
#include <string.h>

#include "norm.h"
#include "tap.h"

static struct norm nm;

/* The shadow of s under flags, as a C string (static). */
static const char *
shadow(const char *s, unsigned flags)
{
	static char out[1024];

	if (norm_run(&nm, s, strlen(s), flags) < 0)
		return "(error)";
	memcpy(out, nm.p, nm.n);
	out[nm.n] = '\0';
	return out;
}

/* The source bytes behind the shadow's first occurrence of word. */
static const char *
behind(const char *s, unsigned flags, const char *word)
{
	static char out[256];
	const char *at;
	size_t a, b;

	if (norm_run(&nm, s, strlen(s), flags) < 0)
		return "(error)";
	at = memmem(nm.p, nm.n, word, strlen(word));
	if (at == NULL)
		return "(absent)";
	norm_span(&nm, (size_t)(at - nm.p), (size_t)(at - nm.p) + strlen(word), &a, &b);
	memcpy(out, s + a, b - a);
	out[b - a] = '\0';
	return out;
}

int
main(void)
{
	const char *s;

	norm_init(&nm);

	s = "Pt seen 03/14/2024, SSN 219-09-9999.";
	is_str(shadow(s, NORM_PROSE), s, "plain ASCII is its own shadow");
	ok(nm.changed == 0 && nm.p == s, "and no copy is made");

	/* NFKC */
	is_str(shadow("SSN \xef\xbc\x92\xef\xbc\x91\xef\xbc\x99-09-9999", NORM_TEXT), "SSN 219-09-9999",
	    "full-width digits read as digits");
	is_str(shadow("mail a\xef\xbc\xa0" "b.org", NORM_TEXT), "mail a@b.org", "full-width @");
	is_str(shadow("MRN\xc2\xa0" "4418273", NORM_TEXT), "MRN 4418273", "NBSP is a space");
	is_str(shadow("\xef\xac\x81le", NORM_TEXT), "file", "a ligature is its letters");
	is_str(shadow("Jose\xcc\x81", NORM_TEXT), "Jos\xc3\xa9", "a combining accent is composed");
	is_str(shadow("Jos\xc3\xa9", NORM_TEXT), "Jos\xc3\xa9", "a composed accent stays");
	ok(nm.changed == 0, "and the text is its own shadow");

	/* format characters */
	is_str(shadow("219\xe2\x80\x8b-09-99\xc2\xad" "99", NORM_TEXT), "219-09-9999",
	    "zero-width space and soft hyphen dropped");
	is_str(shadow("Mari\xe2\x80\x8dsol", NORM_TEXT), "Marisol", "a joiner inside a name dropped");
	is_str(shadow("a\xe2\x80\xae" "b", NORM_TEXT), "ab", "a bidi override dropped");

	/* punctuation */
	is_str(shadow("219\xe2\x80\x93" "09\xe2\x80\x94" "9999", NORM_TEXT), "219-09-9999",
	    "en and em dashes are hyphens");
	is_str(shadow("6\xe2\x88\x92" "7", NORM_TEXT), "6-7", "a minus sign is a hyphen");
	is_str(shadow("don\xe2\x80\x99t \xe2\x80\x9cquote\xe2\x80\x9d", NORM_TEXT), "don't \"quote\"",
	    "curly quotes are straight");
	is_str(shadow("a\xe2\x80\x83" "b\xe3\x80\x80" "c", NORM_TEXT), "a b c", "every space separator is a space");

	/* confusables */
	is_str(shadow("\xd0\xa2" "ake 800 mg", NORM_TEXT), "Take 800 mg",
	    "a Cyrillic letter in a Latin word is the Latin one");
	is_str(shadow("\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", NORM_TEXT),
	    "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82", "a Cyrillic word stays Cyrillic");
	is_str(shadow("ibupr\xce\xbf" "fen", NORM_TEXT), "ibuprofen", "a Greek omicron in a Latin word");

	/* markup */
	is_str(shadow("**Take** 800 mg", NORM_PROSE), "Take 800 mg", "markdown bold dropped");
	is_str(shadow("you *have* gout", NORM_PROSE), "you have gout", "markdown emphasis dropped");
	is_str(shadow("snake_case and 5 * 3", NORM_PROSE), "snake_case and 5 * 3",
	    "an underscore inside a word and a spaced star stay");
	is_str(shadow("> Take it\n## Dose\n* item", NORM_PROSE), "Take it\nDose\n* item",
	    "quote and heading marks go, a list mark stays");
	is_str(shadow("<b>Take</b>&nbsp;800&nbsp;mg", NORM_PROSE), "Take 800 mg",
	    "inline tags dropped, entities decoded");
	is_str(shadow("line<br>next &amp; more &#8211; &#x41;", NORM_PROSE), "line next & more - A",
	    "a block tag leaves a space; numeric entities");
	is_str(shadow("a < b and c > d &unknown; &#0;", NORM_PROSE), "a < b and c > d &unknown; &#0;",
	    "what is no tag or entity stays");
	is_str(shadow("`code` ~~gone~~ ~5 mg", NORM_PROSE), "code gone ~5 mg", "ticks and strike marks");
	is_str(shadow("two  spaces\tand a tab", NORM_PROSE), "two spaces and a tab", "blanks collapse");
	is_str(shadow("two  spaces", NORM_TEXT), "two  spaces", "but only under NORM_SPACE");

	/* the way back */
	is_str(behind("SSN \xef\xbc\x92\xef\xbc\x91\xef\xbc\x99-09-9999.", NORM_TEXT, "219-09-9999"),
	    "\xef\xbc\x92\xef\xbc\x91\xef\xbc\x99-09-9999", "a shadow span maps to its source bytes");
	is_str(behind("x 219\xe2\x80\x8b-09-9999 y", NORM_TEXT, "219-09-9999"),
	    "219\xe2\x80\x8b-09-9999", "a dropped character inside a span is inside the source span");
	is_str(behind("**Take** 800 mg", NORM_PROSE, "Take 800"), "Take** 800",
	    "a span across dropped markup covers it");
	is_str(behind("\xef\xac\x81le", NORM_TEXT, "i"), "\xef\xac\x81",
	    "half a ligature is the whole ligature");
	is_str(behind("plain text", NORM_TEXT, "text"), "text", "unchanged text maps to itself");

	norm_release(&nm);
	return done_testing();
}
