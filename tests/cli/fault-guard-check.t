#!/bin/bash
# The fault matrix (tests/cli/fault.sh) for guard-check.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/fault.sh"

F_NAME=guard-check
F_CMD=("$bin/guard-check" -p "$POLICY")
F_MAXLINE="--max-line 1K"
fault_filter
F_CMD=("$bin/guard-check" -j 4 -p "$POLICY")
fault_filter

cat >"$tmp/redos.yaml" <<YAML
name: redos
extends: $POLICY
prohibited_output:
  - id: evil
    kind: test
    citation: "none"
    severity: deny
    pattern: '^(x+x+)+\$'
YAML
F_CMD=("$bin/guard-check")
fault_redos "$tmp/redos.yaml" evil

done_testing
