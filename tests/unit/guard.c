/*
 * lib/guard.c on hostile input: every truncation of a record and
 * thousands of random mutations of it either check cleanly — and then
 * the output is one valid JSON object with its phikit.guard — or fail as
 * bad input; nothing crashes, nothing else comes back (run it under the
 * sanitizers). And the per-run table keeps to its bound.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "guard.h"
#include "jscan.h"
#include "tap.h"

static const char *const samples[] = {
	"{\"id\":1,\"run_id\":\"r-1\",\"choices\":[{\"message\":{\"content\":"
	"\"You have gout. Take 100 mg of allopurinol daily. SSN 219-09-9999.\"}}],"
	"\"usage\":{\"cost\":0.5},\"phikit\":{\"scrub\":{\"total\":0}}}",
	"{\"tool\":\"bulk_export\",\"agent\":\"phi-bot\",\"args\":{\"q\":[1,2,{\"a\":null}]},"
	"\"text\":\"Caf\\u00e9 \\\"quoted\\\" \\ud83d\\ude00 asthma\"}",
	/* the shadow and the classifier: markup, entities, a zero-width space, a look-alike */
	"{\"text\":\"**Take**&nbsp;800 mg of ibu\\u200bprofen. T\\u0430ke Tab X 5 mg at night. "
	"Dear Ana Ruiz, you *have* gout. Not medical advice, but \\\"take 2\\\".\"}",
};

/* The line guard_line wrote, without the trailer for the ordered stage. */
static size_t
line_len(const struct buf *out)
{
	size_t auxn;

	memcpy(&auxn, out->p + out->len - sizeof(auxn), sizeof(auxn));
	return out->len - sizeof(auxn) - auxn;
}

static int
valid_record(const struct buf *out)
{
	struct jscan js;
	struct phk_err e;

	memset(&js, 0, sizeof(js));
	js.find = "phikit";
	return jscan_record(&js, out->p, line_len(out), &e) == 0 && js.pk_key >= 0;
}

int
main(void)
{
	struct policy pol;
	struct guard g;
	struct guard_opts o;
	struct guard_runs runs;
	struct phk_err e;
	struct buf out, alt;
	char *m;
	size_t i, k, n;
	unsigned long seed = 12345;
	int bad_status = 0, invalid = 0, clean = 0, failed = 0, rc;

	memset(&o, 0, sizeof(o));
	if (policy_load(&pol, "policies/hipaa.yaml", &e) < 0) {
		diag("%s", e.msg);
		return 1;
	}
	ok(guard_init(&g, &pol, &o, &e) == 0, "guard_init with the preset");
	buf_init(&out, (size_t)1 << 26);
	buf_init(&alt, (size_t)1 << 26);
	for (k = 0; k < sizeof(samples) / sizeof(samples[0]); k++) {
		n = strlen(samples[k]);
		ok(guard_line(&g, samples[k], n, &out, &e) == 0 && valid_record(&out),
		    "sample %zu checks and stays one JSON object", k);
		for (i = 0; i < n; i++) {
			rc = guard_line(&g, samples[k], i, &out, &e);
			if (rc == 0 || e.status != PHK_EXIT_INPUT)
				bad_status++;
		}
		ok(bad_status == 0, "sample %zu: every truncation is bad input", k);
		if ((m = malloc(n)) == NULL)
			return 1;
		clean = failed = 0;
		for (i = 0; i < 20000; i++) {
			size_t flips = 1 + i % 3, f;
			memcpy(m, samples[k], n);
			for (f = 0; f < flips; f++) {
				seed = seed * 6364136223846793005ul + 1442695040888963407ul;
				m[(seed >> 33) % n] = (char)(seed >> 17);
			}
			rc = guard_line(&g, m, n, &out, &e);
			if (rc == 0) {
				clean++;
				invalid += !valid_record(&out);
			} else if (e.status == PHK_EXIT_INPUT)
				failed++;
			else
				bad_status++;
		}
		free(m);
		ok(bad_status == 0 && invalid == 0,
		    "sample %zu: 20000 mutations: %d checked, all valid JSON; %d bad input; nothing else",
		    k, clean, failed);
	}

	/* the run table keeps to max_runs, forgetting the run seen longest ago */
	pol.limits.max_runs = 3;
	pol.limits.max_run_records = 2;
	ok(guard_runs_init(&runs, &pol, 0) == 0, "guard_runs_init");
	for (i = 0; i < 1000; i++) {
		char rec[64];
		size_t auxn;
		snprintf(rec, sizeof(rec), "{\"run_id\":\"r%zu\",\"text\":\"x\"}", i % 5);
		if (guard_line(&g, rec, strlen(rec), &out, &e) < 0)
			break;
		memcpy(&auxn, out.p + out.len - sizeof(auxn), sizeof(auxn));
		buf_reset(&alt);
		if (guard_runs_order(&runs, out.p, line_len(&out), out.p + line_len(&out), auxn,
		    &alt, &e) < 0)
			break;
	}
	is_int((long)i, 1000, "1000 records of 5 runs through a table of 3");
	ok(runs.n <= 3, "the table never holds more than max_runs (%zu)", runs.n);
	/* five runs in turn through three slots: each is gone before it returns */
	is_int((long)runs.forgotten, 997, "every new record pushed out the oldest run");
	is_int((long)runs.verdicts[SEV_DENY], 0, "so no run ever reached its cap of 2");
	guard_runs_release(&runs);

	buf_release(&out);
	buf_release(&alt);
	guard_release(&g);
	policy_release(&pol);
	return done_testing();
}
