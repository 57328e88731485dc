#!/bin/bash
# The fault matrix (tests/cli/fault.sh) for llm-call, against a model API
# on loopback (tests/cli/mockhttp.py) that echoes each record's message.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"
unset PHIKIT_LLM_ENDPOINT PHIKIT_LLM_API_KEY_FILE PHIKIT_LLM_MODEL
python3 "$top/tests/cli/mockhttp.py" "$tmp/req.log" 200 >"$tmp/port" 2>/dev/null &
srv=$!
trap 'kill "$srv" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(head -n 1 "$tmp/port")/v1

F_NAME=llm-call
F_CMD=("$bin/llm-call" --endpoint "$url")
F_MAXLINE="--max-line 1K"
fault_filter
F_CMD=("$bin/llm-call" --endpoint "$url" -j 8)
fault_filter
F_CMD=("$bin/llm-call" --endpoint "$url")
fault_keyfile --api-key-file
done_testing
