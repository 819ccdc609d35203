"""Benchmark the two vector stores on one synthetic corpus: FAISS + bm25s (in memory) and Milvus Lite.

Run from the repository root:
``.venv/bin/python benchmarks/bench_stores.py [--index-dir DIR] [--chunks 100000] [--stores faiss milvus]``

The corpus is `bench_scale.synthetic`: real sentences recombined into chunks under real heading paths,
vectors perturbed copies of real ones (right shape and norms, meaningless for quality). Each store runs
in its own process so memory figures are its own. Timed per store:

- build: FAISS = BM25 + FAISS index construction; Milvus Lite = insert (BM25 analysis of every row by
  Milvus's jieba analyzer included) + flush/index build + load.
- query: the store's hybrid search (dense + BM25, RRF; Milvus `hybrid_search`), 30 candidates each,
  top 10, query vectors encoded beforehand (encoding is the same for both: see bench_scale); and the
  same with a document filter.
- memory: RSS growth over the build and peak RSS (Milvus Lite runs inside the process); on-disk size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from _machine import RESULT_PREFIX, emit, machine, percentiles, rss_mb
from bench_scale import CLI, ROOT, synthetic

N_QUERIES = 50


def _disk_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return round(sum(p.stat().st_size for p in files) / 1e6, 1)


def run_store(store_kind: str, index_dir: Path, n: int, work: Path) -> dict[str, object]:
    """Build one store over ``n`` synthetic chunks and time hybrid queries, in this process."""
    from policy_assistant.config import Settings
    from policy_assistant.eval.dataset import load_items
    from policy_assistant.index.encoders import create_encoder
    from policy_assistant.index.store import IndexStore
    from policy_assistant.index.vectorstore import FaissStore, StoreFilter
    from policy_assistant.ingest.normalise import normalise_query

    settings = Settings(index_dir=index_dir, _env_file=None)  # type: ignore[call-arg]
    source = IndexStore(index_dir).load()
    encoder = create_encoder(settings)
    questions = [normalise_query(it.question) for it in load_items(ROOT / "evals" / "qa_dev.jsonl")][:N_QUERIES]
    qvecs = encoder.encode_queries(questions)
    chunks, vectors = synthetic(source, n)
    flt = StoreFilter(doc_ids=frozenset({"synthetic-7", "synthetic-42"}))
    rss_before, _ = rss_mb()
    t0 = time.perf_counter()
    extra: dict[str, object] = {}
    if store_kind == "faiss":
        store = FaissStore(chunks, vectors)  # type: ignore[arg-type]
        store._indexes()
        disk = work / "faiss"
        disk.mkdir()
        dense, lexical = store._indexes()
        dense.save(disk / "dense.faiss")
        (disk / "bm25").mkdir()
        lexical.save(disk / "bm25")
        np.save(disk / "vectors.npy", vectors)
        build_s = time.perf_counter() - t0
    else:
        from policy_assistant.index.milvus_store import MilvusStore, connect

        disk = work / "milvus.db"
        mstore = MilvusStore(connect(str(disk)), "bench")
        mstore.ensure_collection(vectors.shape[1])
        mstore.upsert(chunks, vectors, version="bench")  # type: ignore[arg-type]
        t_insert = time.perf_counter() - t0
        mstore.client.flush("bench")
        mstore.client.release_collection("bench")
        mstore.client.load_collection("bench")
        build_s = time.perf_counter() - t0
        extra = {"insert_s": round(t_insert, 1), "rows": mstore.count()}
        store = mstore  # type: ignore[assignment]
    rss_after, _ = rss_mb()
    for i in range(3):
        store.search_hybrid(qvecs[i], questions[i], 10, candidates=30)
    plain, filtered = [], []
    for q, v in zip(questions, qvecs, strict=True):
        t0 = time.perf_counter()
        store.search_hybrid(v, q, 10, candidates=30)
        plain.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        store.search_hybrid(v, q, 10, flt, candidates=30)
        filtered.append((time.perf_counter() - t0) * 1000)
    _, rss_peak = rss_mb()
    return {
        "store": store_kind, "chunks": n, "build_s": round(build_s, 1), **extra,
        "query_hybrid": percentiles(plain), "query_hybrid_doc_filter": percentiles(filtered),
        "rss_build_mb": round(rss_after - rss_before, 1), "rss_peak_mb": rss_peak, "disk_mb": _disk_mb(disk),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, help="a built FAISS index of the real corpus (default: build one)")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="model cache for building")
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--stores", nargs="+", default=["faiss", "milvus"], choices=["faiss", "milvus"])
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run one store in this process
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        emit({"bench": "stores", **run_store(args.one, args.index_dir, args.chunks, args.work)})
        return
    with tempfile.TemporaryDirectory(prefix="pa-bench-stores-") as tmp:
        index_dir = args.index_dir or Path(tmp) / "indexes"
        if args.index_dir is None:
            env = {**os.environ, "PA_INDEX_DIR": str(index_dir), "PA_DATA_DIR": str(args.data_dir),
                   "PA_CORPUS_DIR": str(ROOT / "corpus"), "PA_STORE": "faiss"}
            subprocess.run([str(CLI), "ingest", "--json"], env=env, cwd=ROOT, capture_output=True, check=True)
        results = []
        for kind in args.stores:
            work = Path(tmp) / kind
            work.mkdir()
            t0 = time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--index-dir", str(index_dir), "--chunks", str(args.chunks),
                                  "--one", kind, "--work", str(work)], cwd=ROOT, capture_output=True, text=True, check=True)
            line = next(x for x in out.stdout.splitlines() if x.startswith(RESULT_PREFIX))
            r = json.loads(line[len(RESULT_PREFIX):])
            r["process_wall_s"] = round(time.perf_counter() - t0, 1)
            results.append(r)
            q, f = r["query_hybrid"], r["query_hybrid_doc_filter"]
            print(f"{kind:>6} {r['chunks']} chunks: build {r['build_s']} s; hybrid query p50 {q['p50_ms']} ms "
                  f"p95 {q['p95_ms']} ms (doc filter p50 {f['p50_ms']} ms p95 {f['p95_ms']} ms); "
                  f"RSS +{r['rss_build_mb']} MB, peak {r['rss_peak_mb']} MB; disk {r['disk_mb']} MB", flush=True)
    emit({"bench": "stores", "machine": machine(), "results": results})


if __name__ == "__main__":
    main()
