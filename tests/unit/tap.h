/*
 * tap.h — a tiny TAP producer for the unit tests.
 *
 *	plan(n)			optional: "1..n" up front
 *	ok(cond, fmt, ...)	"ok N - name" or "not ok N - name"
 *	is_int(got, want, ...)	ok() on equality, with got/want on failure
 *	is_str(got, want, ...)	the same for C strings (NULL never equals)
 *	is_mem(got, gn, want, wn, ...)	the same for byte strings
 *	diag(fmt, ...)		"# ..." on stdout
 *	done_testing()		the plan if none was given; the exit status:
 *				0 only if every test ran and passed
 *
 * Everything is static inline, so a test that uses only part of it
 * compiles cleanly under -Wall -Wextra -Wmissing-prototypes.
 */
#ifndef PHIKIT_TAP_H
#define PHIKIT_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct tap_state {
	int planned;		/* -1: no plan yet */
	int run, failed;
};

static inline struct tap_state *
tap_state(void)
{
	static struct tap_state st = { -1, 0, 0 };

	return &st;
}

static inline void
plan(int n)
{
	tap_state()->planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline void __attribute__((format(printf, 1, 2)))
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* A byte string as a C literal would show it, for diagnostics. */
static inline void
tap_show(const char *label, const void *p, size_t n)
{
	const unsigned char *s = p;
	size_t i;

	printf("#   %s ", label);
	if (s == NULL) {
		puts("(null)");
		return;
	}
	putchar('"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			printf("\\%c", s[i]);
		else if (s[i] == '\n')
			fputs("\\n", stdout);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			printf("\\x%02x", s[i]);
		else
			putchar(s[i]);
	}
	puts("\"");
}

static inline int
tap_result(int cond, const char *fmt, va_list ap)
{
	struct tap_state *t = tap_state();

	t->run++;
	if (!cond)
		t->failed++;
	printf("%sok %d - ", cond ? "" : "not ", t->run);
	vprintf(fmt, ap);
	putchar('\n');
	return cond;
}

static inline int __attribute__((format(printf, 2, 3)))
ok(int cond, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_result(cond, fmt, ap);
	va_end(ap);
	fflush(stdout);
	return r;
}

static inline int __attribute__((format(printf, 3, 4)))
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_result(got == want, fmt, ap);
	va_end(ap);
	if (!r)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	fflush(stdout);
	return r;
}

static inline int __attribute__((format(printf, 3, 4)))
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_result(got != NULL && want != NULL && strcmp(got, want) == 0, fmt, ap);
	va_end(ap);
	if (!r) {
		tap_show("got: ", got, got ? strlen(got) : 0);
		tap_show("want:", want, want ? strlen(want) : 0);
	}
	fflush(stdout);
	return r;
}

static inline int __attribute__((format(printf, 5, 6)))
is_mem(const void *got, size_t gn, const void *want, size_t wn, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = tap_result(got != NULL && want != NULL && gn == wn &&
	    (gn == 0 || memcmp(got, want, gn) == 0), fmt, ap);
	va_end(ap);
	if (!r) {
		tap_show("got: ", got, gn);
		tap_show("want:", want, wn);
	}
	fflush(stdout);
	return r;
}

static inline int
done_testing(void)
{
	struct tap_state *t = tap_state();

	if (t->planned < 0)
		printf("1..%d\n", t->run);
	else if (t->planned != t->run)
		diag("planned %d tests but ran %d", t->planned, t->run);
	if (t->failed)
		diag("failed %d of %d tests", t->failed, t->run);
	fflush(stdout);
	return t->failed || (t->planned >= 0 && t->planned != t->run) ? 1 : 0;
}

#endif
