/*
 * answer — which texts of a record are a model's answer and which its
 * request, decided once for every program: guard-check judges the answer
 * (a record that holds a completion is judged on its answer, the request
 * being context; any other record on its text), and hitl show prints the
 * prompt and the answer a reviewer decides on.
 *
 * The answer: .choices[].message.content, .choices[].text,
 * .choices[].delta.content, .output[].content[].text, .output_text and
 * the tool calls (lib/toolcall). A record's plain text, .text and .output,
 * is what is judged when the record holds no answer, and part of the
 * request when it does.
 */
#ifndef PHIKIT_ANSWER_H
#define PHIKIT_ANSWER_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "fieldpath.h"
#include "jscan.h"
#include "toolcall.h"

#define ANSWER_NFIELDS 7

/* What a string of a record is to the checker. */
enum { ANSWER_NONE = -1, ANSWER_TEXT, ANSWER_PLAIN };

struct answer_fields {
	struct fieldpath fp[ANSWER_NFIELDS];
	int n;			/* parsed */
};

int answer_fields_init(struct answer_fields *af, struct phk_err *e);
void answer_fields_release(struct answer_fields *af);
/* The string at jp: ANSWER_TEXT (part of an answer), ANSWER_PLAIN or ANSWER_NONE. */
int answer_field(const struct answer_fields *af, const struct jpath *jp);
/*
 * Whether the record holds an answer by its shape: a top-level "choices"
 * or "output" that is an array (value spans as jscan gives them, -1 when
 * absent). A tool call, or a string answer_field calls ANSWER_TEXT, makes
 * it one too.
 */
int answer_holds(const char *line, const long choices[2], const long output[2]);

/* One text of a record, as a reviewer reads it. */
enum { ANSWER_PROMPT, ANSWER_ANSWER, ANSWER_CALL };

struct answer_text {
	int kind;		/* ANSWER_PROMPT, ANSWER_ANSWER, ANSWER_CALL */
	const char *path;	/* ".messages[0].content": guard-check's "field" */
	const char *role;	/* a message's role ("user"), or NULL */
	const char *name;	/* a tool call's name, as written; else NULL */
	const char *text;	/* the decoded text; a call's arguments as JSON text */
	size_t len;
};

struct answer_view {
	struct answer_text *v;	/* in the record's order; calls after texts */
	size_t n;
	/* private */
	size_t cap;
	struct buf arena;
	struct toolcalls tc;
	const struct answer_fields *af;
	int holds;
	struct phk_err *e;
};

void answer_view_init(struct answer_view *av, const struct answer_fields *af);
void answer_view_release(struct answer_view *av);
/*
 * The prompt (.messages[].content, .prompt, .input, and a record's plain
 * text when it holds an answer) and the answer of one record into av
 * (emptied first). 0, or -1 with e set (PHK_EXIT_INPUT bad input).
 */
int answer_view_read(struct answer_view *av, const char *line, size_t n, struct phk_err *e);
/* The text at path (a rendered field path), or NULL. */
const struct answer_text *answer_view_find(const struct answer_view *av, const char *path);

#endif
