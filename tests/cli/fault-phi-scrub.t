#!/bin/bash
# The fault matrix (tests/cli/fault.sh) for phi-scrub.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"

F_NAME=phi-scrub
F_CMD=("$bin/phi-scrub" -p "$POLICY")
F_MAXLINE="--max-line 1K"
fault_filter
F_CMD=("$bin/phi-scrub" -j 4 -p "$POLICY")
fault_filter

cat >"$tmp/redos.yaml" <<YAML
name: redos
extends: $POLICY
scrub:
  rules:
    - id: evil
      category: ID
      pattern: '^(x+x+)+\$'
YAML
F_CMD=("$bin/phi-scrub")
fault_redos "$tmp/redos.yaml" evil

F_CMD=("$bin/phi-scrub" -p "$POLICY" -m pseudonym)
fault_keyfile -k

done_testing
