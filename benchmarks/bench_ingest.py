"""Benchmark ingest: index the real corpus into a fresh temporary index with the CLI, as a user would.

Run from the repository root: ``.venv/bin/python benchmarks/bench_ingest.py``.
Two runs, each a fresh ``policy-assistant ingest`` process with an empty index folder: the first with an
empty model cache (includes the one-time conversion of the bulk encoder), the second with the cache kept.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import emit

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "policy-assistant"


def ingest_once(index_dir: Path, data_dir: Path) -> dict[str, float]:
    """Wall time of one ``policy-assistant ingest --json`` and the seconds it reports itself."""
    env = {**os.environ, "PA_INDEX_DIR": str(index_dir), "PA_DATA_DIR": str(data_dir), "PA_CORPUS_DIR": str(ROOT / "corpus")}
    t0 = time.perf_counter()
    out = subprocess.run([str(CLI), "ingest", "--json"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    report = json.loads(out.stdout)
    return {"wall_s": round(wall, 1), "reported_s": round(report["seconds"], 1), "documents": report["documents"],
            "chunks": report["chunks"]}


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pa-bench-ingest-") as tmp:
        root = Path(tmp)
        cold = ingest_once(root / "index-1", root / "data")
        warm = ingest_once(root / "index-2", root / "data")
    print(f"ingest, empty model cache: {cold['wall_s']} s wall ({cold['reported_s']} s reported), "
          f"{cold['documents']} documents, {cold['chunks']} chunks")
    print(f"ingest, model cache kept:  {warm['wall_s']} s wall ({warm['reported_s']} s reported)")
    emit({"bench": "ingest", "cold_cache": cold, "warm_cache": warm})


if __name__ == "__main__":
    main()
