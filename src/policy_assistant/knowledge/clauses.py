"""Sentences of a chunk paired with their normalised form, for the extractors and the answer engine."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..ingest.normalise import normalise_line
from ..ingest.sentences import split_sentence_spans
from ..models import Chunk


@dataclass
class Sentence:
    """One sentence of a chunk: original text (for quotes) and normalised text (for matching)."""

    chunk: Chunk
    index: int
    text: str
    norm: str


def chunk_sentences(chunk: Chunk) -> list[Sentence]:
    """The sentences of a chunk, in order (line breaks also end a sentence)."""
    return [Sentence(chunk, i, original, norm) for i, (original, norm) in enumerate(_split(chunk.text))]


@lru_cache(maxsize=16384)
def _split(text: str) -> tuple[tuple[str, str], ...]:
    # memoised by text: the answer engine splits the same retrieved chunks again for every question
    return tuple((text[s:e], normalise_line(text[s:e])) for s, e in split_sentence_spans(text))
