#include <string.h>

#include "annot.h"

int
annot_locate(const char *line, size_t n, const struct jscan *js, const char *member,
    struct annot_pos *pos, struct phk_err *e)
{
	struct jscan pk;

	memset(pos, 0, sizeof(*pos));
	if (js->pk_key < 0) {
		pos->at = pos->end = js->top_close;
		pos->form = ANNOT_NEW_PHIKIT;
		pos->comma = js->top_members > 0;
		return 0;
	}
	jscan_init(&pk, member);
	if (line[js->pk_start] != '{' || jscan_record(&pk, line + js->pk_start,
	    (size_t)(js->pk_end - js->pk_start), e) < 0) {
		phk_err_set(e, PHK_EXIT_INPUT, "\"phikit\" is not an object");
		return -1;
	}
	(void)n;
	if (pk.find_start >= 0) {
		pos->at = (size_t)js->pk_start + (size_t)pk.find_start;
		pos->end = (size_t)js->pk_start + (size_t)pk.find_end;
		pos->form = ANNOT_REPLACE;
		pos->has_member = 1;
	} else {
		pos->at = pos->end = (size_t)js->pk_start + pk.top_close;
		pos->form = ANNOT_NEW_MEMBER;
		pos->comma = pk.top_members > 0;
	}
	return 0;
}

int
annot_write(const char *line, size_t n, const struct annot_pos *pos, const char *member,
    const char *val, size_t vlen, struct buf *out)
{
	if (buf_add(out, line, pos->at) < 0)
		return -1;
	switch (pos->form) {
	case ANNOT_NEW_PHIKIT:
		if (buf_adds(out, pos->comma ? ",\"phikit\":{\"" : "\"phikit\":{\"") < 0 ||
		    buf_adds(out, member) < 0 || buf_adds(out, "\":") < 0 ||
		    buf_add(out, val, vlen) < 0 || buf_addc(out, '}') < 0)
			return -1;
		break;
	case ANNOT_NEW_MEMBER:
		if (buf_adds(out, pos->comma ? ",\"" : "\"") < 0 || buf_adds(out, member) < 0 ||
		    buf_adds(out, "\":") < 0 || buf_add(out, val, vlen) < 0)
			return -1;
		break;
	default:
		if (buf_add(out, val, vlen) < 0)
			return -1;
	}
	return buf_add(out, line + pos->end, n - pos->end);
}

int
annot_add_member(const char *line, size_t n, const struct jscan *js, const char *key,
    const char *val, size_t vlen, struct buf *out)
{
	size_t at = js->top_close;

	if (buf_add(out, line, at) < 0 ||
	    buf_adds(out, js->top_members ? ",\"" : "\"") < 0 || buf_adds(out, key) < 0 ||
	    buf_adds(out, "\":") < 0 || buf_add(out, val, vlen) < 0)
		return -1;
	return buf_add(out, line + at, n - at);
}
