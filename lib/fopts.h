/*
 * fopts — the options every JSON Lines filter takes, parsed one way:
 * -j/--jobs (1 to 64), --on-error=stop|skip, --max-line bytes (2 to 4G,
 * with K or M). A main lists FOPTS_LONG among its long options, and hands
 * getopt_long's answers to fopts_take before its own switch.
 */
#ifndef PHIKIT_FOPTS_H
#define PHIKIT_FOPTS_H

#include <getopt.h>
#include <stddef.h>

#define FOPT_ONERR 0x4f01
#define FOPT_MAXLINE 0x4f02
#define FOPTS_LONG \
	{ "on-error", required_argument, NULL, FOPT_ONERR }, \
	{ "max-line", required_argument, NULL, FOPT_MAXLINE }
#define FOPTS_JOBS { "jobs", required_argument, NULL, 'j' }

struct fopts {
	int jobs;		/* -j: threads, or requests in flight */
	int skip;		/* --on-error=skip */
	size_t max_line;	/* --max-line, JSONL_DEFAULT_MAX unless given */
};

/* jobs: -j's default; FOPTS_CPUS for one thread per CPU, at most 8 */
#define FOPTS_CPUS 0
void fopts_init(struct fopts *o, int jobs);
/*
 * c as getopt_long returned it and arg its optarg: 1 when it was one of
 * these options and good, 0 when it is none of them, -1 when its value is
 * bad (said on stderr: "bad --max-line '0'").
 */
int fopts_take(struct fopts *o, int c, const char *arg);

#endif
