/* Helpers for the harnesses; see fuzz.h. */
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "jscan.h"

const char *
fuzz_policy_path(const char *argv0)
{
	static char path[PATH_MAX];
	const char *env = getenv("PHIKIT_POLICY");
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;

	(void)argv0;
	if (env && *env)
		return env;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return "policies/hipaa.yaml";
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	snprintf(path, sizeof(path), "%s/../../policies/hipaa.yaml", exe);
	return path;
}

const char *
fuzz_tmpfile(const uint8_t *data, size_t size, const char *name)
{
	static char dir[64], path[128];
	int fd;

	if (dir[0] == '\0') {
		snprintf(dir, sizeof(dir), "%s", "/tmp/phikit-fuzz.XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	return path;
}

int
fuzz_json_object(const char *p, size_t n, json_t **j)
{
	struct phk_err e;
	struct jscan s;
	json_error_t je;

	jscan_init(&s, NULL);
	if (jscan_record(&s, p, n, &e) < 0)
		abort();	/* not one JSON object */
	memset(&je, 0, sizeof(je));
	if ((*j = json_loadb(p, n, JSON_ALLOW_NUL, &je)) != NULL) {
		if (!json_is_object(*j))
			abort();
		return 1;
	}
	switch (json_error_code(&je)) {
	case json_error_numeric_overflow:
	case json_error_null_byte_in_key:
		return 0;	/* valid JSON jansson cannot hold */
	default:
		abort();	/* jansson says it is not JSON: jscan let something through */
	}
}
