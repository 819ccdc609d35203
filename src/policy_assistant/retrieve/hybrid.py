"""Hybrid retrieval over one snapshot: the query is normalised like the corpus, both retrievers run,
their rankings are fused, optional filters (document, year) applied."""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Settings
from ..index.encoders import Encoder
from ..index.lexical import tokenize
from ..index.snapshot import Snapshot, lexical_text
from ..index.vectorstore import StoreFilter
from ..ingest.normalise import normalise_line, normalise_query
from ..knowledge.articles import PENALTY_ASK, article_number, penalty_citations
from ..models import Chunk, Hit
from .colloquial import Colloquial, load
from .fusion import rrf, top, weighted
from .planner import DocRef, defined_aliases, doc_hint, tidy_query, with_aliases, without_doc_names


@dataclass
class SearchFilter:
    """Restrict hits to some documents and/or to chunks mentioning a year."""

    doc_ids: set[str] | None = None
    year: int | None = None

    def accepts(self, snapshot: Snapshot, row: int) -> bool:
        return StoreFilter(frozenset(self.doc_ids) if self.doc_ids else None, self.year).accepts(snapshot.chunks[row])


class HybridRetriever:
    """Lexical (jieba + BM25) and dense (e5) retrieval fused by RRF or weighted sum.

    The snapshot's vector store does the searching: FAISS + bm25s in memory, or Milvus (which fuses
    by RRF itself, ``hybrid_search``). Ranks are mapped back to the snapshot's chunks; ties break by
    snapshot order, so both stores return the same hits for the same rankings.
    """

    def __init__(self, snapshot: Snapshot, encoder: Encoder, settings: Settings) -> None:
        self.snapshot = snapshot
        self.encoder = encoder
        self.settings = settings
        self.docs = [DocRef(d.doc_id, normalise_line(d.title)) for d in snapshot.documents]
        self._aliases: dict[str, str] | None = None
        self._colloquial: Colloquial | None = None
        self._penalties: dict[tuple[str, int], list[Chunk]] | None = None

    def search(self, query: str, k: int | None = None, flt: SearchFilter | None = None, plan: bool = True,
               hint: set[str] | None = None) -> list[Hit]:
        """Best ``k`` chunks for a question in either script.

        Args:
            query: the user's text (Simplified or Traditional, any width).
            k: how many hits (settings.top_k by default).
            flt: optional document / year filter.
            plan: without a filter, read the question first (``retrieve/planner.py``): a document it
                names becomes the filter and leaves the query; abbreviations the documents define
                bring their full forms, spoken words their document wording (``colloquial.py``); a penalty question brings the provisions that punish what
                the hits prescribe.
            hint: documents to prefer when the question names none (a follow-up's previous turn).
        Returns:
            Hits, best first, with fused score and each retriever's rank (None when the store fused
            natively and ranks are not reported).
        """
        k = k or self.settings.top_k
        norm = normalise_query(query)
        if not norm or not self.snapshot.chunks:
            return []
        norm = tidy_query(norm)  # "什么样板区" is 什么 + 样板区 (jieba: 什么样 + 板区)
        if not plan or flt is not None:
            return self._search(norm, k, flt)
        hits: list[Hit] = []
        ids = doc_hint(norm, self.docs) or hint
        if ids:
            # the document's name leaves first, so its words bring no full forms or synonyms
            rest = without_doc_names(norm, [d.title for d in self.docs if d.doc_id in ids])
            hits = self._search(self._expanded(rest if tokenize(rest) else norm), k, SearchFilter(doc_ids=ids))
        hits = hits or self._search(self._expanded(norm), k, None)
        return self._with_penalties(hits, k) if PENALTY_ASK.search(norm) else hits

    def _expanded(self, norm: str) -> str:
        """The query with the full forms of defined abbreviations and the document wording of spoken words."""
        return self.colloquial.expand_query(with_aliases(norm, self.aliases))

    @property
    def aliases(self) -> dict[str, str]:
        """Abbreviations the documents define, with their full forms (found once per snapshot)."""
        if self._aliases is None:
            self._aliases = defined_aliases(self.snapshot.chunks)
        return self._aliases

    @property
    def colloquial(self) -> Colloquial:
        """Spoken words → the wording this snapshot uses for them (built once per snapshot)."""
        if self._colloquial is None:
            text = "\n".join(lexical_text(c) for c in self.snapshot.chunks)
            self._colloquial = Colloquial(load(self.settings.colloquial_file), lambda form: form in text)
        return self._colloquial

    def _with_penalties(self, hits: list[Hit], k: int) -> list[Hit]:
        """Each hit followed by the penalty provisions citing its article ("违反本条例第二十六条…")."""
        if self._penalties is None:
            self._penalties = penalty_citations(self.snapshot.chunks)
        out: list[Hit] = []
        seen: set[str] = set()
        for h in hits:
            for c in [h.chunk, *self._penalties.get((h.chunk.doc_id, article_number(h.chunk) or -1), [])]:
                if c.chunk_id not in seen:
                    seen.add(c.chunk_id)
                    out.append(h if c is h.chunk else Hit(chunk=c, score=h.score))
        return out[:k]

    def _search(self, norm: str, k: int, flt: SearchFilter | None) -> list[Hit]:
        store = self.snapshot.vector_store
        sflt = StoreFilter(frozenset(flt.doc_ids) if flt.doc_ids else None, flt.year) if flt is not None else None
        n_cand = max(self.settings.candidates, k * 3)
        if sflt is not None:
            n_cand = len(self.snapshot.chunks)  # rank everything that passes the filter
        qvec = self.encoder.encode_queries([norm])[0]
        rows = self.snapshot.chunk_by_id
        w = self.settings.dense_weight
        if store.native_hybrid and self.settings.fusion != "weighted" and w == 0.5:
            fused_ids = store.search_hybrid(qvec, norm, 2 * n_cand, sflt, candidates=n_cand, rrf_k=self.settings.rrf_k)
            fused = {rows[c]: s for c, s in fused_ids if c in rows}
            return [Hit(chunk=self.snapshot.chunks[row], score=score) for row, score in top(fused, k)]
        lexical = [(rows[c], s) for c, s in store.search_lexical(norm, n_cand, sflt) if c in rows]
        dense = [(rows[c], s) for c, s in store.search_dense(qvec, n_cand, sflt) if c in rows]
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
