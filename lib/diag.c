#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

static const char *prog = "phikit";

void
phk_err_set(struct phk_err *e, int status, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return;
	e->status = status;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

void
phk_setprog(const char *argv0)
{
	const char *s = strrchr(argv0, '/');

	prog = s ? s + 1 : argv0;
}

const char *
phk_prog(void)
{
	return prog;
}

/*
 * A code point a terminal or a text viewer may act on rather than show:
 * C1 controls, and the bidirectional marks, embeddings, overrides and
 * isolates (Trojan Source), and the Unicode line and paragraph separators.
 */
static int
unsafe_cp(unsigned cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * The length of the valid UTF-8 sequence at s and its code point, or 0
 * (the same rules as jscan: no overlongs, surrogates or past U+10FFFF).
 */
static size_t
utf8_cp(const unsigned char *s, unsigned *cp)
{
	unsigned c = s[0];

	if (c >= 0xc2 && c <= 0xdf && (s[1] & 0xc0) == 0x80) {
		*cp = (c & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (c >= 0xe0 && c <= 0xef && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
	    !(c == 0xe0 && s[1] < 0xa0) && !(c == 0xed && s[1] >= 0xa0)) {
		*cp = (c & 0x0f) << 12 | (unsigned)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80 &&
	    (s[3] & 0xc0) == 0x80 && !(c == 0xf0 && s[1] < 0x90) && !(c == 0xf4 && s[1] >= 0x90)) {
		*cp = (c & 0x07) << 18 | (unsigned)(s[1] & 0x3f) << 12 |
		    (unsigned)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		return 4;
	}
	return 0;
}

size_t
phk_safe_text(char *out, size_t cap, const char *in)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t k = 0, n;
	unsigned cp;
	char e[8];
	size_t en;

	if (cap == 0)
		return 0;
	while (*p) {
		if (*p >= 0x20 && *p < 0x7f) {
			e[0] = (char)*p;
			en = 1;
			n = 1;
		} else if (*p < 0x80 || (n = utf8_cp(p, &cp)) == 0) {
			/* C0, DEL, a byte that is not UTF-8 (0x9b alone is CSI to some terminals) */
			e[0] = '\\';
			e[1] = 'x';
			e[2] = hex[*p >> 4];
			e[3] = hex[*p & 15];
			en = 4;
			n = 1;
		} else if (unsafe_cp(cp)) {
			e[0] = '\\';
			e[1] = 'u';
			e[2] = hex[cp >> 12 & 15];
			e[3] = hex[cp >> 8 & 15];
			e[4] = hex[cp >> 4 & 15];
			e[5] = hex[cp & 15];
			en = 6;
		} else {
			memcpy(e, p, n);
			en = n;
		}
		if (en > cap - 1 - k)
			break;
		memcpy(out + k, e, en);
		k += en;
		p += n;
	}
	out[k] = '\0';
	return k;
}

/* One line on stderr, written whole, every control character in it shown as an escape. */
static void put_line(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
put_line(const char *fmt, va_list ap)
{
	char m[2048], o[4 * sizeof(m) + 2];
	size_t n;

	vsnprintf(m, sizeof(m), fmt, ap);
	n = phk_safe_text(o, sizeof(o) - 1, m);
	o[n++] = '\n';
	fwrite(o, 1, n, stderr);
}

static void
line(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	put_line(fmt, ap);
	va_end(ap);
}

void
phk_warn(const char *fmt, ...)
{
	char m[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	line("%s: %s", prog, m);
}

void
phk_input_error(const char *src, long lineno, const char *msg)
{
	line("%s: error (at %s:%ld): %s", prog, src, lineno, msg);
}

const char *
phk_arg(const char *s)
{
	static _Thread_local char ring[4][PHK_ARG_SHOWN + 32];
	static _Thread_local unsigned next;
	char *b = ring[next++ % 4];
	size_t i, n = strlen(s);

	for (i = 0; i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f; i++)
		;
	if (i == n && n <= PHK_ARG_SHOWN)
		snprintf(b, sizeof(ring[0]), "'%s'", s);
	else
		snprintf(b, sizeof(ring[0]), "<%zu bytes, not shown>", n);
	return b;
}

const char *
phk_url(const char *url)
{
	static _Thread_local char ring[2][208];
	static _Thread_local unsigned next;
	char *b = ring[next++ % 2];
	const char *sep = strstr(url, "://"), *host, *p, *at = NULL, *end;
	size_t sn, hn;

	sn = sep ? (size_t)(sep + 3 - url) : 0;
	if (sn > 32)
		return phk_arg(url);
	host = url + sn;
	/* user:password@ goes: the host starts after the authority's last '@' */
	for (p = host; *p && !strchr("/?#", *p); p++)
		if (*p == '@')
			at = p;
	if (at)
		host = at + 1;
	/* and so do ?query and #fragment */
	end = host + strcspn(host, "?#");
	for (p = url; p < end; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return phk_arg(url);
	hn = (size_t)(end - host);
	if (hn > 190 - sn)
		hn = 190 - sn;
	snprintf(b, sizeof(ring[0]), "'%.*s%.*s'", (int)sn, url, (int)hn, host);
	return b;
}

int
phk_std_fds(void)
{
	int fd;

	if (fcntl(STDIN_FILENO, F_GETFD) < 0 && (fd = open("/dev/null", O_RDONLY)) >= 0 &&
	    fd != STDIN_FILENO)
		close(fd);
	if (fcntl(STDOUT_FILENO, F_GETFD) < 0) {
		errno = EBADF;
		return -1;
	}
	if (fcntl(STDERR_FILENO, F_GETFD) < 0 && (fd = open("/dev/null", O_WRONLY)) >= 0 &&
	    fd != STDERR_FILENO)
		close(fd);
	return 0;
}
