# tests/cli/fault.sh — the fault matrix, sourced by tests/cli/fault-*.t
# after lib.sh: the same hostile inputs and broken surroundings for every
# filter, each with its documented exit status and message, and nothing
# leaked — no byte of a bad line on stdout, no input quoted on stderr.
#
# A test file sets, then calls fault_filter:
#   F_NAME        the program's name in its messages
#   F_CMD         an array: the command that runs the program on stdin
#   F_MAXLINE     the option that sets a line limit to 1 KiB
#   F_FULL_ERR    optional: the message when the disk fills (default: the
#                 one for stdout; a program that writes a database first
#                 says something else)
#
# Every bad line holds the marker SSN below; the good lines around it do
# not, so finding the marker anywhere means a leak.

F_SECRET=078-05-1120
F_GOOD='{"run_id":"f-1","text":"follow-up in two weeks"}'

F_RUN() { run "${F_CMD[@]}" "$@"; }

# epipe CMD...: runs CMD with stdout a pipe whose reading end is already
# closed, so its first write fails whatever the timing; prints
# "STATUS:STDERR" (STATUS 141 if SIGPIPE killed it).
epipe() {
	python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.PIPE)
st = 128 - p.returncode if p.returncode < 0 else p.returncode
sys.stdout.write("%d:%s" % (st, p.stderr.decode().rstrip("\n")))' "$@"
}

_f_around() {	# _f_around BAD-LINE-BYTES (printf format): good, bad, good into $tmp/in
	{ printf '%s\n' "$F_GOOD"; printf "$1"; printf '\n%s\n' "$F_GOOD"; } >"$tmp/in"
}

# _f_bad NAME WANT-MESSAGE [ARGS...]: exit 3, the message naming line 2,
# one record out (the good line before), the marker nowhere.
_f_bad() {
	local name=$1 want=$2
	shift 2
	F_RUN "$@" <"$tmp/in"
	is "$rc" 3 "$name: exit 3"
	is "$(head -n 1 "$tmp/err")" "$F_NAME: error (at <stdin>:2): $want" "$name: the error names line 2"
	is "$(wc -l <"$tmp/out" | tr -d ' ')" 1 "$name: the record before it passed, nothing of it or after"
	ok "$(grep -c -- "$F_SECRET" "$tmp/out" "$tmp/err" | grep -vc ':0$')" "$name: nothing of the bad line leaked"
}

fault_filter() {
	local big
	_f_around '{"text":"SSN '$F_SECRET'",}'
	_f_bad "malformed JSON" "expected a key at byte 27"
	_f_around '["SSN '$F_SECRET'"]'
	_f_bad "a non-object line" "not a JSON object"
	_f_around '{"text":"SSN '$F_SECRET' \xff"}'
	_f_bad "invalid UTF-8" "invalid UTF-8 at byte 26"
	_f_around '{"text":"SSN '$F_SECRET' \0"}'
	_f_bad "a NUL byte" "NUL byte at byte 26"
	big=$(head -c 1100 /dev/zero | tr '\0' x)
	_f_around '{"text":"SSN '$F_SECRET' '"$big"'"}'
	_f_bad "a line over the limit" "line longer than 1024 bytes" $F_MAXLINE
	{ printf '%s\n{"text":"SSN %s","a":' "$F_GOOD" "$F_SECRET"; head -c 100000 /dev/zero | tr '\0' '[';
	  printf '\n%s\n' "$F_GOOD"; } >"$tmp/in"
	_f_bad "nesting 100,000 deep" "nesting deeper than 512 levels"

	F_RUN </dev/null
	is "$rc:$out:$err" "0::" "empty input: exit 0, no output, no message"

	printf '%s\r\n%s\r\n' "$F_GOOD" "$F_GOOD" >"$tmp/in"
	F_RUN <"$tmp/in"
	is "$rc:$(wc -l <"$tmp/out" | tr -d ' ')" "0:2" "CRLF: both records out, exit 0"
	ok "$(grep -c $'\r' "$tmp/out")" "CRLF: records written with LF"

	# a closed pipe downstream: exit 4 and said so, not killed by SIGPIPE
	yes "$F_GOOD" | head -n 20000 >"$tmp/many"
	{ "${F_CMD[@]}" <"$tmp/many" 2>"$tmp/err.pipe"; echo $? >"$tmp/rc"; } | head -c 1 >/dev/null
	is "$(cat "$tmp/rc"):$(cat "$tmp/err.pipe")" "4:$F_NAME: write error: Broken pipe" \
		"a closed pipe downstream (EPIPE): exit 4, said so"
	"${F_CMD[@]}" <"$tmp/many" >&- 2>"$tmp/err.closed"
	is "$?:$(cat "$tmp/err.closed")" "4:$F_NAME: write error: Bad file descriptor" \
		"a closed stdout: exit 4, said so"

	# a full disk where the output goes
	(
		ulimit -f 8
		trap '' XFSZ
		"${F_CMD[@]}" <"$tmp/many" >"$tmp/full.out" 2>"$tmp/full.err"
		echo $? >"$tmp/full.rc"
	) 2>/dev/null
	like "$(cat "$tmp/full.rc"):$(cat "$tmp/full.err")" "4:${F_FULL_ERR:-$F_NAME: write error: File too large}" \
		"a full disk (ulimit -f): exit 4, said so"
}

