"""Milvus as the vector store: dense vectors + Milvus's own BM25 (jieba) over the normalised text,
fused by Milvus ``hybrid_search`` (RRF). Milvus Lite (a ``./file.db`` URI) or a cluster (``http://…``).

Every row carries its document's ``version`` tag. A document version becomes visible only when the
registry names it live (one database transaction), so a search drops rows of any other version:
in-flight writes are excluded in the filter expression, and every hit is checked against the
snapshot's live map. Orphans of an interrupted write are deleted at start-up (see ``shared.py``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np

from ..errors import MissingDependency
from ..models import Chunk
from .lexical import _KEEP, STOPWORDS, tokenize
from .snapshot import lexical_text
from .vectorstore import ScoredIds, StoreFilter

log = logging.getLogger(__name__)

MAX_TOPK = 16384  # Milvus's limit on topk / limit
INSERT_BATCH = 256
TEXT_BYTES = 16384  # VARCHAR max_length is in bytes (UTF-8): ~5,400 Chinese characters
HNSW = {"M": 32, "efConstruction": 200}
EF_SEARCH = 128
BM25_PARAMS = {"bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s's defaults, so both stores score alike
_VERSION_TAG = re.compile(r"^[A-Za-z0-9_.-]+$")


def connect(uri: str, token: str | None = None, db_name: str | None = None) -> Any:
    """A ``MilvusClient``: ``./x.db`` runs Milvus Lite in this process, ``http://host:19530`` a server."""
    try:
        from pymilvus import MilvusClient
    except ImportError as exc:  # pragma: no cover - the extra is installed in dev and CI
        raise MissingDependency(
            "PA_STORE=milvus needs pymilvus and milvus-lite: pip install 'policy-assistant[milvus]'",
            "PA_STORE=milvus 需要安装 pymilvus 与 milvus-lite：pip install 'policy-assistant[milvus]'",
        ) from exc
    kwargs: dict[str, Any] = {"uri": uri}
    if token:
        kwargs["token"] = token
    if db_name:
        kwargs["db_name"] = db_name
    return MilvusClient(**kwargs)


@lru_cache(maxsize=1)
def analyzer_params() -> dict[str, Any]:
    """Milvus's jieba analyzer set up like ``lexical.tokenize``: search mode, our policy-term
    dictionary, our stop words, and punctuation dropped (as a stop list: works on Lite and clusters)."""
    userdict = resources.files("policy_assistant") / "resources" / "userdict.txt"
    words = [line.split()[0] for line in userdict.read_text(encoding="utf-8").splitlines() if line.strip()]
    ranges = [(0x21, 0x7F), (0xA1, 0xC0), (0x2000, 0x2070), (0x2190, 0x2200), (0x2460, 0x2500),
              (0x25A0, 0x2700), (0x3000, 0x3040), (0xFE30, 0xFE70), (0xFF00, 0xFFF0)]
    punct = {chr(c) for lo, hi in ranges for c in range(lo, hi) if not _KEEP.search(chr(c))}
    return {
        "tokenizer": {"type": "jieba", "dict": ["_default_", *words], "mode": "search", "hmm": True},
        "filter": [{"type": "stop", "stop_words": sorted(STOPWORDS | punct)}],
    }


