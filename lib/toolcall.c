#include <stdlib.h>
#include <string.h>

#include "norm.h"
#include "toolcall.h"

void
toolcalls_init(struct toolcalls *tc)
{
	memset(tc, 0, sizeof(*tc));
}

void
toolcalls_release(struct toolcalls *tc)
{
	free(tc->v);
	memset(tc, 0, sizeof(*tc));
}

static int
key_is(const struct jseg *g, const char *k)
{
	return g->key && g->klen == strlen(k) && memcmp(g->key, k, g->klen) == 0;
}

static int
is_index(const struct jseg *g)
{
	return g->key == NULL;
}

/* The call (shape, i, j): the last one, or a new one. */
static struct toolcall *
call_at(struct toolcalls *tc, int shape, long i, long j)
{
	struct toolcall *c;

	if (tc->n && tc->v[tc->n - 1].shape == shape && tc->v[tc->n - 1].i == i &&
	    tc->v[tc->n - 1].j == j)
		return &tc->v[tc->n - 1];
	if (ARRAY_RESERVE(tc->v, tc->cap, tc->n + 1) < 0)
		return NULL;
	c = &tc->v[tc->n++];
	memset(c, 0, sizeof(*c));
	c->shape = shape;
	c->i = i;
	c->j = j;
	c->name_s = c->name_e = c->args_s = c->args_e = -1;
	c->type_s = c->type_e = -1;
	return c;
}

int
toolcalls_string(struct toolcalls *tc, const char *line, const struct jpath *jp,
    size_t st, size_t en, int esc)
{
	const struct jseg *s = jp->seg;
	struct toolcall *c = NULL;
	const struct jseg *leaf;

	(void)line;
	if (jp->n >= 7 && key_is(&s[0], "choices") && is_index(&s[1]) && key_is(&s[2], "message") &&
	    key_is(&s[3], "tool_calls") && is_index(&s[4]) && key_is(&s[5], "function")) {
		c = call_at(tc, TC_CHAT, s[1].index, s[4].index);
		leaf = &s[6];
	} else if (jp->n >= 5 && key_is(&s[0], "choices") && is_index(&s[1]) &&
	    key_is(&s[2], "message") && key_is(&s[3], "function_call")) {
		c = call_at(tc, TC_LEGACY, s[1].index, -1);
		leaf = &s[4];
	} else if (jp->n >= 3 && key_is(&s[0], "output") && is_index(&s[1]) &&
	    (key_is(&s[2], "name") || key_is(&s[2], "arguments") || key_is(&s[2], "type"))) {
		c = call_at(tc, TC_RESPONSES, s[1].index, -1);
		leaf = &s[2];
	} else
		return 0;
	if (c == NULL)
		return -1;
	if (jp->n > (leaf - s) + 1) {
		/* a string inside the arguments: they were not a string */
		if (key_is(leaf, "arguments"))
			c->args_nonstring = 1;
		return 1;
	}
	if (key_is(leaf, "name")) {
		c->dup |= c->name_s >= 0;
		c->name_s = (long)st;
		c->name_e = (long)en;
		c->name_esc = esc;
	} else if (key_is(leaf, "arguments")) {
		c->dup |= c->args_s >= 0;
		c->args_s = (long)st;
		c->args_e = (long)en;
		c->args_str = 1;
		c->args_esc = esc;
	} else if (key_is(leaf, "type")) {
		c->dup |= c->type_s >= 0;
		c->type_s = (long)st;
		c->type_e = (long)en;
		c->type_esc = esc;
	} else
		return 0;	/* an id, a call_id: not ours */
	return 1;
}

