/*
 * export — ledger entries out, in order, as log shippers and SIEMs take
 * them: JSON Lines, OpenTelemetry OTLP/HTTP JSON logs, Splunk HEC events.
 * Each entry carries its ledger fields and hashes, and of its payload only
 * what phikit wrote there: redaction counts, guard verdicts and rules,
 * review decisions — never the payload's text, which may be PHI.
 */
#ifndef PHIKIT_EXPORT_H
#define PHIKIT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "ledger.h"

enum { EXPORT_JSONL, EXPORT_OTLP, EXPORT_HEC };

struct export_opts {
	int format;		/* EXPORT_* */
	const char *run;	/* one run, or NULL for all */
	const char *from, *to;	/* ts >= from, ts < to (prefixes of a ts), or NULL */
	size_t batch;		/* entries per batch; an OTLP batch is one request document */
	int has_after;		/* only entries after seq `after` (a cursor) */
	uint64_t after;
};

/* "jsonl", "otlp", "hec" to EXPORT_*; -1 if unknown. */
int export_format(const char *name);

/*
 * Takes each finished batch: bytes p[0..n) holding entries first..last
 * (seq). 0 to go on; -1 with e set to stop.
 */
typedef int (*export_sink)(void *ctx, const char *p, size_t n, uint64_t first,
    uint64_t last, struct phk_err *e);

/*
 * Streams the selected entries to sink, a batch at a time, in one read
 * transaction (one snapshot). The number of entries, or -1 with e set.
 */
long export_entries(struct ledger *l, const struct export_opts *o, export_sink sink, void *ctx,
    struct phk_err *e);

#endif
