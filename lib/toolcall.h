/*
 * toolcall — the tool calls a record asks for, wherever an API puts them,
 * found the same way by guard-check's permissions and hitl's irreversible
 * tools:
 *	phikit's own shape	top-level "tool" (a string, or an object with
 *				a "name"), "agent" and "args";
 *	chat completions	choices[i].message.tool_calls[j].function.{name,
 *				arguments} and the legacy choices[i].message.
 *				function_call.{name, arguments};
 *	the Responses API	output[i] with "type": "function_call", "name"
 *				and "arguments".
 * The OpenAI shapes carry arguments as a string of JSON text. Each call is
 * one struct toolcall; the caller feeds its jscan on_string callback
 * through toolcalls_string and the top-level spans it located.
 *
 * Names are compared after toolcall_norm: a rule or list written for
 * send_fax holds for Send_Fax, "send_fax ", sendFax and send-fax too.
 */
#ifndef PHIKIT_TOOLCALL_H
#define PHIKIT_TOOLCALL_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "jscan.h"

enum { TC_TOP, TC_CHAT, TC_LEGACY, TC_RESPONSES };

struct toolcall {
	int shape;		/* TC_* */
	long i, j;		/* choices[i].message.tool_calls[j], output[i] */
	long name_s, name_e;	/* the name's raw string bytes inside the quotes, or -1 */
	int name_esc;
	long args_s, args_e;	/* the arguments: raw bytes (a string's inside the quotes) */
	int args_str;		/* the arguments are a JSON string (of JSON text) */
	int args_esc;
	long type_s, type_e;	/* Responses: the item's "type", or -1 */
	int type_esc;
	int dup, args_nonstring;	/* bad input, reported by toolcalls_finish */
};

struct toolcalls {
	struct toolcall *v;
	size_t n, cap;
};

void toolcalls_init(struct toolcalls *tc);
void toolcalls_release(struct toolcalls *tc);
static inline void toolcalls_reset(struct toolcalls *tc) { tc->n = 0; }

/*
 * From an on_string callback: 1 if the string at jp is part of a tool
 * call (taken), 0 if not, -1 out of memory.
 */
int toolcalls_string(struct toolcalls *tc, const char *line, const struct jpath *jp,
    size_t st, size_t en, int esc);
/*
 * After the scan: the top-level call, from the spans of "tool" and "args"
 * (value spans as jscan gives them, -1 when absent; a "tool" object's
 * "name" is looked up). Calls without a name (a Responses item that is no
 * function_call) are dropped. 0, or -1 with e set (PHK_EXIT_INPUT).
 */
int toolcalls_finish(struct toolcalls *tc, const char *line, long tool_s, long tool_e,
    long args_s, long args_e, struct phk_err *e);

/* The call's name, decoded and normalized, into out (reset first); 0 or -1. */
int toolcall_name(const struct toolcall *c, const char *line, struct buf *out);
/* A tool name normalized: NFKC, camelCase and separators to "_", lowercase, trimmed. */
int toolcall_norm(const char *s, size_t n, struct buf *out);
/* Where the call stands, for annotations: ".choices[0].message.tool_calls[1]". */
int toolcall_path(const struct toolcall *c, struct buf *out);

#endif
