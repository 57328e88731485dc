/*
 * annot — where a program's annotation goes in a record, and writing it:
 * phikit.<member> replaces an earlier value of that member, or joins the
 * record's "phikit" object, or starts one before the closing brace. Every
 * other byte of the record is copied as it was.
 */
#ifndef PHIKIT_ANNOT_H
#define PHIKIT_ANNOT_H

#include <stddef.h>

#include "buf.h"
#include "diag.h"
#include "jscan.h"

struct annot_pos {
	size_t at, end;		/* bytes [at, end) are replaced */
	int form;		/* ANNOT_NEW_PHIKIT, ANNOT_NEW_MEMBER, ANNOT_REPLACE */
	int comma;		/* a comma goes before what is inserted */
	int has_member;		/* the member was there already */
};

enum { ANNOT_NEW_PHIKIT, ANNOT_NEW_MEMBER, ANNOT_REPLACE };

/*
 * Finds where phikit.<member> goes in line, already scanned into js.
 * 0, or -1 with e set (PHK_EXIT_INPUT) when "phikit" is not an object.
 */
int annot_locate(const char *line, size_t n, const struct jscan *js, const char *member,
    struct annot_pos *pos, struct phk_err *e);
/* Appends line with val (raw JSON) as phikit.<member> to out; 0 or -1 (ENOMEM/E2BIG). */
int annot_write(const char *line, size_t n, const struct annot_pos *pos, const char *member,
    const char *val, size_t vlen, struct buf *out);
/* Appends line with ,"key":val added as the record's last member. */
int annot_add_member(const char *line, size_t n, const struct jscan *js, const char *key,
    const char *val, size_t vlen, struct buf *out);

#endif
