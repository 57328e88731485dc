#!/bin/bash
# bash completion (completions/phikit.bash): options as each program's -h
# lists them, hitl's and ledger-admin's commands, the values of --status,
# --format and --mode.
. "$(dirname "$0")/lib.sh"

comp() {	# comp WORD...: what completing the last word offers, space-separated
	PATH="$bin:$PATH" bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _phikit
		echo "${COMPREPLY[*]}"' _ "$top/completions/phikit.bash" "$@"
}
is "$(comp hitl '')" "approve gate list reject release review show wait" "hitl: its commands"
is "$(comp ledger-admin p)" "policy prune pubkey" "ledger-admin: its commands"
is "$(comp phi-scrub --ma)" "--max-line" "phi-scrub: an option from its -h"
is "$(comp guard-check --dr)" "--drop-denied" "guard-check: an option from its -h"
is "$(comp hitl approve --notes)" "--notes --notes-file" "hitl approve: both ways to give notes"
is "$(comp hitl list --status e)" "escalated expired" "--status: its values"
is "$(comp trace-export --format h)" "hec html" "--format: its values"
is "$(comp phi-scrub -m p)" "pseudonym" "-m: the modes"
is "$(comp phi-scrub --vault-)" "--vault-key" "phi-scrub: --vault-key"
is "$(comp phi-restore --va)" "--vault --vault-key" "phi-restore: its options from its -h"
mkdir "$tmp/d" && touch "$tmp/d/notes.jsonl"
is "$(cd "$tmp/d" && comp phi-scrub no)" "notes.jsonl" "anything else: files"
done_testing