int
toolcalls_finish(struct toolcalls *tc, const char *line, long tool_s, long tool_e,
    long args_s, long args_e, struct phk_err *e)
{
	size_t i, k = 0;

	for (i = 0; i < tc->n; i++) {
		struct toolcall *c = &tc->v[i];
		if (c->dup) {
			phk_err_set(e, PHK_EXIT_INPUT, "a tool call has a duplicate key");
			return -1;
		}
		if (c->args_nonstring) {
			phk_err_set(e, PHK_EXIT_INPUT, "a tool call's \"arguments\" must be a string "
			    "of JSON text, as the API sends them");
			return -1;
		}
		if (c->shape == TC_RESPONSES) {
			/* a built-in tool ("web_search_call") is named by its type */
			size_t tn = c->type_s >= 0 ? (size_t)(c->type_e - c->type_s) : 0;
			int is_call = tn > 5 && !c->type_esc &&
			    memcmp(line + c->type_e - 5, "_call", 5) == 0;
			if (!is_call && c->name_s < 0)
				continue;	/* a message, a reasoning item */
			if (c->name_s < 0 && !(tn == 13 && !memcmp(line + c->type_s, "function_call", 13))) {
				c->name_s = c->type_s;
				c->name_e = c->type_e - 5;
			}
		}
		if (c->name_s < 0) {
			phk_err_set(e, PHK_EXIT_INPUT, "a tool call has no \"name\"");
			return -1;
		}
		tc->v[k++] = *c;
	}
	tc->n = k;
	if (tool_s >= 0) {
		struct toolcall *c;
		long ns = tool_s, ne = tool_e;
		if (line[tool_s] == '{') {
			struct jscan t;
			jscan_init(&t, "name");
			if (jscan_record(&t, line + tool_s, (size_t)(tool_e - tool_s), e) < 0)
				return -1;
			if (t.find_start < 0 || line[tool_s + t.find_start] != '"') {
				phk_err_set(e, PHK_EXIT_INPUT, "\"tool\" must be a string or an object "
				    "with a string \"name\"");
				return -1;
			}
			ns = tool_s + t.find_start;
			ne = tool_s + t.find_end;
		} else if (line[tool_s] != '"') {
			phk_err_set(e, PHK_EXIT_INPUT, "\"tool\" must be a string or an object with "
			    "a string \"name\"");
			return -1;
		}
		if ((c = call_at(tc, TC_TOP, -1, -1)) == NULL) {
			phk_err_set(e, PHK_EXIT_IO, "out of memory");
			return -1;
		}
		c->name_s = ns + 1;
		c->name_e = ne - 1;
		c->name_esc = memchr(line + ns + 1, '\\', (size_t)(ne - ns - 2)) != NULL;
		if (args_s >= 0) {
			c->args_s = args_s;
			c->args_e = args_e;
		}
	}
	return 0;
}

int
toolcall_norm(const char *s, size_t n, struct buf *out)
{
	struct norm nm;
	size_t i;
	int prev = 0;	/* 0 a separator (or the start), 1 lower or digit, 2 upper */

	buf_reset(out);
	norm_init(&nm);
	if (norm_run(&nm, s, n, NORM_TEXT) < 0) {
		norm_release(&nm);
		return -1;
	}
	for (i = 0; i < nm.n; i++) {
		unsigned char c = (unsigned char)nm.p[i];
		int rc = 0;
		if (c >= 'A' && c <= 'Z') {
			if (prev == 1)
				rc = buf_addc(out, '_');
			if (rc == 0)
				rc = buf_addc(out, (char)(c | 32));
			prev = 2;
		} else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) {
			rc = buf_addc(out, (char)c);
			prev = 1;
		} else {
			if (out->len && out->p[out->len - 1] != '_')
				rc = buf_addc(out, '_');
			prev = 0;
		}
		if (rc < 0) {
			norm_release(&nm);
			return -1;
		}
	}
	norm_release(&nm);
	while (out->len && out->p[out->len - 1] == '_')
		out->p[--out->len] = '\0';
	return 0;
}

int
toolcall_name(const struct toolcall *c, const char *line, struct buf *out)
{
	struct buf raw;
	int rc;

	if (!c->name_esc)
		return toolcall_norm(line + c->name_s, (size_t)(c->name_e - c->name_s), out);
	buf_init(&raw, (size_t)1 << 24);
	rc = jstr_decode(line + c->name_s, (size_t)(c->name_e - c->name_s), &raw) < 0 ? -1 :
	    toolcall_norm(raw.p, raw.len, out);
	buf_release(&raw);
	return rc;
}

int
toolcall_path(const struct toolcall *c, struct buf *out)
{
	switch (c->shape) {
	case TC_CHAT:
		return buf_printf(out, ".choices[%ld].message.tool_calls[%ld]", c->i, c->j);
	case TC_LEGACY:
		return buf_printf(out, ".choices[%ld].message.function_call", c->i);
	case TC_RESPONSES:
		return buf_printf(out, ".output[%ld]", c->i);
	default:
		return buf_adds(out, ".tool");
	}
}
