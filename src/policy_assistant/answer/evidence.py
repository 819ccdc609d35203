"""How well a text supports a question: IDF-weighted coverage of the question's topic terms."""

from __future__ import annotations

import math
import re
from functools import lru_cache

from ..index.lexical import ALT, word_known, word_tag
from ..index.snapshot import Snapshot, lexical_text
from .question import NOT_CONTENT_TAGS

SEGMENT_PIECE_WEIGHT = 0.3
_HAN_TERM = re.compile(r"[\u4e00-\u9fff]+")
# between the characters of a short form inside its full form: at most three Han characters, with
# list and quote marks ("千村示范、万村整治”工程"), never a clause break
_GAP_HAN = 3
_GAP_MARKS = "、“”\"()（）"


def full_forms(term: str, text: str, limit: int = 2, gap: int = _GAP_HAN, shortest: int = 3) -> list[str]:
    """Longer wordings in ``text`` that ``term`` abbreviates: 村委会 → 村(居)民委员会, 千万工程 → 千村示范、万村整治”工程.

    The term's characters must appear in order, first and last included, each gap at most ``gap`` Han
    characters; terms under ``shortest`` characters are not treated as abbreviations (too ambiguous,
    see :func:`spoken_forms` for the two-character words the library never uses).
    """
    if not shortest <= len(term) <= 6 or not _HAN_TERM.fullmatch(term):
        return []
    counts: dict[str, int] = {}
    for m in _subsequence(term).finditer(text):
        form = m.group(0)
        gaps = m.groups()
        if form != term and all(sum(1 for ch in g if ch not in _GAP_MARKS) <= gap and
                                all("\u4e00" <= ch <= "\u9fff" or ch in _GAP_MARKS for ch in g) for g in gaps):
            counts[form] = counts.get(form, 0) + 1
    return sorted(counts, key=lambda e: -counts[e])[:limit]


SPOKEN_GAP = 4  # "挖路" → 挖掘农村公路


def spoken_forms(term: str, text: str) -> list[str]:
    """The library's wordings of a two-character spoken word it never uses itself: 违建 → 违法建设,
    运维 → 运行维护, 超层 → 超过批准层, 挖路 → 挖掘农村公路 (the characters in order, each gap at most four)."""
    if len(term) != 2 or term in text or word_tag(term) in NOT_CONTENT_TAGS:
        return []  # 当时, 那时: a time word or a pronoun is no compressed content (not 当…及时)
    return full_forms(term, text, gap=SPOKEN_GAP, shortest=2)


@lru_cache(maxsize=4096)
def _subsequence(term: str) -> re.Pattern[str]:
    # a cheap pattern (no large character classes to compile); the gaps are checked in Python
    return re.compile("(.{0,7}?)".join(re.escape(ch) for ch in term))


def with_full_forms(terms: list[str], text: str) -> list[str]:
    """``terms`` with the full forms ``text`` uses for them as alternatives ("村委会|村(居)民委员会")."""
    out = []
    for t in terms:
        forms = full_forms(t, text)
        out.append(ALT.join([t, *forms]) if forms else t)
    expanded = [t.split(ALT, 1)[0] for t in out if ALT in t]
    # the pieces jieba cut from an expanded short form (村委, 委会 of 村委会) would count against it
    return [t for t in out if ALT in t or not any(t != e and t in e for e in expanded)]


# "户内处理设施包括户内化粪池、隔油池、污水管道等": the whole a listed part belongs to
_INCLUDES = re.compile(r"([\u4e00-\u9fff]{2,12}?)(?:包括|包含|分为|是指)([^。；;，,:：]{2,80})")


def with_wholes(terms: list[str], text: str) -> list[str]:
    """``terms`` with the whole each is listed as a part of in ``text`` as an alternative
    ("化粪池|户内处理设施"): a clause about the whole speaks about its parts too."""
    wholes: dict[str, list[str]] = {}
    for m in _INCLUDES.finditer(text):
        whole, items = m.group(1), m.group(2)
        if "、" not in items:
            continue
        for t in terms:
            first = t.split(ALT, 1)[0]
            listed = [i.strip().removesuffix("等") for i in items.split("、")]
            if len(first) >= 2 and any(i.endswith(first) for i in listed) and first not in whole and whole not in t.split(ALT):
                wholes.setdefault(t, [])
                if whole not in wholes[t]:
                    wholes[t].append(whole)
    # a part listed under two wholes (污水管道: 户内 and 公共) says nothing about which one is meant
    return [ALT.join([t, wholes[t][0]]) if len(wholes.get(t, [])) == 1 else t for t in terms]


class TermStats:
    """Document frequencies of terms over a snapshot's chunks (substring match, cached)."""

    def __init__(self, snapshot: Snapshot, absent_weight: float = 1.0) -> None:
        self._texts = [lexical_text(c) for c in snapshot.chunks]
        self._n = max(1, len(self._texts))
        self._joined = "\n".join(self._texts)
        self.df = lru_cache(maxsize=4096)(self._df)
        self.idf = lru_cache(maxsize=4096)(self._idf)  # coverage() asks it for every term of every sentence
        # a question word no document uses ("修路", "老房子"): mostly the asker's own wording of what the
        # documents say otherwise, sometimes a topic they lack; its weight (``weights.lexical.absent_term``) is fit on the dev sets
        self.absent_weight = absent_weight

    @property
    def text(self) -> str:
        """All chunk texts (normalised, Simplified), one per line."""
        return self._joined

    def _df(self, term: str) -> int:
        term = term.split(ALT, 1)[0]  # "村委会|村民委员会": the form the asker typed
        if term not in self._joined:
            return 0
        return sum(1 for t in self._texts if term in t)

    def _idf(self, term: str) -> float:
        """Smoothed IDF; a term absent from the corpus weighs most, unless it is a two-character piece
        jieba's HMM glued from neighbouring words ("内新" of "范围内新盖房子"): such a piece says little."""
        idf = math.log(1 + (self._n + 1) / (self.df(term) + 0.5))
        first = term.split(ALT, 1)[0]
        if len(first) == 2 and self.df(term) == 0 and not word_known(first):
            idf *= SEGMENT_PIECE_WEIGHT
        elif self.df(term) == 0:
            idf *= self.absent_weight
        return idf

    def in_corpus(self, term: str) -> bool:
        return self.df(term) > 0


def term_match(term: str, text: str) -> float:
    """1 when the term occurs; else the share of its character bigrams that do (partial credit).

    A term may carry alternatives ("村委会|村民委员会", see ``with_full_forms``): the best one counts.
    """
    if ALT in term:
        return max(term_match(t, text) for t in term.split(ALT))
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
