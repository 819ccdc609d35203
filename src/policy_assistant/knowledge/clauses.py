"""Sentences of a chunk paired with their normalised form, for the extractors and the answer engine."""

from __future__ import annotations

import re
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
    # an item of a list ("(一)使用耕地的,不得超过125平方米;"): the normalised sentences that lead up to
    # the list ("宅基地面积按照下列标准确定:"), which say what the item is about; "" otherwise
    lead: str = ""


_ITEM = re.compile(r"^\s*[（(][一二三四五六七八九十\d]{1,3}[）)]")


def chunk_sentences(chunk: Chunk) -> list[Sentence]:
    """The sentences of a chunk, in order (line breaks also end a sentence)."""
    out: list[Sentence] = []
    lead, before = "", list[str]()  # the two sentences before a list are its lead
    for i, (original, norm) in enumerate(_split(chunk.text)):
        if _ITEM.match(norm):
            lead = lead or "".join(before[-2:])
            out.append(Sentence(chunk, i, original, norm, lead))
            continue
        if lead:  # a sentence after a list starts afresh
            lead, before = "", []
        before.append(norm)
        out.append(Sentence(chunk, i, original, norm))
    return out


@lru_cache(maxsize=16384)
def _split(text: str) -> tuple[tuple[str, str], ...]:
    # memoised by text: the answer engine splits the same retrieved chunks again for every question
    return tuple((text[s:e], normalise_line(text[s:e])) for s, e in split_sentence_spans(text))
