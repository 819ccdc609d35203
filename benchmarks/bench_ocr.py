"""Benchmark OCR ingest: a scanned 3-page plan (image-only PDF, skewed, with a red seal) read and indexed.

Run from the repository root: ``.venv/bin/python benchmarks/bench_ocr.py``. Needs Tesseract with chi_sim
(scripts/setup.sh installs it where apt is available). Prints the load (render + deskew + OCR) time, the
whole prepare-and-index time through the service, and each page's OCR confidence.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from _machine import emit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.scans import scanned_pdf  # noqa: E402


def main() -> None:
    from policy_assistant.config import Settings
    from policy_assistant.ingest import ocr
    from policy_assistant.ingest.loaders import load_bytes
    from policy_assistant.service import PolicyService

    if "chi_sim" not in ocr._tesseract_langs():
        print(f"Tesseract with chi_sim is not installed: {ocr.INSTALL_HINT}")
        return
    data = scanned_pdf()
    t0 = time.perf_counter()
    loaded = load_bytes("scan.pdf", data)
    load_s = time.perf_counter() - t0
    with tempfile.TemporaryDirectory(prefix="pa-bench-ocr-") as tmp:
        settings = Settings(index_dir=Path(tmp) / "index", data_dir=Path(tmp) / "data", corpus_dir=ROOT / "corpus")
        service = PolicyService(settings)
        service.ensure_index()
        t0 = time.perf_counter()
        service.upload("scan.pdf", data)
        upload_s = time.perf_counter() - t0
    print(f"scanned 3-page PDF: OCR load {load_s:.1f} s, upload (OCR + index) {upload_s:.1f} s; "
          f"page confidence {loaded.ocr_pages}")
    emit({"bench": "ocr", "pages": 3, "load_s": round(load_s, 1), "upload_s": round(upload_s, 1),
          "confidence": loaded.ocr_pages})


if __name__ == "__main__":
    main()
