"""Where chunk vectors and BM25 live: the `VectorStore` protocol, its FAISS implementation, the factory.

Two stores hold the same chunks and answer the same hybrid queries, chosen by ``PA_STORE``:

- ``faiss`` (default): the snapshot's own FAISS + bm25s indexes, files under ``indexes/``, one machine.
- ``milvus``: a Milvus collection (dense vectors + Milvus's BM25 over jieba tokens of the normalised
  text), documents and ledgers in a relational registry; several workers share both.

Ids in and out are chunk ids; the caller maps them to the snapshot's in-memory chunks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ..errors import ConfigError
from ..models import Chunk

if TYPE_CHECKING:
    from ..config import Settings
    from .dense import DenseIndex
    from .lexical import LexicalIndex
    from .snapshot import Snapshot

ScoredIds = list[tuple[str, float]]  # (chunk id, score), best first


@dataclass(frozen=True)
class StoreFilter:
    """Metadata filter every store applies before ranking: some documents, and/or a year in the text."""

    doc_ids: frozenset[str] | None = None
    year: int | None = None

    def accepts(self, chunk: Chunk) -> bool:
        """The reference semantics (FAISS applies it in Python; Milvus as a filter expression)."""
        if self.doc_ids and chunk.doc_id not in self.doc_ids:
            return False
        return not (self.year is not None and str(self.year) not in chunk.norm_text)


@runtime_checkable
class VectorStore(Protocol):
    """Dense + lexical search over chunks, and the writes that keep them current."""

    native_hybrid: bool  # True when the engine fuses (RRF) itself

    def search_dense(self, vector: np.ndarray, k: int, flt: StoreFilter | None = None) -> ScoredIds:
        """Top ``k`` chunks by cosine to an L2-normalised query vector."""
        ...

    def search_lexical(self, norm_query: str, k: int, flt: StoreFilter | None = None) -> ScoredIds:
        """Top ``k`` chunks by BM25 over jieba tokens of the normalised (Simplified) text; zero scores dropped."""
        ...

    def search_hybrid(
        self, vector: np.ndarray, norm_query: str, k: int, flt: StoreFilter | None = None,
        candidates: int = 30, rrf_k: int = 60,
    ) -> ScoredIds:
        """Both searches (``candidates`` each), fused by reciprocal rank; the best ``k``."""
        ...

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Add or replace chunks (rows of ``vectors`` aligned with ``chunks``)."""
        ...

    def delete_doc(self, doc_id: str) -> None:
        """Remove every chunk of a document."""
        ...

    def count(self) -> int:
        """Number of chunks held."""
        ...


class FaissStore:
    """FAISS (exact inner product, HNSW past 100k) + bm25s, in memory; the snapshot's indexes when bound to one.

    Bound to a snapshot it is read-only in practice: the Indexer publishes a new snapshot instead of
    writing. Standalone (benchmarks), ``upsert``/``delete_doc`` mark it dirty and the next search rebuilds.
    """

    native_hybrid = False

    def __init__(
        self, chunks: Sequence[Chunk], vectors: np.ndarray,
        dense: DenseIndex | None = None, lexical: LexicalIndex | None = None,
    ) -> None:
        self._chunks = list(chunks)
        self._vectors = np.asarray(vectors, dtype=np.float32)
        self._dense = dense
        self._lexical = lexical

    @classmethod
    def of(cls, snapshot: Snapshot) -> FaissStore:
        """A store over a snapshot's own indexes (nothing rebuilt)."""
        return cls(snapshot.chunks, snapshot.vectors, snapshot.dense, snapshot.lexical)

    def _indexes(self) -> tuple[DenseIndex, LexicalIndex]:
        if self._dense is None or self._lexical is None:
            from .dense import DenseIndex
            from .lexical import LexicalIndex
            from .snapshot import lexical_text

            self._dense = DenseIndex.build(self._vectors)
            self._lexical = LexicalIndex.build([lexical_text(c) for c in self._chunks])
        return self._dense, self._lexical

    def _ids(self, rows: list[tuple[int, float]], k: int, flt: StoreFilter | None) -> ScoredIds:
        out = [(self._chunks[r].chunk_id, s) for r, s in rows if flt is None or flt.accepts(self._chunks[r])]
        return out[:k]

    def search_dense(self, vector: np.ndarray, k: int, flt: StoreFilter | None = None) -> ScoredIds:
        dense, _ = self._indexes()
        # with a filter, rank everything and keep what passes: corpora on one machine are small
        return self._ids(dense.search(vector, len(self._chunks) if flt else k), k, flt)

    def search_lexical(self, norm_query: str, k: int, flt: StoreFilter | None = None) -> ScoredIds:
        _, lexical = self._indexes()
        return self._ids(lexical.search(norm_query, len(self._chunks) if flt else k), k, flt)

    def search_hybrid(
        self, vector: np.ndarray, norm_query: str, k: int, flt: StoreFilter | None = None,
        candidates: int = 30, rrf_k: int = 60,
    ) -> ScoredIds:
        from ..retrieve.fusion import rrf, top

        dense = self.search_dense(vector, candidates, flt)
        lexical = self.search_lexical(norm_query, candidates, flt)
        row = {c.chunk_id: i for i, c in enumerate(self._chunks)}
        fused = rrf([[row[c] for c, _ in dense], [row[c] for c, _ in lexical]], k=rrf_k)
        return [(self._chunks[r].chunk_id, s) for r, s in top(fused, k)]

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        new = {c.chunk_id for c in chunks}
        keep = [i for i, c in enumerate(self._chunks) if c.chunk_id not in new]
        self._chunks = [self._chunks[i] for i in keep] + list(chunks)
        self._vectors = np.vstack([self._vectors[keep].reshape(len(keep), -1), np.asarray(vectors, np.float32)]) \
            if keep else np.asarray(vectors, np.float32)
        self._dense = self._lexical = None

    def delete_doc(self, doc_id: str) -> None:
        keep = [i for i, c in enumerate(self._chunks) if c.doc_id != doc_id]
        self._chunks = [self._chunks[i] for i in keep]
        self._vectors = self._vectors[keep]
        self._dense = self._lexical = None

    def count(self) -> int:
        return len(self._chunks)


def create_index_store(settings: Settings) -> Any:
    """The index store for ``settings.store``: versioned FAISS folders, or Milvus + the registry.

    Both offer ``current_version()``, ``exists()``, ``load()`` (a Snapshot), ``writer_lock()``;
    the FAISS one ``publish(snapshot)``, the shared one ``publish_changes(...)`` (only what changed).
    """
    kind = settings.store.strip().lower()
    if kind == "faiss":
        from .store import IndexStore

        return IndexStore(settings.index_dir)
    if kind == "milvus":
        from .shared import SharedIndexStore

        return SharedIndexStore(settings)
    raise ConfigError(f"unknown PA_STORE={settings.store!r}; use 'faiss' or 'milvus'",
                      f"PA_STORE 取值无效（{settings.store}），应为 faiss 或 milvus")
