#include <stdlib.h>
#include <string.h>

#include "fieldpath.h"

int
fieldpath_parse(struct fieldpath *fp, const char *s, struct phk_err *e)
{
	size_t len = strlen(s);
	const char *p;

	memset(fp, 0, sizeof(*fp));
	if (len > 1 && s[len - 1] == '?') {
		fp->optional = 1;
		len--;
	}
	if ((fp->text = strndup(s, len)) == NULL)
		goto bad;
	p = fp->text;
	if (*p != '.')
		goto bad;
	if (p[1] == '\0')
		return 0;	/* "." is the whole record */
	while (*p) {
		struct fseg *g;
		if (fp->n == (int)(sizeof(fp->seg) / sizeof(fp->seg[0])))
			goto bad;
		g = &fp->seg[fp->n];
		if (*p == '.' && p[1] != '[') {
			size_t n;
			p++;
			n = strcspn(p, ".[?");
			if (n == 0 || p[n] == '?')
				goto bad;
			if ((g->key = strndup(p, n)) == NULL)
				goto bad;
			p += n;
		} else if (*p == '[' || (*p == '.' && p[1] == '[')) {
			char *end;
			p += *p == '.' ? 2 : 1;
			g->key = NULL;
			if (*p == ']') {
				g->index = -1;
				p++;
			} else {
				g->index = strtol(p, &end, 10);
				if (end == p || *end != ']' || g->index < 0)
					goto bad;
				p = end + 1;
			}
		} else
			goto bad;
		fp->n++;
	}
	return 0;
bad:
	fieldpath_release(fp);
	phk_err_set(e, PHK_EXIT_USAGE, "bad field path '%s' (try .text or .messages[].content)", s);
	return -1;
}

void
fieldpath_release(struct fieldpath *fp)
{
	int i;

	for (i = 0; i < fp->n; i++)
		free(fp->seg[i].key);
	free(fp->text);
	memset(fp, 0, sizeof(*fp));
}

int
fieldpath_match(const struct fieldpath *fp, const struct jpath *jp)
{
	int i;

	if (fp->n > jp->n)
		return 0;
	for (i = 0; i < fp->n; i++) {
		const struct fseg *g = &fp->seg[i];
		const struct jseg *j = &jp->seg[i];
		if (g->key) {
			if (j->key == NULL || strlen(g->key) != j->klen ||
			    memcmp(g->key, j->key, j->klen) != 0)
				return 0;
		} else if (j->key != NULL || (g->index >= 0 && g->index != j->index))
			return 0;
	}
	return 1;
}

int
fieldpath_covers(const struct fieldpath *fp, const struct fieldpath *r)
{
	int i;

	if (fp->n > r->n)
		return 0;
	for (i = 0; i < fp->n; i++) {
		const struct fseg *a = &fp->seg[i], *b = &r->seg[i];
		if (a->key || b->key) {
			if (!a->key || !b->key || strcmp(a->key, b->key))
				return 0;
		} else if (a->index >= 0 && a->index != b->index)
			return 0;
	}
	return 1;
}

/* A key the way schemas name fields: what a path may show of it. */
static int
plain_key(const char *k, size_t n)
{
	size_t i;

	if (n == 0 || n > 64 || (!((k[0] | 32) >= 'a' && (k[0] | 32) <= 'z') && k[0] != '_'))
		return 0;
	for (i = 0; i < n; i++)
		if (!(((k[i] | 32) >= 'a' && (k[i] | 32) <= 'z') || (k[i] >= '0' && k[i] <= '9') ||
		    k[i] == '_' || k[i] == '-'))
			return 0;
	return 1;
}

int
fieldpath_render(struct buf *b, const struct jpath *jp)
{
	int i;

	if (jp->n == 0)
		return buf_addc(b, '.');
	for (i = 0; i < jp->n; i++) {
		const struct jseg *g = &jp->seg[i];
		if (g->key && !plain_key(g->key, g->klen)) {
			/* no other key's text is copied: its place in its object */
			if (buf_printf(b, ".{%ld}", g->index) < 0)
				return -1;
		} else if (g->key) {
			if (buf_addc(b, '.') < 0 || buf_add(b, g->key, g->klen) < 0)
				return -1;
		} else if (buf_addc(b, '[') < 0 || buf_addu(b, (unsigned long long)g->index) < 0 ||
		    buf_addc(b, ']') < 0)
			return -1;
	}
	return 0;
}
