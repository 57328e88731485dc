/* Scrubs each line of stdin as a string, with phikit's library:
 *   cc scrub.c $(pkg-config --cflags --libs phikit) -o scrub */
#include <phikit.h>
#include <stdio.h>
#include <string.h>

int
main(void)
{
	char line[65536], err[512], *out;
	phikit_policy *p;
	phikit_scrubber *s;
	size_t n;
	int rc;

	if ((rc = phikit_policy_load(NULL, &p, err, sizeof(err))) != 0 ||
	    (rc = phikit_scrubber_new(p, &s, err, sizeof(err))) != 0) {
		fprintf(stderr, "scrub: %s\n", err);
		return rc;
	}
	while (fgets(line, sizeof(line), stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if ((rc = phikit_scrub_text(s, line, strlen(line), &out, &n, err, sizeof(err))) != 0) {
			fprintf(stderr, "scrub: %s\n", err);
			return rc;
		}
		printf("%s\n", out);
		phikit_free(out);
	}
	phikit_scrubber_free(s);
	phikit_policy_free(p);
	return 0;
}
