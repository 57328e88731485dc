#!/bin/bash
# libphikit.so.1 (include/phikit.h) and the Python module over it
# (python/phikit.py) give exactly what phi-scrub and guard-check print:
# the same bytes for the same records, the same errors and statuses. A C
# program built with `pkg-config --cflags --libs phikit` against an
# installed tree scrubs strings as phi-scrub does.
. "$(dirname "$0")/lib.sh"

if [ -n "${PHIKIT_SANITIZE:-}" ]; then
	echo "1..0 # SKIP under sanitizers the library needs their runtime loaded first (LD_PRELOAD)"
	exit 0
fi
export PYTHONPATH=$top/python PHIKIT_POLICY=$POLICY
notes=$top/examples/notes.jsonl
py() { python3 -c "$1" "${@:2}"; }

# records: the filter's bytes, one by one
"$PHI_SCRUB" -p "$POLICY" <"$notes" >"$tmp/filter.jsonl"
py 'import phikit, sys
s = phikit.Scrubber(phikit.Policy())
for l in open(sys.argv[1], encoding="utf-8"):
    print(s.record(l.rstrip("\n")))' "$notes" >"$tmp/lib.jsonl"
is "$(cmp "$tmp/filter.jsonl" "$tmp/lib.jsonl" && echo same)" same "Scrubber.record: phi-scrub's bytes, for every bundled note"
"$bin/guard-check" -p "$POLICY" <"$top/tests/cli/examples/common/answers.jsonl" >"$tmp/gfilter.jsonl"
py 'import phikit, sys
g = phikit.Guard(phikit.Policy())
for l in open(sys.argv[1], encoding="utf-8"):
    print(g.record(l.rstrip("\n")))' "$top/tests/cli/examples/common/answers.jsonl" >"$tmp/glib.jsonl"
is "$(cmp "$tmp/gfilter.jsonl" "$tmp/glib.jsonl" && echo same)" same "Guard.record: guard-check's bytes"
is "$(py 'import phikit; print(phikit.Scrubber(phikit.Policy()).text("Pt Marisol Quintero, MRN 004418273, seen 03/14/2024."))')" \
	"Pt [NAME], MRN [MRN], seen [DATE]." "Scrubber.text: the string scrubbed"
# errors: the filter's message and status, never the input
run "$PHI_SCRUB" -p "$POLICY" <<<'{"text":"Marisol Quintero 219-09-9999",'
want=${err#phi-scrub: error (at <stdin>:1): }
is "$(py 'import phikit
try:
    phikit.Scrubber(phikit.Policy()).record("{\"text\":\"Marisol Quintero 219-09-9999\",")
except phikit.Error as e:
    print(e.status, e)')" "3 $want" "bad input: phikit.Error with the filter's status and message"
is "$(py 'import phikit
try:
    phikit.Policy("/nonexistent.yaml")
except phikit.Error as e:
    print(e.status)')" 2 "a policy that cannot be read: status 2"
is "$(py 'import phikit; p = phikit.Policy(); print(p.name, len(p.sha256))')" "hipaa 64" "Policy: name and hash"

# installed: the header, the library, phikit.pc, and a C program built with them
d=$tmp/root
make -s -C "$top" install DESTDIR="$d" ${PHIKIT_SANITIZE:+SANITIZE=$PHIKIT_SANITIZE} >/dev/null 2>&1
flags=$(PKG_CONFIG_PATH=$d/usr/local/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$d pkg-config --cflags --libs phikit | sed "s/ *$//")
is "$flags" "-I$d/usr/local/include -L$d/usr/local/lib -lphikit" "pkg-config --cflags --libs phikit"
# shellcheck disable=SC2086
cc -o "$tmp/scrub" "$top/examples/c/scrub.c" $flags 2>"$tmp/cc.err"
is "$?:$(cat "$tmp/cc.err")" "0:" "examples/c/scrub.c builds against it"
printf '%s\n' "Pt Marisol Quintero, MRN 004418273" "SSN 219-09-9999, call (520) 555-0187" >"$tmp/lines"
LD_LIBRARY_PATH=$d/usr/local/lib "$tmp/scrub" <"$tmp/lines" >"$tmp/c.out"
jq -Rc '{text: .}' <"$tmp/lines" | "$PHI_SCRUB" -p "$POLICY" | jq -r .text >"$tmp/f.out"
is "$(cat "$tmp/c.out")" "$(cat "$tmp/f.out")" "the C program scrubs each string as phi-scrub does"
is "$(PYTHONPATH=$d/usr/local/lib/python3/dist-packages PHIKIT_LIB=$d/usr/local/lib/libphikit.so.1 \
	py 'import phikit; print(phikit.__file__.endswith("dist-packages/phikit.py"), phikit.version()[1])')" \
	"True 1" "the installed module loads the installed library"
done_testing
