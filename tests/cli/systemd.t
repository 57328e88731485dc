#!/bin/bash
# examples/systemd: the units a site runs (the queue's sweep, hourly
# checkpoints, the daily verification) are valid to systemd-analyze
# verify, with the programs at this build's path, and each runs its
# program with options it takes.
. "$(dirname "$0")/lib.sh"

if ! command -v systemd-analyze >/dev/null; then
	echo "1..0 # SKIP systemd-analyze is not installed (Debian's systemd package)"
	exit 0
fi
mkdir "$tmp/u"
for f in "$top"/examples/systemd/*; do
	sed "s,/usr/local/bin,$bin,g" "$f" >"$tmp/u/${f##*/}"
done
(cd "$tmp/u" && systemd-analyze verify --man=no ./*.service ./*.timer) >"$tmp/out" 2>&1
is "$?:$(cat "$tmp/out")" "0:" "every unit and timer is valid"
# each ExecStart's program takes what it is given (-h would not check that)
for s in "$top"/examples/systemd/*.service; do
	cmd=$(sed -n 's/^ExecStart=\/usr\/local\/bin\///p' "$s")
	prog=${cmd%% *}
	args=${cmd#"$prog"}
	out=$("$bin/$prog" -h)
	for a in $args; do
		case $a in --*) like "$out" "*$a*" "${s##*/}: $prog takes $a";; esac
	done
done
done_testing