def _clip(text: str, limit: int = TEXT_BYTES) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= limit else data[:limit].decode("utf-8", errors="ignore")


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class MilvusStore:
    """One Milvus collection of chunk rows; ``live``/``exclude`` bind it to a registry state for searching."""

    client: Any
    collection: str
    live: dict[str, str] | None = None  # doc id -> live version tag; None: accept every row (tools)
    exclude: tuple[str, ...] = ()  # version tags being written or retired
    native_hybrid: bool = field(default=True, init=False)

    def bind(self, live: dict[str, str], exclude: Iterable[str] = ()) -> MilvusStore:
        """The same collection seen through one registry state (what a snapshot searches)."""
        return MilvusStore(self.client, self.collection, live, tuple(sorted(exclude)))

    # ----- collection ---------------------------------------------------------------------
    def exists(self) -> bool:
        return bool(self.client.has_collection(self.collection))

    def ensure_collection(self, dim: int) -> None:
        """Create the collection (schema, BM25 function, indexes) unless it exists."""
        if self.exists():
            return
        from pymilvus import DataType, Function, FunctionType

        s = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("pk", DataType.VARCHAR, is_primary=True, max_length=512)
        s.add_field("chunk_id", DataType.VARCHAR, max_length=256)
        s.add_field("doc_id", DataType.VARCHAR, max_length=256)
        s.add_field("version", DataType.VARCHAR, max_length=64)
        s.add_field("ordinal", DataType.INT64)
        s.add_field("page", DataType.INT64, nullable=True)
        s.add_field("section_path", DataType.ARRAY, element_type=DataType.VARCHAR, max_capacity=64, max_length=1024)
        s.add_field("text", DataType.VARCHAR, max_length=TEXT_BYTES)
        s.add_field("norm_text", DataType.VARCHAR, max_length=TEXT_BYTES)
        s.add_field("lexical", DataType.VARCHAR, max_length=TEXT_BYTES, enable_analyzer=True,
                    analyzer_params=analyzer_params())
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25,
                                input_field_names=["lexical"], output_field_names=["sparse"]))
        idx = self.client.prepare_index_params()
        idx.add_index("vector", index_type="HNSW", metric_type="IP", params=HNSW)
        idx.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25_PARAMS)
        # Strong: a document the registry just made live is searchable on every worker at once
        self.client.create_collection(self.collection, schema=s, index_params=idx, consistency_level="Strong")

    def ensure_loaded(self) -> None:
        """Load the collection into memory for searching (a restarted Milvus Lite starts 'released')."""
        state = self.client.get_load_state(self.collection)
        if "NotLoad" in str(state.get("state", state)):
            self.client.load_collection(self.collection)

    def drop(self) -> None:
        if self.exists():
            self.client.drop_collection(self.collection)

    # ----- writes -------------------------------------------------------------------------
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray, version: str = "") -> None:
        """Write chunks under a version tag (rows of other versions of the same chunks stay)."""
        if version and not _VERSION_TAG.match(version):
            raise ValueError(f"bad version tag {version!r}")
        vectors = np.asarray(vectors, dtype=np.float32)
        rows = [
            {
                "pk": f"{c.chunk_id}@{version}",
                "chunk_id": c.chunk_id,
                "doc_id": c.doc_id,
                "version": version,
                "ordinal": int(c.ordinal),
                "page": c.page,
                "section_path": [_clip(h, 1000) for h in c.section_path[:64]],
                "text": _clip(c.text),
                "norm_text": _clip(c.norm_text),
                "lexical": _clip(lexical_text(c)),
                "vector": vectors[i].tolist(),
            }
            for i, c in enumerate(chunks)
        ]
        for start in range(0, len(rows), INSERT_BATCH):
            self._insert_batch(rows[start : start + INSERT_BATCH])

    def _insert_batch(self, rows: list[dict[str, Any]]) -> None:
        self.client.upsert(self.collection, rows)

    def delete_doc(self, doc_id: str) -> None:
        self.client.delete(self.collection, filter=f"doc_id == {_quote(doc_id)}")

    def delete_versions(self, versions: Iterable[str]) -> None:
        """Remove every row of these version tags (retired versions, orphans of a crash)."""
        tags = sorted(set(versions))
        for start in range(0, len(tags), 500):
            part = ", ".join(_quote(t) for t in tags[start : start + 500])
            self.client.delete(self.collection, filter=f"version in [{part}]")

    def count(self) -> int:
        res = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"]) if res else 0

    def vectors_of(self, doc_id: str, version: str) -> dict[str, np.ndarray]:
        """The stored vectors of one document version, by chunk id (re-used when a document changes)."""
        expr = f"doc_id == {_quote(doc_id)} and version == {_quote(version)}"
        rows = self.client.query(self.collection, filter=expr, output_fields=["chunk_id", "vector"], limit=MAX_TOPK)
        return {r["chunk_id"]: np.asarray(r["vector"], dtype=np.float32) for r in rows}

    # ----- searches -----------------------------------------------------------------------
    def _expr(self, flt: StoreFilter | None) -> str:
        parts = []
        if self.exclude:
            parts.append(f"version not in [{', '.join(_quote(v) for v in self.exclude)}]")
        if flt is not None and flt.doc_ids:
            parts.append(f"doc_id in [{', '.join(_quote(d) for d in sorted(flt.doc_ids))}]")
        if flt is not None and flt.year is not None:
            parts.append(f'norm_text like "%{int(flt.year)}%"')
        return " and ".join(parts)

    def _accept(self, hits: list[dict[str, Any]], k: int, sign: float = 1.0) -> ScoredIds:
        out: ScoredIds = []
        for h in hits:
            ent = h.get("entity", h)
            if self.live is not None and self.live.get(ent["doc_id"]) != ent["version"]:
                continue  # not (or no longer) the registry's live version of that document
            out.append((ent["chunk_id"], sign * float(h["distance"])))
        return out[:k]

    def _dense_req(self, vector: np.ndarray, limit: int) -> dict[str, Any]:
        return {"data": [np.asarray(vector, np.float32).tolist()], "anns_field": "vector",
                "param": {"metric_type": "IP", "params": {"ef": max(EF_SEARCH, limit)}}, "limit": limit}

    def _fetch(self, k: int) -> int:
        # a few spare rows: stale ones (another version) are dropped after the search
        return min(MAX_TOPK, k + 2 * len(self.exclude) + 8)

    def search_dense(self, vector: np.ndarray, k: int, flt: StoreFilter | None = None) -> ScoredIds:
        if k <= 0:
            return []
        req = self._dense_req(vector, self._fetch(k))
        res = self.client.search(self.collection, req["data"], anns_field="vector", limit=req["limit"],
                                 search_params=req["param"], filter=self._expr(flt),
                                 output_fields=["chunk_id", "doc_id", "version"])
        return self._accept(list(res[0]), k)

    def search_lexical(self, norm_query: str, k: int, flt: StoreFilter | None = None) -> ScoredIds:
        if k <= 0 or not tokenize(norm_query):
            return []
        res = self.client.search(self.collection, [norm_query], anns_field="sparse", limit=self._fetch(k),
                                 search_params={"metric_type": "BM25"}, filter=self._expr(flt),
                                 output_fields=["chunk_id", "doc_id", "version"])
        # BM25 comes back as a distance (negated score) from Milvus Lite, as a score from a cluster
        return [(c, abs(s)) for c, s in self._accept(list(res[0]), k) if s != 0]

    def search_hybrid(
        self, vector: np.ndarray, norm_query: str, k: int, flt: StoreFilter | None = None,
        candidates: int = 30, rrf_k: int = 60,
    ) -> ScoredIds:
        """Milvus ``hybrid_search``: dense and BM25 requests (``candidates`` each) fused by RRFRanker."""
        from pymilvus import AnnSearchRequest, RRFRanker

        expr = self._expr(flt)
        n = min(MAX_TOPK, candidates)
        d = self._dense_req(vector, n)
        reqs = [AnnSearchRequest(d["data"], "vector", d["param"], limit=n, expr=expr or None)]
        if tokenize(norm_query):
            reqs.append(AnnSearchRequest([norm_query], "sparse", {"metric_type": "BM25"}, limit=n, expr=expr or None))
        res = self.client.hybrid_search(self.collection, reqs, RRFRanker(rrf_k), limit=self._fetch(k),
                                        output_fields=["chunk_id", "doc_id", "version"])
        return self._accept(list(res[0]), k)
