#!/usr/bin/env bash
# Set up (with dev extras), then the whole suite: ruff, mypy, pytest, and the evaluation gate.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
export GRADIO_ANALYTICS_ENABLED=False HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
echo "== ruff"; .venv/bin/ruff check src tests benchmarks
echo "== mypy"; .venv/bin/mypy
echo "== pytest"; .venv/bin/python -m pytest -q "$@"
