"""Hybrid retrieval over one snapshot: the query is normalised like the corpus, both retrievers run,
their rankings are fused, optional filters (document, year) applied."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..index.encoders import Encoder
from ..index.snapshot import Snapshot
from ..ingest.normalise import normalise_query
from ..models import Hit
from .fusion import rrf, top, weighted


@dataclass
class SearchFilter:
    """Restrict hits to some documents and/or to chunks mentioning a year."""

    doc_ids: set[str] | None = None
    year: int | None = None

    def accepts(self, snapshot: Snapshot, row: int) -> bool:
        chunk = snapshot.chunks[row]
        if self.doc_ids and chunk.doc_id not in self.doc_ids:
            return False
        return not (self.year is not None and str(self.year) not in chunk.norm_text)


class HybridRetriever:
    """Lexical (jieba + BM25) and dense (e5 + FAISS) retrieval fused by RRF or weighted sum."""

    def __init__(self, snapshot: Snapshot, encoder: Encoder, settings: Settings) -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.settings = settings

    def search(self, query: str, k: int | None = None, flt: SearchFilter | None = None) -> list[Hit]:
        """Best ``k`` chunks for a question in either script.

        Args:
            query: the user's text (Simplified or Traditional, any width).
            k: how many hits (settings.top_k by default).
            flt: optional document / year filter.
        Returns:
            Hits, best first, with fused score and each retriever's rank.
        """
        k = k or self.settings.top_k
        norm = normalise_query(query)
        if not norm or not self.snapshot.chunks:
            return []
        n_cand = max(self.settings.candidates, k * 3)
        if flt is not None:
            n_cand = len(self.snapshot.chunks)  # filter after ranking everything: corpora here are small
        lexical = self.snapshot.lexical.search(norm, n_cand)
        qvec = self.encoder.encode_queries([norm])[0]
        dense = self.snapshot.dense.search(qvec, n_cand)
        if flt is not None:
            lexical = [(r, s) for r, s in lexical if flt.accepts(self.snapshot, r)]
            dense = [(r, s) for r, s in dense if flt.accepts(self.snapshot, r)]
        w = self.settings.dense_weight
        if self.settings.fusion == "weighted":
            fused = weighted([dense, lexical], [w, 1 - w])
        else:
            fused = rrf([[r for r, _ in dense], [r for r, _ in lexical]], k=self.settings.rrf_k, weights=[2 * w, 2 * (1 - w)])
        dense_rank = {r: i + 1 for i, (r, _) in enumerate(dense)}
        lex_rank = {r: i + 1 for i, (r, _) in enumerate(lexical)}
        return [
            Hit(chunk=self.snapshot.chunks[row], score=score, dense_rank=dense_rank.get(row), lexical_rank=lex_rank.get(row))
            for row, score in top(fused, k)
        ]
