#!/usr/bin/env bash
# Set up if needed, build the index from corpus/ if there is none, then serve the page and API.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/policy-assistant serve "$@"
