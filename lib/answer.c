#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"

static const char *const fields[ANSWER_NFIELDS] = {
	/* the answer */
	".choices[].message.content", ".choices[].text", ".choices[].delta.content",
	".output[].content[].text", ".output_text",
	/* a record's plain text */
	".text", ".output",
};
#define NTEXT 5

int
answer_fields_init(struct answer_fields *af, struct phk_err *e)
{
	memset(af, 0, sizeof(*af));
	for (af->n = 0; af->n < ANSWER_NFIELDS; af->n++)
		if (fieldpath_parse(&af->fp[af->n], fields[af->n], e) < 0) {
			answer_fields_release(af);
			return -1;
		}
	return 0;
}

void
answer_fields_release(struct answer_fields *af)
{
	int i;

	for (i = 0; i < af->n; i++)
		fieldpath_release(&af->fp[i]);
	af->n = 0;
}

int
answer_field(const struct answer_fields *af, const struct jpath *jp)
{
	int i;

	for (i = 0; i < af->n; i++)
		if (fieldpath_match(&af->fp[i], jp))
			return i < NTEXT ? ANSWER_TEXT : ANSWER_PLAIN;
	return ANSWER_NONE;
}

int
answer_holds(const char *line, const long choices[2], const long output[2])
{
	return (choices[0] >= 0 && line[choices[0]] == '[') ||
	    (output[0] >= 0 && line[output[0]] == '[');
}

/* ---- what a reviewer reads ---- */

/* Kinds while reading: a plain text and a message's role are sorted out after. */
enum { K_PLAIN = 10, K_ROLE };

/* Offsets into the arena until the record is read: it may move. */
struct araw {
	int kind;
	long msg;		/* .messages[msg] or .input[msg], or -1 */
	size_t path, name, text, len;	/* name: (size_t)-1 none */
};

static int
seg_is(const struct jseg *s, const char *k)
{
	size_t n = strlen(k);

	return s->key && s->klen == n && memcmp(s->key, k, n) == 0;
}

/*
 * A prompt's text: .prompt (or .prompt[i]), .instructions, .input as a
 * string, and .messages[i] or .input[i] as content or content[j].text;
 * K_ROLE for their role. *msg is the message's index, or -1.
 */
static int
prompt_kind(const struct jpath *jp, long *msg)
{
	const struct jseg *s = jp->seg;

	*msg = -1;
	if ((seg_is(&s[0], "prompt") && (jp->n == 1 || (jp->n == 2 && s[1].key == NULL))) ||
	    (jp->n == 1 && (seg_is(&s[0], "instructions") || seg_is(&s[0], "input"))))
		return ANSWER_PROMPT;
	if (jp->n < 3 || !(seg_is(&s[0], "messages") || seg_is(&s[0], "input")) ||
	    s[1].key != NULL)
		return ANSWER_NONE;
	*msg = s[1].index;
	if (jp->n == 3 && seg_is(&s[2], "role"))
		return K_ROLE;
	if (seg_is(&s[2], "content") && (jp->n == 3 ||
	    (jp->n == 5 && s[3].key == NULL && seg_is(&s[4], "text"))))
		return ANSWER_PROMPT;
	return ANSWER_NONE;
}

static int
add_raw(struct answer_view *av, struct araw **raw, size_t *nraw, size_t *cap, int kind,
    long msg)
{
	struct araw *r;

	if (ARRAY_RESERVE(*raw, *cap, *nraw + 1) < 0)
		return -1;
	r = &(*raw)[(*nraw)++];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	r->msg = msg;
	r->name = (size_t)-1;
	r->path = av->arena.len;
	return 0;
}

/* Appends a string's decoded text and a NUL; r->text, r->len. */
static int
add_text(struct buf *b, struct araw *r, const char *raw, size_t n, int esc)
{
	r->text = b->len;
	if (esc ? jstr_decode(raw, n, b) < 0 : buf_add(b, raw, n) < 0)
		return -1;
	r->len = b->len - r->text;
	return buf_addc(b, '\0');
}

struct vscan {
	struct answer_view *av;
	const char *line;
	struct araw *raw;
	size_t nraw, cap;
	struct phk_err *e;
};

static int
view_string(void *ctx, const struct jpath *jp, size_t st, size_t en, int esc)
{
	struct vscan *vs = ctx;
	struct answer_view *av = vs->av;
	struct araw *r;
	long msg = -1;
	int rc, kind;

	if (jp->n >= 1 && seg_is(&jp->seg[0], "phikit"))
		return 0;
	if ((rc = toolcalls_string(&av->tc, NULL, jp, st, en, esc)) != 0) {
		av->holds = 1;
		if (rc > 0)
			return 0;
		goto oom;
	}
	if ((kind = answer_field(av->af, jp)) == ANSWER_TEXT)
		av->holds = 1;
	kind = kind == ANSWER_TEXT ? ANSWER_ANSWER : kind == ANSWER_PLAIN ? K_PLAIN :
	    prompt_kind(jp, &msg);
	if (kind == ANSWER_NONE)
		return 0;
	if (add_raw(av, &vs->raw, &vs->nraw, &vs->cap, kind, msg) < 0)
		goto oom;
	r = &vs->raw[vs->nraw - 1];
	if (fieldpath_render(&av->arena, jp) < 0 || buf_addc(&av->arena, '\0') < 0 ||
	    add_text(&av->arena, r, vs->line + st, en - st, esc) < 0)
		goto oom;
	return 0;
oom:
	phk_err_set(vs->e, PHK_EXIT_IO, "out of memory");
	return -1;
}

