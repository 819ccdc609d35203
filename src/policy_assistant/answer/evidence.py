"""How well a text supports a question: IDF-weighted coverage of the question's topic terms."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from ..index.snapshot import Snapshot, lexical_text


class TermStats:
    """Document frequencies of terms over a snapshot's chunks (substring match, cached)."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._texts = [lexical_text(c) for c in snapshot.chunks]
        self._n = max(1, len(self._texts))
        self._joined = "\n".join(self._texts)
        self.df = lru_cache(maxsize=4096)(self._df)
        self.idf = lru_cache(maxsize=4096)(self._idf)  # coverage() asks it for every term of every sentence

    def _df(self, term: str) -> int:
        if term not in self._joined:
            return 0
        return sum(1 for t in self._texts if term in t)

    def _idf(self, term: str) -> float:
        """Smoothed IDF; a term absent from the corpus weighs most."""
        return math.log(1 + (self._n + 1) / (self.df(term) + 0.5))

    def in_corpus(self, term: str) -> bool:
        return self.df(term) > 0


def term_match(term: str, text: str) -> float:
    """1 when the term occurs; else the share of its character bigrams that do (partial credit)."""
    if term in text:
        return 1.0
    if len(term) < 3:
        return 0.0
    grams = [term[i:i + 2] for i in range(len(term) - 1)]
    hit = sum(1 for g in grams if g in text)
    return 0.8 * hit / len(grams) if hit / len(grams) >= 0.5 else 0.0


def coverage(terms: list[str], text: str, stats: TermStats) -> float:
    """IDF-weighted share of ``terms`` found in ``text`` (0..1)."""
    if not terms:
        return 0.0
    total = sum(stats.idf(t) for t in terms)
    got = sum(stats.idf(t) * term_match(t, text) for t in terms)
    return got / total if total else 0.0


def foreign_terms(terms: list[str], stats: TermStats) -> list[str]:
    """Topic terms the corpus never mentions in any form (e.g. "GDP"): a sign the answer is not there."""
    out = []
    for t in terms:
        if stats.in_corpus(t) or stats.in_corpus(t.upper()) or stats.in_corpus(t.lower()):
            continue
        if re.fullmatch(r"[A-Za-z][A-Za-z0-9.+-]*", t):
            out.append(t)
            continue
        # Chinese terms are judged by coverage instead: colloquial words ("谁来管") are often absent
    return out
