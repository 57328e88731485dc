#!/bin/bash
# The fault matrix (tests/cli/fault.sh) for phi-restore, and for phi-scrub
# with a vault: the same hostile lines and broken surroundings, with the
# vault's own faults (its key, its database) beside them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"
ledger_init

head -c 32 /dev/urandom >"$tmp/sk"
head -c 32 /dev/urandom >"$tmp/vk"
chmod 600 "$tmp/sk" "$tmp/vk"
printf 'extends: %s\naccess:\n  roles:\n    c: {users: [%s]}\n  actions:\n    reidentify: [c]\n' \
	"$POLICY" "$(id -un)" >"$tmp/ok.yaml"
printf '%s\n' "$F_GOOD" | "$bin/phi-scrub" -p "$POLICY" -m pseudonym -k "$tmp/sk" \
	--vault "$tmp/v.db" --vault-key "$tmp/vk" >/dev/null

F_NAME=phi-restore
# the ledger is written first: the file size limit stops it there
F_FULL_ERR="phi-restore: database '$tmp/l.db': open: disk I/O error"
F_CMD=("$bin/phi-restore" -p "$tmp/ok.yaml" --db "$tmp/l.db" --vault "$tmp/v.db" --vault-key "$tmp/vk")
F_MAXLINE="--max-line 1K"
fault_filter
F_CMD=("$bin/phi-restore" -p "$tmp/ok.yaml" --db "$tmp/l.db" --vault "$tmp/v.db")
fault_keyfile --vault-key
F_CMD=("$bin/phi-restore" -p "$tmp/ok.yaml" --vault "$tmp/v.db" --vault-key "$tmp/vk")
fault_db_bad

F_NAME=phi-scrub
F_FULL_ERR="phi-scrub: vault '$tmp/v.db': disk I/O error"
F_CMD=("$bin/phi-scrub" -p "$POLICY" -m pseudonym -k "$tmp/sk" --vault "$tmp/v.db" --vault-key "$tmp/vk")
fault_filter
F_CMD=("$bin/phi-scrub" -p "$POLICY" -m pseudonym -k "$tmp/sk" --vault "$tmp/v.db")
fault_keyfile --vault-key

done_testing
