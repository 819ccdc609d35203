"""The baseline a user would build from the usual anchors, for the side-by-side retrieval row.

LangChain's recursive splitter (250 characters, overlap 50, Chinese punctuation separators) over the
raw document text, the same embedding model in a flat FAISS index, jieba + BM25 (bm25s) on the raw
text, fused 0.5/0.5 by min-max normalised weighted sum. No Traditional→Simplified normalisation, no
outline, no heading paths: that is what the product adds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import bm25s
import faiss
import jieba
import numpy as np

from ..errors import ConfigError, MissingDependency
from ..index.encoders import Encoder
from ..ingest.loaders import load_bytes
from ..ingest.normalise import clean_text, normalise
from ..ingest.prepare import sha256_bytes
from ..models import Document
from ..retrieve.fusion import top, weighted

CHUNK_SIZE = 250
CHUNK_OVERLAP = 50
SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "，", ""]
CANDIDATES = 30
_WORD = re.compile(r"\w")


@dataclass
class BaselineChunk:
    """A splitter chunk with its offsets in the document's cleaned text (the outline's coordinates)."""

    doc_id: str
    start: int
    end: int
    text: str
    norm_text: str  # for the checker only; the baseline itself indexes ``text``


def split_documents(texts: dict[str, str]) -> list[BaselineChunk]:
    """Split each document with LangChain's ``RecursiveCharacterTextSplitter``.

    Args:
        texts: doc_id → cleaned document text.
    Returns:
        Chunks with start offsets found by the splitter (``add_start_index``).
    """
    try:
        from langchain_text_splitters import RecursiveCharacterTextSplitter
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependency(
            "the baseline needs langchain-text-splitters: pip install langchain-text-splitters",
            "基线需要 langchain-text-splitters：pip install langchain-text-splitters",
        ) from exc
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, separators=SEPARATORS, add_start_index=True
    )
    chunks: list[BaselineChunk] = []
    for doc_id, text in texts.items():
        for piece in splitter.create_documents([text]):
            start = int(piece.metadata.get("start_index", -1))
            if start < 0:  # the splitter could not locate the piece: find it ourselves
                start = max(0, text.find(piece.page_content))
            body = piece.page_content
            chunks.append(BaselineChunk(doc_id, start, start + len(body), body, normalise(body)))
    return chunks


def baseline_tokens(text: str) -> list[str]:
    """jieba's default (precise) cut, whitespace and punctuation dropped: what a user would write."""
    return [t for t in (w.strip() for w in jieba.lcut(text)) if t and _WORD.search(t)]


def read_corpus(documents: list[Document]) -> dict[str, str]:
    """The cleaned text of each indexed document, read again from its source file.

    Raises:
        ConfigError: when a source is gone or changed since it was indexed (its offsets would no
            longer match the outline, so the comparison would be wrong).
    """
    texts: dict[str, str] = {}
    for doc in documents:
        try:
            data = Path(doc.source).read_bytes()
        except OSError as exc:
            raise ConfigError(f"baseline: cannot read {doc.source}: {exc}", f"基线：无法读取 {doc.source}") from exc
        if sha256_bytes(data) != doc.sha256:
            raise ConfigError(
                f"baseline: {doc.source} changed since it was indexed; run `policy-assistant ingest` first",
                f"基线：{doc.source} 在建索引后已改动，请先运行 policy-assistant ingest",
            )
        texts[doc.doc_id] = clean_text(load_bytes(doc.filename, data).text)
    return texts


class BaselineRetriever:
    """Recursive-splitter chunks, FAISS (flat inner product) + BM25, fused 0.5/0.5."""

    def __init__(self, chunks: list[BaselineChunk], vectors: np.ndarray, encoder: Encoder) -> None:
        self.chunks = chunks
        self.encoder = encoder
        self._dense = faiss.IndexFlatIP(vectors.shape[1])
        self._dense.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._bm25 = bm25s.BM25()
        self._bm25.index([baseline_tokens(c.text) or ["∅"] for c in chunks], show_progress=False)
        self._vocab = set(self._bm25.vocab_dict)

    @classmethod
    def build(
        cls, texts: dict[str, str], encoder: Encoder, progress: Callable[[int], None] | None = None
    ) -> BaselineRetriever:
        """Split and index ``texts`` (doc_id → cleaned text) with ``encoder``."""
        chunks = split_documents(texts)
        vectors = encoder.encode_passages([c.text for c in chunks], progress=progress)
        return cls(chunks, vectors, encoder)

    def search(self, query: str, k: int) -> list[BaselineChunk]:
        """The ``k`` best chunks for a raw question."""
        n = min(CANDIDATES, len(self.chunks))
        qvec = self.encoder.encode_queries([query])
        scores, rows = self._dense.search(np.ascontiguousarray(qvec, dtype=np.float32), n)
        dense = [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=False) if r >= 0]
        lexical: list[tuple[int, float]] = []
        tokens = [t for t in baseline_tokens(query) if t in self._vocab]
        if tokens:
            found, bm = self._bm25.retrieve([tokens], k=n, show_progress=False, n_threads=0)
            lexical = [(int(r), float(s)) for r, s in zip(found[0], bm[0], strict=False) if s > 0]
        fused = weighted([dense, lexical], [0.5, 0.5])
        return [self.chunks[row] for row, _ in top(fused, k)]
