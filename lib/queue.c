#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "dbpolicy.h"
#include "jsonl.h"
#include "queue.h"

/* A whole number of seconds from the environment into *out (-1: unset). */
static int
env_secs(const char *name, const char *s, long *out, struct phk_err *e)
{
	char *end;
	long v;

	*out = -1;
	if (s == NULL || *s == '\0')
		return 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0 || v > 100L * 366 * 86400) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s must be a whole number of seconds, not %s", name,
		    phk_arg(s));
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * PHIKIT_HITL_*: the environment may shorten the queue policy's timeouts
 * (or set one it leaves at 0, never), never lengthen them or turn them off.
 */
static int
env_tighten(const char *name, const char *val, const char *key, long *v, struct phk_err *e)
{
	long env;

	if (env_secs(name, val, &env, e) < 0)
		return -1;
	if (env < 0)
		return 0;
	if (*v > 0 && (env == 0 || env > *v)) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s=%ld would loosen the queue policy's hitl.%s (%ld): "
		    "the environment may only shorten it", name, env, key, *v);
		return -1;
	}
	*v = env;
	return 0;
}

int
queue_open(struct queue *q, const struct queue_opts *o, struct phk_err *e)
{
	char pol_path[4096];
	const char *hook = o->webhook_env, *ck;

	memset(q, 0, sizeof(*q));
	hitl_init(&q->h);
	if (ledger_open(&q->l, o->db, o->create ? LEDGER_CREATE : 0, e) < 0)
		return -1;
	q->have_l = 1;
	q->h.l = &q->l;
	/* no -p: the queue's own policy, where it was bound from */
	if (dbpolicy_choose(&q->l, o->policy, pol_path, sizeof(pol_path), e) < 0 ||
	    policy_load(&q->pol, pol_path, e) < 0)
		return -1;
	q->have_pol = 1;
	q->h.pol = &q->pol;
	q->h.timeout_s = q->pol.hitl.timeout_s;
	q->h.expire_s = q->pol.hitl.expire_s;
	if (env_tighten("PHIKIT_HITL_TIMEOUT_S", o->timeout_env, "timeout_s", &q->h.timeout_s,
	    e) < 0 || env_tighten("PHIKIT_HITL_EXPIRE_S", o->expire_env, "expire_s",
	    &q->h.expire_s, e) < 0)
		return -1;
	if (hook == NULL || *hook == '\0')
		hook = q->pol.hitl.webhook;
	if (hook && *hook) {
		if (hitl_webhook_ok(hook, e) < 0)
			return -1;
		q->h.webhook = hook;
	}
	q->h.warn = o->warn;
	if (ledger_unix_user(q->user, e) < 0)
		return -1;
	q->h.user = q->user;
	if (o->key && *o->key) {
		if (note_signer_load(&q->sk, o->key, e) < 0)
			return -1;
		q->have_sk = 1;
		q->h.sk = &q->sk;
	}
	if (o->ckout && !q->have_sk) {
		phk_err_set(e, PHK_EXIT_USAGE, "--checkpoint-out needs a signing key (--key or "
		    "PHIKIT_LEDGER_KEY)");
		return -1;
	}
	/* what it signs is saved; without a key there is nothing to save */
	if ((ck = ckpt_path(o->ckout)) != NULL && q->have_sk && (q->h.ckfd = ckpt_open(ck, e)) < 0)
		return -1;
	/* the queue's policy is fixed when it is made: every command is judged by it */
	buf_reset(&q->h.note);
	if (dbpolicy_enforce(&q->l, &q->pol, 1, q->user, q->h.sk, &q->h.note, e) < 0)
		return -1;
	if (q->h.ckfd >= 0 && q->h.note.len && ckpt_write(q->h.ckfd, q->h.note.p, q->h.note.len,
	    e) < 0)
		return -1;
	if (o->scrub_notes) {
		/* the notes are logged: scrubbed first, under the queue's policy */
		if (scrubber_init(&q->sc, &q->pol, &(struct scrub_opts){ .replace = REPLACE_TAG,
		    .keep_year = -1 }, e) < 0)
			return -1;
		q->have_sc = 1;
		q->h.sc = &q->sc;
	}
	return hitl_open(&q->h, e);
}

void
queue_close(struct queue *q)
{
	if (q->h.ckfd >= 0)
		close(q->h.ckfd);
	q->h.ckfd = -1;
	if (q->have_sc)
		scrubber_release(&q->sc);
	hitl_release(&q->h);
	if (q->have_l)
		ledger_close(&q->l);
	if (q->have_sk)
		note_signer_release(&q->sk);
	if (q->have_pol)
		policy_release(&q->pol);
	q->have_sc = q->have_l = q->have_sk = q->have_pol = 0;
}

int
queue_item_json(struct buf *b, const struct hitl_item *it, int required)
{
	buf_reset(b);
	if (buf_printf(b, "{\"item\":%lld,\"status\":\"%s\",\"run_id\":\"%s\",\"reason\":\"%s\",",
	    it->id, it->status, it->run_id, it->reason) < 0)
		return -1;
	if (it->tool[0] && (buf_adds(b, "\"tool\":") < 0 ||
	    jstr_encode(b, it->tool, strlen(it->tool)) < 0 || buf_addc(b, ',') < 0))
		return -1;
	if (buf_printf(b, "\"queued_by\":\"%s\",\"queued_at\":\"%s\",\"approvals\":%d,"
	    "\"approvals_required\":%d,\"record_sha256\":\"%s\",", it->queued_by, it->queued_at,
	    it->approvals, required, it->record_sha256) < 0)
		return -1;
	if (it->released_at[0])
		return buf_printf(b, "\"released_at\":\"%s\",\"released_by\":\"%s\"}",
		    it->released_at, it->released_by);
	return buf_adds(b, "\"released_at\":null,\"released_by\":null}");
}

int
queue_read_notes(const char *path, struct buf *out, struct phk_err *e)
{
	return queue_read_text(path, "--notes-file", out, e);
}

int
queue_read_text(const char *path, const char *opt, struct buf *out, struct phk_err *e)
{
	/* from a file or stdin: notes on argv show in ps */
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	char chunk[4096];
	ssize_t got = 0;

	buf_reset(out);
	while (fd >= 0 && (got = read(fd, chunk, sizeof(chunk))) > 0)
		if (buf_add(out, chunk, (size_t)got) < 0) {
			if (fd != STDIN_FILENO)
				close(fd);
			phk_err_set(e, PHK_EXIT_USAGE, "%s: %s must be 1 to 4000 bytes", opt,
			    strcmp(opt, "--notes-file") ? "the text" : "notes");
			return -1;
		}
	if (fd < 0 || got < 0) {
		phk_err_set(e, PHK_EXIT_IO, "%s: %s", path, strerror(errno));
		if (fd > 0)
			close(fd);
		return -1;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	while (out->len && (out->p[out->len - 1] == '\n' || out->p[out->len - 1] == '\r'))
		out->p[--out->len] = '\0';
	if (out->len && memchr(out->p, '\0', out->len) != NULL) {
		phk_err_set(e, PHK_EXIT_USAGE, "%s holds a NUL byte", opt);
		return -1;
	}
	return 0;
}
