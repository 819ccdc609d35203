"""Benchmark scale: index build time, query latency and memory on synthetic corpora of 10k and 100k chunks.

Run from the repository root: ``.venv/bin/python benchmarks/bench_scale.py [--index-dir DIR] [--sizes 10000 100000]``.

The synthetic chunks are built from the real corpus: its sentences shuffled and recombined into chunks as
long as real ones, under real heading paths. Their vectors are NOT embeddings of their text: each is a
real chunk's vector plus small Gaussian noise, renormalised. That is honest for timing the index and
query path (same dimension, same distribution of norms) and meaningless for retrieval quality.
Each size runs in its own process so that its memory figures are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import RESULT_PREFIX, emit, percentiles, rss_mb

ROOT = Path(__file__).resolve().parents[1]
CLI = Path(sys.executable).parent / "policy-assistant"
N_QUERIES = 50


def synthetic(snapshot: object, n: int, seed: int = 7) -> tuple[list[object], np.ndarray]:
    """``n`` chunks recombined from the snapshot's sentences, with perturbed copies of real vectors."""
    from policy_assistant.models import Chunk

    real = snapshot.chunks  # type: ignore[attr-defined]
    vectors = snapshot.vectors  # type: ignore[attr-defined]
    rng = random.Random(seed)
    sentences = [s for c in real for s in re.split(r"(?<=[。；;!！?？])", c.norm_text) if len(s.strip()) > 4]
    chunks: list[object] = []
    rows = []
    for i in range(n):
        j = rng.randrange(len(real))
        template = real[j]
        target = max(40, len(template.norm_text))
        parts: list[str] = []
        while sum(map(len, parts)) < target:
            parts.append(rng.choice(sentences))
        text = "".join(parts)[: target + 60]
        chunks.append(Chunk(chunk_id=f"syn-{i}", doc_id=f"synthetic-{i // 200}", doc_title=f"合成文档{i // 200}",
                            section_id=template.section_id, section_path=template.section_path,
                            norm_section_path=template.norm_section_path, text=text, norm_text=text, ordinal=i))
        rows.append(j)
    noise = np.random.default_rng(seed).normal(0, 0.02, size=(n, vectors.shape[1])).astype(np.float32)
    synth = vectors[rows].astype(np.float32) + noise
    synth /= np.linalg.norm(synth, axis=1, keepdims=True)
    return chunks, synth


def run_size(index_dir: Path, n: int) -> dict[str, object]:
    """Build both indexes over ``n`` synthetic chunks and time hybrid queries, in this process."""
    from policy_assistant.config import Settings
    from policy_assistant.eval.dataset import load_items
    from policy_assistant.index.dense import DenseIndex
    from policy_assistant.index.encoders import create_encoder
    from policy_assistant.index.lexical import LexicalIndex
    from policy_assistant.index.snapshot import Snapshot, lexical_text
    from policy_assistant.index.store import IndexStore
    from policy_assistant.ingest.normalise import normalise_query
    from policy_assistant.retrieve.hybrid import HybridRetriever

    settings = Settings(index_dir=index_dir, corpus_dir=ROOT / "corpus", _env_file=None)  # type: ignore[call-arg]
    source = IndexStore(index_dir).load()
    encoder = create_encoder(settings)
    questions = [it.question for it in load_items(ROOT / "evals" / "qa_dev.jsonl")][:N_QUERIES]
    encoder.encode_queries(["预热"])
    chunks, vectors = synthetic(source, n)
    rss_before, _ = rss_mb()

    t0 = time.perf_counter()
    lexical = LexicalIndex.build([lexical_text(c) for c in chunks])  # type: ignore[arg-type]
    t_lex = time.perf_counter() - t0
    t0 = time.perf_counter()
    dense = DenseIndex.build(vectors)
    t_dense = time.perf_counter() - t0
    rss_after, _ = rss_mb()

    snap = Snapshot({"version": f"synthetic-{n}"}, [], {}, chunks, vectors, dense, lexical)  # type: ignore[arg-type]
    retriever = HybridRetriever(snap, encoder, settings)
    for q in questions[:3]:
        retriever.search(q, k=10)
    total, enc_ms, lex_ms, dense_ms = [], [], [], []
    for q in questions:
        t0 = time.perf_counter()
        retriever.search(q, k=10)
        total.append((time.perf_counter() - t0) * 1000)
        norm = normalise_query(q)
        t0 = time.perf_counter()
        lexical.search(norm, settings.candidates)
        lex_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        qvec = encoder.encode_queries([norm])[0]
        enc_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        dense.search(qvec, settings.candidates)
        dense_ms.append((time.perf_counter() - t0) * 1000)
    _, rss_peak = rss_mb()
    return {
        "chunks": n,
        "avg_chunk_chars": round(sum(len(c.norm_text) for c in chunks) / n),  # type: ignore[attr-defined,misc]
        "dense_index": type(dense._index).__name__,
        "build_bm25_s": round(t_lex, 1),
        "build_faiss_s": round(t_dense, 1),
        "query_total": percentiles(total),
        "query_encode": percentiles(enc_ms),
        "query_bm25": percentiles(lex_ms),
        "query_faiss": percentiles(dense_ms),
        "rss_before_build_mb": rss_before,
        "rss_after_build_mb": rss_after,
        "rss_indexes_mb": round(rss_after - rss_before, 1),
        "rss_peak_mb": rss_peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, help="a built index of the real corpus (default: build one)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="model cache for building")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: run one size in this process
    args = parser.parse_args()
    if args.one:
        emit({"bench": "scale", **run_size(args.index_dir, args.one)})
        return
    with tempfile.TemporaryDirectory(prefix="pa-bench-scale-") as tmp:
        index_dir = args.index_dir or Path(tmp) / "indexes"
        if args.index_dir is None:
            env = {**os.environ, "PA_INDEX_DIR": str(index_dir), "PA_DATA_DIR": str(args.data_dir),
                   "PA_CORPUS_DIR": str(ROOT / "corpus")}
            subprocess.run([str(CLI), "ingest", "--json"], env=env, cwd=ROOT, capture_output=True, check=True)
        results = []
        for n in args.sizes:
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--index-dir", str(index_dir), "--one", str(n)],
                                 cwd=ROOT, capture_output=True, text=True, check=True)
            line = next(x for x in out.stdout.splitlines() if x.startswith(RESULT_PREFIX))
            r = json.loads(line[len(RESULT_PREFIX):])
            r["process_wall_s"] = round(time.perf_counter() - t0, 1)
            results.append(r)
            print(f"{n:>7} chunks ({r['dense_index']}): build BM25 {r['build_bm25_s']} s, FAISS {r['build_faiss_s']} s; "
                  f"query p50 {r['query_total']['p50_ms']} ms p95 {r['query_total']['p95_ms']} ms "
                  f"(encode p50 {r['query_encode']['p50_ms']} ms, BM25 p50 {r['query_bm25']['p50_ms']} ms, "
                  f"FAISS p50 {r['query_faiss']['p50_ms']} ms); "
                  f"RSS +{r['rss_indexes_mb']} MB for the indexes, peak {r['rss_peak_mb']} MB", flush=True)
    emit({"bench": "scale", "sizes": results})


if __name__ == "__main__":
    main()
