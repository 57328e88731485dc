#!/bin/bash
# make install copies what make built and compiles nothing; the man pages
# name PREFIX's paths; make uninstall takes back exactly what it put there
# and leaves a site's own files.
. "$(dirname "$0")/lib.sh"

d=$tmp/root
# the flags the programs were built with (make check under SANITIZE=...)
san=${PHIKIT_SANITIZE:+SANITIZE=$PHIKIT_SANITIZE}
run make -s -C "$top" install DESTDIR="$d" $san
is "$rc" 0 "make install into DESTDIR: exit 0"
for p in phi-scrub phi-restore guard-check ledger-append ledger-verify ledger-admin trace-export hitl llm-call; do
	[ -x "$d/usr/local/bin/$p" ] || echo "# missing $p"
done
is "$(ls "$d/usr/local/bin" | wc -l)" 9 "the nine programs"
is "$(stat -c %a "$d/usr/local/share/phikit/policies/hipaa.yaml")" 644 "the preset, 0644"
ok "$([ -f "$d/usr/local/share/phikit/data/LICENSE.scowl" ] && [ -f "$d/usr/local/share/phikit/data/PROVENANCE.md" ] &&
	[ -f "$d/usr/local/share/doc/phikit/LICENSE" ]; echo $?)" "the data's notices and provenance, and the licence, beside it"
ok "$(ls "$d"/usr/local/share/phikit/data/*.model "$d"/usr/local/share/phikit/data/*.clf >/dev/null 2>&1; echo $?)" \
	"the models phi-scrub and guard-check load"
is "$(grep -c '/usr/local/share/phikit' "$d/usr/local/share/man/man1/phi-scrub.1")" \
	"$(grep -c '/usr/local/share/phikit' "$top/man/phi-scrub.1")" "man pages keep /usr/local under the default PREFIX"
run make -s -C "$top" install PREFIX=/opt/phikit DESTDIR="$tmp/other" $san
is "$rc:$(ls "$tmp/other" 2>/dev/null | wc -l)" "2:0" "another PREFIX than the build's: refused, nothing installed"
like "$err" "*built with other flags or for another PREFIX: run make PREFIX=/opt/phikit first*" \
	"another PREFIX: the reason and the remedy"
echo 'name: site' >"$d/usr/local/share/phikit/policies/site.yaml"
run make -s -C "$top" uninstall DESTDIR="$d" $san
is "$rc" 0 "make uninstall: exit 0"
is "$(cd "$d" && find . -type f | sort)" "./usr/local/share/phikit/policies/site.yaml" \
	"uninstall takes back every file it installed, and only those"
done_testing