/* A tool call: its path, its name as written, its arguments as JSON text. */
static int
view_call(struct vscan *vs, const struct toolcall *c)
{
	struct answer_view *av = vs->av;
	struct araw *r;

	if (add_raw(av, &vs->raw, &vs->nraw, &vs->cap, ANSWER_CALL, -1) < 0)
		return -1;
	r = &vs->raw[vs->nraw - 1];
	if (toolcall_path(c, &av->arena) < 0 || buf_addc(&av->arena, '\0') < 0)
		return -1;
	r->name = av->arena.len;
	if ((c->name_esc ? jstr_decode(vs->line + c->name_s, (size_t)(c->name_e - c->name_s),
	    &av->arena) : buf_add(&av->arena, vs->line + c->name_s,
	    (size_t)(c->name_e - c->name_s))) < 0 || buf_addc(&av->arena, '\0') < 0)
		return -1;
	if (c->args_s < 0) {
		r->text = av->arena.len;
		return buf_addc(&av->arena, '\0');
	}
	return add_text(&av->arena, r, vs->line + c->args_s, (size_t)(c->args_e - c->args_s),
	    c->args_str && c->args_esc);
}

/* The raw entries into av->v, a plain text and a message's role sorted out. */
static int
view_finish(struct vscan *vs)
{
	struct answer_view *av = vs->av;
	const char *a = av->arena.p;
	size_t i, k;

	if (ARRAY_RESERVE(av->v, av->cap, vs->nraw + 1) < 0)
		return -1;
	for (i = 0; i < vs->nraw; i++) {
		const struct araw *r = &vs->raw[i];
		struct answer_text *t;
		if (r->kind == K_ROLE)
			continue;
		t = &av->v[av->n++];
		memset(t, 0, sizeof(*t));
		/* with an answer, a plain text is the request's; without, it is judged */
		t->kind = r->kind != K_PLAIN ? r->kind : av->holds ? ANSWER_PROMPT : ANSWER_ANSWER;
		t->path = a + r->path;
		t->name = r->name == (size_t)-1 ? NULL : a + r->name;
		t->text = a + r->text;
		t->len = r->len;
		for (k = 0; r->msg >= 0 && k < vs->nraw; k++)
			if (vs->raw[k].kind == K_ROLE && vs->raw[k].msg == r->msg)
				t->role = a + vs->raw[k].text;
	}
	return 0;
}

void
answer_view_init(struct answer_view *av, const struct answer_fields *af)
{
	memset(av, 0, sizeof(*av));
	av->af = af;
	buf_init(&av->arena, (size_t)1 << 34);
	toolcalls_init(&av->tc);
}

void
answer_view_release(struct answer_view *av)
{
	free(av->v);
	buf_release(&av->arena);
	toolcalls_release(&av->tc);
	memset(av, 0, sizeof(*av));
}

int
answer_view_read(struct answer_view *av, const char *line, size_t n, struct phk_err *e)
{
	static const char *const keys[] = { "tool", "args", "choices", "output" };
	struct vscan vs;
	struct jscan js;
	long span[4][2];
	size_t i;
	int rc = -1;

	av->n = 0;
	av->holds = 0;
	buf_reset(&av->arena);
	toolcalls_reset(&av->tc);
	memset(&vs, 0, sizeof(vs));
	vs.av = av;
	vs.line = line;
	vs.e = e;
	jscan_init(&js, NULL);
	js.more = keys;
	js.nmore = 4;
	js.more_span = span;
	js.on_string = view_string;
	js.ctx = &vs;
	if (jscan_record(&js, line, n, e) < 0)
		goto out;
	if (toolcalls_finish(&av->tc, line, span[0][0], span[0][1], span[1][0], span[1][1], e) < 0)
		goto out;
	av->holds |= answer_holds(line, span[2], span[3]);
	for (i = 0; i < av->tc.n; i++)
		if (view_call(&vs, &av->tc.v[i]) < 0)
			goto oom;
	if (view_finish(&vs) < 0)
		goto oom;
	rc = 0;
	goto out;
oom:
	phk_err_set(e, PHK_EXIT_IO, "out of memory");
out:
	free(vs.raw);
	return rc;
}

const struct answer_text *
answer_view_find(const struct answer_view *av, const char *path)
{
	size_t i;

	for (i = 0; i < av->n; i++)
		if (av->v[i].kind != ANSWER_CALL && !strcmp(av->v[i].path, path))
			return &av->v[i];
	return NULL;
}
