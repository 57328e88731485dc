/*
 * lib/buf.c: a byte buffer with a hard ceiling. An append that would pass
 * the ceiling is refused whole (E2BIG) and leaves the contents as they
 * were: it never truncates. The contents are always NUL-terminated.
 */
#include <errno.h>
#include <string.h>

#include "buf.h"
#include "tap.h"

int
main(void)
{
	struct buf b;
	char big[300];
	size_t i;
	int r;

	buf_init(&b, 8);
	ok(b.p == NULL && b.len == 0 && b.max == 8, "init: empty, nothing allocated");
	ok(buf_adds(&b, "12345") == 0, "adds: within the ceiling");
	is_str(b.p, "12345", "adds: contents");
	is_int((long long)b.len, 5, "adds: length");

	errno = 0;
	r = buf_adds(&b, "6789");
	ok(r == -1 && errno == E2BIG, "an append past the ceiling is refused with E2BIG");
	is_str(b.p, "12345", "refused: contents unchanged, nothing of it appended");
	is_int((long long)b.len, 5, "refused: length unchanged");

	ok(buf_adds(&b, "678") == 0, "adds: up to the ceiling exactly");
	is_str(b.p, "12345678", "full: contents");
	errno = 0;
	ok(buf_addc(&b, '9') == -1 && errno == E2BIG, "addc: one byte past the ceiling refused");
	errno = 0;
	ok(buf_addu(&b, 7) == -1 && errno == E2BIG, "addu: refused when full");
	errno = 0;
	ok(buf_printf(&b, "%d", 7) == -1 && errno == E2BIG, "printf: refused when full");
	ok(buf_add(&b, "x", 0) == 0, "add: zero bytes fit even when full");
	is_mem(b.p, b.len + 1, "12345678", 9, "full: still NUL-terminated and unchanged");

	buf_reset(&b);
	ok(b.len == 0 && b.p[0] == '\0', "reset: empty string");
	ok(buf_addc(&b, 'x') == 0 && buf_addu(&b, 0) == 0, "addc, addu after reset");
	is_str(b.p, "x0", "addu: zero");
	buf_release(&b);
	ok(b.p == NULL && b.len == 0 && b.max == 8, "release: freed, the ceiling kept");

	buf_init(&b, 64);
	ok(buf_addu(&b, 18446744073709551615ull) == 0, "addu: the largest value");
	is_str(b.p, "18446744073709551615", "addu: every digit");
	buf_reset(&b);
	ok(buf_printf(&b, "%s-%03d", "id", 7) == 0, "printf: formats");
	is_str(b.p, "id-007", "printf: contents");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	errno = 0;
	ok(buf_printf(&b, "%s", big) == -1 && errno == E2BIG,
	    "printf: a result over its 255-byte limit is refused, not cut");
	is_str(b.p, "id-007", "printf: refused, contents unchanged");
	buf_release(&b);

	/* a binary-safe append with NUL bytes inside */
	buf_init(&b, 16);
	ok(buf_add(&b, "a\0b", 3) == 0, "add: bytes with a NUL inside");
	is_mem(b.p, b.len, "a\0b", 3, "add: all three bytes kept");
	buf_release(&b);

	/* many small appends grow the buffer and keep every byte */
	buf_init(&b, 1 << 20);
	for (i = 0, r = 0; i < 100000; i++)
		r |= buf_addc(&b, (char)('a' + i % 26));
	ok(r == 0 && b.len == 100000, "100000 appends");
	for (i = 0; i < 100000 && b.p[i] == (char)('a' + i % 26); i++)
		;
	is_int((long long)i, 100000, "every byte in place after growing");
	is_int(b.p[100000], 0, "NUL-terminated after growing");
	buf_release(&b);

	/* a zero ceiling holds only the empty string */
	buf_init(&b, 0);
	ok(buf_add(&b, "", 0) == 0 && b.p != NULL && b.p[0] == '\0', "max 0: the empty string fits");
	errno = 0;
	ok(buf_addc(&b, 'x') == -1 && errno == E2BIG && b.len == 0, "max 0: one byte refused");
	buf_release(&b);

	/* a ceiling near SIZE_MAX: the length check must not overflow */
	buf_init(&b, (size_t)-1);
	ok(buf_adds(&b, "abc") == 0, "max SIZE_MAX: a small append");
	ok(b.cap >= b.len + 1, "max SIZE_MAX: room for the bytes and the NUL (cap %zu)", b.cap);
	errno = 0;
	ok(buf_add(&b, "x", (size_t)-1) == -1, "max SIZE_MAX: an impossible append is refused");
	is_str(b.p, "abc", "max SIZE_MAX: contents unchanged");
	buf_release(&b);
	return done_testing();
}
