/*
 * lib/acm.c: every occurrence of every string, overlapping ones and ones
 * inside others included, once each; the same bytes added twice are one
 * string; the memory reused from one set to the next.
 */
#include <stdio.h>
#include <string.h>

#include "acm.h"
#include "tap.h"

static char got[4096];

struct words {
	const char *const *w;
};

static int
collect(void *ctx, size_t end, uint32_t id)
{
	const char *const *words = ((struct words *)ctx)->w;
	size_t k = strlen(got);

	snprintf(got + k, sizeof(got) - k, "%s%s@%zu", k ? " " : "", words[id],
	    end - strlen(words[id]));
	return 0;
}

static int
stop_at_two(void *ctx, size_t end, uint32_t id)
{
	int *count = ctx;

	(void)end;
	(void)id;
	return ++*count == 2 ? 7 : 0;
}

static const char *
scan(struct acm *a, const char *const *words, const char *text)
{
	struct words w = { words };

	got[0] = '\0';
	acm_scan(a, text, strlen(text), collect, &w);
	return got;
}

int
main(void)
{
	static const char *const w1[] = { "he", "she", "his", "hers" };
	static const char *const w2[] = { "123-45-6789", "45-67", "6789" };
	struct acm a;
	uint32_t prev = 99;
	size_t i;
	int count = 0;

	acm_init(&a);
	is_str(scan(&a, w1, "ushers"), "", "nothing added: nothing found");
	for (i = 0; i < 4; i++)
		ok(acm_add(&a, w1[i], strlen(w1[i]), (uint32_t)i, &prev) == 0, "add '%s'", w1[i]);
	ok(acm_add(&a, "his", 3, 9, &prev) == 1 && prev == 2, "the same bytes again: not added, its first id");
	ok(acm_build(&a) == 0, "build");
	is_str(scan(&a, w1, "ushers"), "she@1 he@2 hers@2", "overlapping and nested strings, each once");
	is_str(scan(&a, w1, "hishershe"), "his@0 she@2 he@3 hers@3 she@6 he@7", "across a text, in the order they end");
	is_str(scan(&a, w1, "HE SHE"), "", "bytes, not case-folded");
	ok(acm_scan(&a, "he he he", 8, stop_at_two, &count) == 7 && count == 2,
	    "the callback's non-zero stops the scan and is returned");

	acm_reset(&a);
	is_str(scan(&a, w2, "123-45-6789"), "", "reset: nothing left");
	for (i = 0; i < 3; i++)
		acm_add(&a, w2[i], strlen(w2[i]), (uint32_t)i, &prev);
	acm_build(&a);
	is_str(scan(&a, w2, "SSN 123-45-6789, 123-45-6789"),
	    "45-67@8 123-45-6789@4 6789@11 45-67@21 123-45-6789@17 6789@24",
	    "reused: a value inside another found where it stands");

	/* many strings sharing prefixes: one pass */
	acm_reset(&a);
	{
		char buf[16], text[4000 * 12 + 1];
		size_t len = 0;
		for (i = 0; i < 4000; i++) {
			snprintf(buf, sizeof(buf), "123-%07zu", i);
			acm_add(&a, buf, strlen(buf), (uint32_t)i, &prev);
			memcpy(text + len, buf, 11);
			text[len + 11] = ' ';
			len += 12;
		}
		acm_build(&a);
		count = 0;
		acm_scan(&a, text, len, stop_at_two, &count);
		ok(count == 2, "4,000 strings with one prefix: scanned");
	}
	acm_release(&a);
	return done_testing();
}
