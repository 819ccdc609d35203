"""Sentence splitting for Chinese policy text (。！？； and line breaks), keeping the punctuation."""

from __future__ import annotations

import re

_SENT_END = re.compile(r"(?<=[。！？!?；;])|\n+")
_CLAUSE_END = re.compile(r"(?<=[，,、：:])")


def split_sentences(text: str) -> list[str]:
    """Split into sentences; each keeps its closing punctuation, blanks are dropped."""
    return [s.strip() for s in _SENT_END.split(text) if s and s.strip()]


def split_sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of ``text``, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in re.finditer(r"[。！？!?；;]|\n+", text):
        end = m.end()
        _append_span(text, start, end, spans)
        start = end
    _append_span(text, start, len(text), spans)
    return spans


def _append_span(text: str, start: int, end: int, spans: list[tuple[int, int]]) -> None:
    seg = text[start:end]
    if not seg.strip():
        return
    lead = len(seg) - len(seg.lstrip())
    trail = len(seg) - len(seg.rstrip())
    spans.append((start + lead, end - trail))


def pack(pieces: list[str], max_chars: int) -> list[str]:
    """Greedily join consecutive pieces into groups of at most ``max_chars`` (a longer piece is cut at clauses)."""
    out: list[str] = []
    current = ""
    for piece in pieces:
        parts = [piece] if len(piece) <= max_chars else _cut(piece, max_chars)
        for part in parts:
            if current and len(current) + len(part) > max_chars:
                out.append(current)
                current = ""
            current += part
    if current:
        out.append(current)
    return out


def _cut(sentence: str, max_chars: int) -> list[str]:
    clauses = [c for c in _CLAUSE_END.split(sentence) if c]
    out: list[str] = []
    current = ""
    for clause in clauses:
        while len(clause) > max_chars:  # no punctuation at all: hard cut
            if current:
                out.append(current)
                current = ""
            out.append(clause[:max_chars])
            clause = clause[max_chars:]
        if current and len(current) + len(clause) > max_chars:
            out.append(current)
            current = ""
        current += clause
    if current:
        out.append(current)
    return out
