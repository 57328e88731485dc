#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fopts.h"
#include "jsonl.h"

void
fopts_init(struct fopts *o, int jobs)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	o->jobs = jobs != FOPTS_CPUS ? jobs : n < 1 ? 1 : n > 8 ? 8 : (int)n;
	o->skip = 0;
	o->max_line = JSONL_DEFAULT_MAX;
}

int
fopts_take(struct fopts *o, int c, const char *arg)
{
	char *end;
	long v;

	switch (c) {
	case 'j':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < 1 || v > 64) {
			phk_warn("bad --jobs %s (1 to 64)", phk_arg(arg));
			return -1;
		}
		o->jobs = (int)v;
		return 1;
	case FOPT_ONERR:
		if (!strcmp(arg, "skip") || !strcmp(arg, "stop")) {
			o->skip = !strcmp(arg, "skip");
			return 1;
		}
		phk_warn("--on-error takes stop or skip, not %s", phk_arg(arg));
		return -1;
	case FOPT_MAXLINE:
		if (jsonl_parse_size(arg, &o->max_line) < 0 || o->max_line < 2) {
			phk_warn("bad --max-line %s", phk_arg(arg));
			return -1;
		}
		return 1;
	default:
		return 0;
	}
}