# fault_redos POLICY-FILE RULE: a site pattern that backtracks forever
# fails closed at the match limit: exit 2, the rule named, nothing out.
fault_redos() {
	local x
	x=$(head -c 5000 /dev/zero | tr '\0' x)
	printf '{"text":"%s! SSN %s"}\n' "$x" "$F_SECRET" >"$tmp/in"
	F_RUN -p "$1" <"$tmp/in"
	is "$rc" 2 "a pathological site pattern: exit 2"
	is "$err" "$F_NAME: error (at <stdin>:1): rule '$2': pattern failed closed: match limit exceeded" \
		"a pathological site pattern: fails closed, the rule named"
	is "$out" "" "a pathological site pattern: the record withheld"
}

# fault_keyfile ARGS-BEFORE-KEY... : a signing or scrub key that is missing,
# or that others can read, is refused with exit 2 before anything is read.
fault_keyfile() {	# fault_keyfile FLAG (the option taking the key file)
	local flag=$1 path=$tmp/nokey.key
	F_RUN "$flag" "$path" <<<"$F_GOOD"
	is "$rc:$out" "2:" "a missing key file: exit 2, nothing out"
	like "$err" "*$path*No such file or directory*" "a missing key file: said so"
	head -c 32 /dev/urandom | base64 >"$tmp/open.key"
	chmod 644 "$tmp/open.key"
	F_RUN "$flag" "$tmp/open.key" <<<"$F_GOOD"
	is "$rc:$out" "2:" "a world-readable key file: exit 2, nothing out"
	like "$err" "*'$tmp/open.key' is readable by others (mode 0644); chmod 600 it*" \
		"a world-readable key file: said so"
}

# fault_db_bad DB-OPTION... : a database that is not a database, or a
# directory, is refused with exit 4 and its name; nothing passes.
# F_CMD must not name a database; the option and path are added here.
fault_db_bad() {
	echo "not a database at all, just text" >"$tmp/bad.db"
	chmod 600 "$tmp/bad.db"
	F_RUN "$@" --db "$tmp/bad.db" <<<"$F_GOOD"
	is "$rc:$out" "4:" "a file that is not a database: exit 4, nothing out"
	like "$err" "$F_NAME: database '$tmp/bad.db'*file is not a database*" \
		"a file that is not a database: said so"
	mkdir -p "$tmp/dir.db"
	F_RUN "$@" --db "$tmp/dir.db" <<<"$F_GOOD"
	is "$rc:$out:$err" "4::$F_NAME: database '$tmp/dir.db' is not a regular file" \
		"a directory as the database: exit 4, said so"
}

# fault_db_locked DB ARGS...: while another process holds the database's
# write lock past the busy timeout, a writer gives up with exit 4 and
# passes nothing on.
fault_db_locked() {
	local db=$1
	shift
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(4)' "$db" >"$tmp/lock.out" &
	local holder=$! i
	for i in $(seq 1 50); do
		[ -s "$tmp/lock.out" ] && break
		sleep 0.1
	done
	PHIKIT_DB_TIMEOUT_MS=300 F_RUN "$@" <<<"$F_GOOD"
	kill "$holder" 2>/dev/null
	wait "$holder" 2>/dev/null
	is "$rc:$out" "4:" "a database locked by another process: exit 4 after the busy timeout, nothing out"
	like "$err" "$F_NAME: database '$db'*is locked*" "a locked database: said so"
}
