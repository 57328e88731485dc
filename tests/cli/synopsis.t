#!/bin/bash
# Each program's options in its source, its -h, and its man page's
# SYNOPSIS and OPTIONS are the same (tests/cli/synopsis.py).
top=${PHIKIT_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
exec python3 "$top/tests/cli/synopsis.py" "$top" "${PHIKIT_BIN:-$top/bin}"
