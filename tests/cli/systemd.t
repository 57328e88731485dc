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

# the SIEM unit's command, run as the timer would, twice: the second run
# sends nothing, and a third after one more entry sends that one
ledger_init
"$PHI_SCRUB" -p "$POLICY" <"$top/examples/notes.jsonl" | "$LA" --db "$tmp/audit.db" >/dev/null
mkdir "$tmp/state" "$tmp/cred"
printf 'otel-token\n' >"$tmp/cred/otel.token"
chmod 400 "$tmp/cred/otel.token"
: >"$tmp/req.log"
python3 "$top/tests/cli/mockhttp.py" "$tmp/req.log" 200 >"$tmp/port" &
srv=$!
trap 'kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
cmd=$(sed -n 's/^ExecStart=//p' "$top/examples/systemd/phikit-siem.service" |
	sed -e "s,/usr/local/bin,$bin,; s,/var/lib/phikit/queue/audit.db,$tmp/audit.db," \
	    -e "s,/var/lib/phikit-siem,$tmp/state,; s,https://otel.example.org:4318,http://127.0.0.1:$(head -n 1 "$tmp/port"),")
ship() { CREDENTIALS_DIRECTORY=$tmp/cred sh -c "$cmd" 2>&1; }
is "$(ship)" "trace-export: 8 entries delivered in 1 batch" "siem unit: the first run ships everything"
is "$(ship):$(wc -l <"$tmp/req.log" | tr -d ' ')" "trace-export: 0 entries delivered in 0 batches:1" \
	"siem unit: the next run sends nothing again"
printf '{"text":"one more"}\n' | "$PHI_SCRUB" -p "$POLICY" | "$LA" --db "$tmp/audit.db" >/dev/null
ship >/dev/null
is "$(tail -n 1 "$tmp/req.log" | jq -r .body | jq -c '[.resourceLogs[0].scopeLogs[0].logRecords[].attributes[0].value.intValue]'):$(jq -r '.headers.Authorization' "$tmp/req.log" | sort -u)" \
	'["8"]:Bearer otel-token' "siem unit: then the one entry logged since, with the credential's token"
done_testing
