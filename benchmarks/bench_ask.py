"""Benchmark answering: cold start (``policy-assistant ask`` in a fresh process) and warm in-process latency.

Run from the repository root: ``.venv/bin/python benchmarks/bench_ask.py [--index-dir DIR]``.
Without ``--index-dir`` the corpus is first indexed into a temporary folder (not timed here).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _machine import emit, percentiles

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "policy-assistant"
COLD_QUESTIONS = ["2027年农村居民人均可支配收入目标多少", "農村生活污水處理設施由哪個部門負責", "乡村振兴促进法什么时候施行"]


def cold_start(env: dict[str, str]) -> dict[str, object]:
    """Total wall time of ``policy-assistant ask QUESTION --json`` in a new process, per question."""
    walls = []
    for q in COLD_QUESTIONS:
        t0 = time.perf_counter()
        subprocess.run([str(CLI), "ask", q, "--json"], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
        walls.append(time.perf_counter() - t0)
    return {"runs_s": [round(w, 2) for w in walls], "median_s": round(statistics.median(walls), 2)}


def warm_latency(settings: object) -> dict[str, float]:
    """``PolicyService.ask`` latency over every question of both eval files, after one warm-up question."""
    from policy_assistant.eval.dataset import load_items
    from policy_assistant.service import PolicyService

    service = PolicyService(settings)  # type: ignore[arg-type]
    items = load_items(ROOT / "evals" / "qa_dev.jsonl") + load_items(ROOT / "evals" / "qa.jsonl")
    service.ask("预热：农村居民人均可支配收入目标")
    ms = []
    for it in items:
        t0 = time.perf_counter()
        service.ask(it.question, it.history)
        ms.append((time.perf_counter() - t0) * 1000)
    return percentiles(ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, help="a built index (default: build one in a temp folder)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="model cache for building")
    args = parser.parse_args()

    from policy_assistant.config import Settings

    with tempfile.TemporaryDirectory(prefix="pa-bench-ask-") as tmp:
        index_dir = args.index_dir or Path(tmp) / "indexes"
        env = {**os.environ, "PA_INDEX_DIR": str(index_dir), "PA_DATA_DIR": str(args.data_dir),
               "PA_CORPUS_DIR": str(ROOT / "corpus"), "PA_LLM_BASE_URL": "", "PA_LLM_MODEL": ""}
        if args.index_dir is None:
            subprocess.run([str(CLI), "ingest", "--json"], env=env, cwd=ROOT, capture_output=True, check=True)
        cold = cold_start(env)
        settings = Settings(index_dir=index_dir, data_dir=args.data_dir, corpus_dir=ROOT / "corpus", _env_file=None)  # type: ignore[call-arg]
        warm = warm_latency(settings)
    print(f"cold start (fresh process, `ask --json`, total wall): median {cold['median_s']} s  runs {cold['runs_s']}")
    print(f"warm ask latency over {warm['n']} questions: p50 {warm['p50_ms']} ms  p95 {warm['p95_ms']} ms  "
          f"max {warm['max_ms']} ms")
    emit({"bench": "ask", "cold_start": cold, "warm": warm})


if __name__ == "__main__":
    main()
