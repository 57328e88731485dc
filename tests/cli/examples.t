#!/bin/bash
# Every example in README.md and the man pages, run as printed and its
# output compared with the page (tests/cli/examples.py does the work).
#   PHIKIT_EXAMPLES_ONLY="man/hitl.1 README.md"  only those pages
#   PHIKIT_EXAMPLES_SHOW=1   every command's output, as it is, to paste
#   PHIKIT_EXAMPLES_TIMEOUT=S  seconds a command may take (10)
#
# What a page must follow for its examples to run:
#
# 1. An example is a ```sh (```shell, ```console, ```bash) block of
#    README.md, or a .Bd -literal ... .Ed block of a man page, its mdoc
#    escapes decoded (\e is \, \- is -, \(aq is ', \& is nothing...; a
#    line that starts with a dot is a macro, so write \&... for "...").
#    Only lines starting with "$ " are commands; a block with none (a
#    file, JSON, the shape of an output, a command that cannot run here:
#    make check, a --post to a real collector) is not run.
# 2. A command goes on over the following lines while it is not a whole
#    bash command: a trailing |, \, && or ||, an open quote, an unfinished
#    if/for/{, a here-document not yet closed (so a page can write a file:
#    $ cat >typo.yaml <<'EOF' ... EOF).
# 3. The lines after a command, up to the next "$ " line or the block's
#    end, are what it prints, stdout and stderr together, on a terminal
#    (hitl list prints its table; colour is dropped); stdin is /dev/null.
#    No lines: the output is not checked. Compared word by word, so a page
#    may wrap a long line or align a table its own way; a word "..."
#    matches anything, any number of lines (a page may abridge), and
#    "..." inside a word any part of a word ("record_sha256":"...").
#    Timestamps, dates, durations, rates and abbreviated hashes
#    (8ebf...2d40) match any; hex of 16 or more digits, UUIDs, key ids
#    (audit-key+556433d2), base64 of 40 or more characters (verifier keys,
#    roots, signatures) and pseudonyms ([NAME-c11990]) match any value
#    too, but consistently over the page: what it shows twice must be one
#    value twice, and two different values must be two.
# 4. Each command runs as bash -o pipefail -c COMMAND and must exit 0,
#    unless it shows its status itself: "cmd; echo $?" or a following
#    "$ echo $?" ($? is the previous command's status, as in a shell).
# 5. "# as NAME", the whole comment at the end of a line of a command,
#    runs it as the Unix user phkt-NAME ("# as root": as root) with its
#    groups: tests/cli/examples/users gives each doc user's groups, doc
#    group G being the Unix group phkt-G. The users and groups are made
#    for the run with useradd --system and removed at its end (any that
#    existed before is used and left). A doc user's or group's name that
#    stands as a whole shell word in a command is rewritten to the Unix
#    name (--reviewer dr-smith, -g phikit), not inside quotes; outputs
#    lose the phkt- prefix; fixture files name the Unix users
#    (phkt-dr-smith). hitl takes --reviewer as the Unix user's own name or
#    an alias access.aliases gives that user, and a role's groups are the
#    user's groups in /etc/group. Not root, or without setpriv and
#    useradd, such a command and the rest of its section are skipped.
# 6. The examples of a man page, or of a README.md section (from one
#    heading of level 1 or 2 to the next), run in order in one fresh
#    scratch directory, so a later command may use what an earlier one
#    made; shell variables and cd do not carry over, files do. It is mode
#    1777 (every doc user may write there, as in /tmp), HOME, and starts
#    with the files of tests/cli/examples/common/, then those of
#    tests/cli/examples/PAGE/ (e.g. tests/cli/examples/hitl.1/), which
#    win. umask is 022. PATH starts with a copy of the build's programs
#    beside the preset and its data, where every user can reach them (the
#    checkout may be in root's home), and PYTHONPATH the Python module
#    beside them (import phikit). PHIKIT_LLM_ENDPOINT is
#    scripts/replay-llm on loopback, answering from
#    tests/cli/examples/responses.jsonl; no other PHIKIT_* variable is
#    set, so a page makes its own keys (ledger-admin keygen).
. "$(dirname "$0")/lib.sh"
cd "$top" || exit 1
read -ra pages <<<"${PHIKIT_EXAMPLES_ONLY:-$(echo README.md man/*.1 man/*.5 man/*.7)}"

chmod 755 "$tmp"
mkdir -p "$tmp/share/bin" "$tmp/share/policies" "$tmp/share/data" "$tmp/pages"
cp "$bin"/* "$tmp/share/bin/"
cp policies/*.yaml "$tmp/share/policies/"
cp data/* "$tmp/share/data/"
mkdir -p "$tmp/share/python" "$tmp/share/lib"
cp python/phikit.py "$tmp/share/python/"
cp lib/libphikit.so.1 "$tmp/share/lib/"
if [ -n "${PHIKIT_SANITIZE:-}" ]; then
	# The module loads the sanitized library into python3, whose runtime
	# must come first: a python3 on PATH that preloads it (leaks are the
	# interpreter's own, so not counted there).
	pre=
	case $PHIKIT_SANITIZE in *address*) pre="$(gcc -print-file-name=libasan.so)" ;; esac
	case $PHIKIT_SANITIZE in *undefined*) pre="$pre${pre:+ }$(gcc -print-file-name=libubsan.so)" ;; esac
	printf '#!/bin/sh\nLD_PRELOAD="%s" ASAN_OPTIONS=detect_leaks=0 exec %s "$@"\n' \
		"$pre" "$(command -v python3)" >"$tmp/share/bin/python3"
	chmod 755 "$tmp/share/bin/python3"
fi
chmod -R a+rX "$tmp/share"

replay= made_users= made_groups=
cleanup() {
	local u g
	[ -z "$replay" ] || kill "$replay" 2>/dev/null
	for u in $made_users; do userdel "$u" >/dev/null 2>&1; done
	for g in $made_groups; do groupdel "$g" >/dev/null 2>&1; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# the doc users, as phkt-NAME, in their phkt- groups
as_ok=0
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null && command -v useradd >/dev/null; then
	as_ok=1
	while read -r u groups; do
		for g in $groups; do
			getent group "phkt-$g" >/dev/null && continue
			groupadd --system "phkt-$g" && made_groups="$made_groups phkt-$g" || as_ok=0
		done
		if ! id -u "phkt-$u" >/dev/null 2>&1; then
			useradd --system --no-create-home --shell /usr/sbin/nologin "phkt-$u" &&
				made_users="$made_users phkt-$u" || as_ok=0
		fi
		for g in $groups; do
			id -nG "phkt-$u" | grep -qw "phkt-$g" || usermod -a -G "phkt-$g" "phkt-$u" || as_ok=0
		done
	done < <(python3 tests/cli/examples.py users "${pages[@]}")
fi

# the model: recorded answers on loopback, its own process stopped at the end
python3 scripts/replay-llm tests/cli/examples/responses.jsonl >"$tmp/replay.url" 2>/dev/null &
replay=$!
for _ in $(seq 1 50); do [ -s "$tmp/replay.url" ] && break; sleep 0.1; done

umask 022
EX_TOP=$top EX_SCRATCH=$tmp/pages EX_PATH=$tmp/share/bin:$PATH EX_PYTHONPATH=$tmp/share/python EX_AS=$as_ok \
	EX_LLM=$(head -n 1 "$tmp/replay.url") EX_TIMEOUT=${PHIKIT_EXAMPLES_TIMEOUT:-10} EX_SHOW=${PHIKIT_EXAMPLES_SHOW:-0} \
	python3 tests/cli/examples.py run "${pages[@]}"
