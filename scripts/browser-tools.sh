#!/usr/bin/env bash
# Prints the Python that drives the dashboard's browser tests: a venv with
# Playwright (PyPI), which drives Debian's chromium (scripts/install-deps.sh)
# rather than a browser of its own download.
set -euo pipefail
TOOLS="${KFARM_TOOLS_DIR:-/tmp/kfarm-tools}"
VENV="$TOOLS/browser-venv"
if ! "$VENV/bin/python" -c "import playwright" 2>/dev/null \
   || [ "$("$VENV/bin/pip" show playwright 2>/dev/null | sed -n 's/^Version: //p')" != "1.49.1" ]; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install -q "playwright==1.49.1" >&2
fi
echo "$VENV/bin/python"
