"""Sentences of a chunk paired with their normalised form, for the extractors and the answer engine."""

from __future__ import annotations

from dataclasses import dataclass

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
    out = []
    for i, (s, e) in enumerate(split_sentence_spans(chunk.text)):
        original = chunk.text[s:e]
        out.append(Sentence(chunk, i, original, normalise_line(original)))
    return out
