"""Lexical index: jieba (with a policy-term user dictionary) over normalised text, scored by bm25s."""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import bm25s
import jieba
import numpy as np

jieba.setLogLevel(logging.WARNING)

_KEEP = re.compile(r"[\w\u3400-\u9fff%.]")
# words that say how a question is asked, not what it is about
STOPWORDS = frozenset(
    ["的", "了", "和", "与", "及", "以及", "或", "是", "在", "对", "把", "被", "为", "等", "中", "上", "下", "之", "其", "该", "这", "那", "这个", "那个", "哪个", "哪些", "什么", "多少", "几个", "几", "怎么", "如何", "怎样", "吗", "呢", "吧", "啊", "呀", "么", "请问", "请", "一下", "要", "会", "能", "有", "有没有", "没有", "是否", "哪", "谁", "哪里", "哪儿", "里", "目前", "现在", "关于", "我们", "你们", "他们", "我", "你", "他", "它", "说", "讲", "提到", "提出", "文件", "方案", "里面"]
)


# words jieba tags as places that name no particular place
GENERIC_PLACES = frozenset(["城镇", "城市", "城乡", "乡村", "农村", "村庄", "乡镇", "社区", "街道", "山区", "平原", "沿海", "海岛",
                            "全国", "全省", "全市", "全区", "各地", "地方", "当地", "本地", "国内", "国外", "境外", "城郊", "郊区", "东西", "南北", "上下",
                            # kinds of land and water jieba tags as places: what a rule is about, not where
                            "山塘", "池塘", "山林", "河里"])


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    tok = jieba.Tokenizer()
    userdict = resources.files("policy_assistant") / "resources" / "userdict.txt"
    with resources.as_file(userdict) as path:
        tok.load_userdict(str(path))
    return tok


@lru_cache(maxsize=1)
def _pos_tokenizer() -> Any:
    import jieba.posseg  # ~0.6 s: only questions need part-of-speech tags

    return jieba.posseg.POSTokenizer(_tokenizer())


def place_names(norm_text: str) -> list[str]:
    """Place names (jieba POS tag ``ns``) in a normalised text: 萧山区, 上海市, 安吉县."""
    return list(_place_names(norm_text))


@lru_cache(maxsize=4096)
def _place_names(norm_text: str) -> tuple[str, ...]:
    # memoised: POS tagging is the slowest step of reading a question, and answering asks it twice
    out, at = [], 0
    for w in _pos_tokenizer().cut(norm_text):
        end = at + len(w.word)
        # "罚款区间": the HMM's guess at a place whose last character begins a word ("区间", "市场")
        glued = end < len(norm_text) and word_known(w.word[-1] + norm_text[end])
        if w.flag == "ns" and len(w.word) >= 2 and w.word not in GENERIC_PLACES and not (glued and not word_known(w.word)):
            out.append(w.word)
        at = end
    return tuple(out)


ALT = "|"  # between the alternative forms of one topic term: "村委会|村(居)民委员会", "盖房子|建房|房屋"


def word_tag(word: str) -> str:
    """The part-of-speech tag jieba's dictionary gives a word ("" when it has none)."""
    pos = _pos_tokenizer()
    if not pos.word_tag_tab:
        pos.load_word_tag(pos.tokenizer.get_dict_file())
    return str(pos.word_tag_tab.get(word, ""))


def words(norm_text: str) -> list[str]:
    """jieba's precise-mode words of a text, in order; they concatenate back to the text."""
    return list(_tokenizer().lcut(norm_text))


def word_known(word: str) -> bool:
    """True when jieba's dictionary (with the policy-term user dictionary) has the word."""
    tok = _tokenizer()
    tok.check_initialized()
    return tok.FREQ.get(word, 0) > 0


def tokenize(norm_text: str) -> list[str]:
    """Search-mode jieba tokens of a normalised text, punctuation and function words dropped."""
    tokens = _tokenizer().lcut_for_search(norm_text)
    return [t for t in (t.strip() for t in tokens) if t and _KEEP.search(t) and t not in STOPWORDS]


class LexicalIndex:
    """BM25 over jieba tokens; rows are chunk positions in the snapshot."""

    def __init__(self, retriever: bm25s.BM25, n_docs: int) -> None:
        self._retriever = retriever
        self._vocab = set(retriever.vocab_dict) if getattr(retriever, "vocab_dict", None) else set()
        self.n_docs = n_docs

    @property
    def vocabulary(self) -> frozenset[str]:
        """The tokens the library's text is indexed by (jieba, search mode): the library's own words."""
        return frozenset(self._vocab)

    @classmethod
    def build(cls, norm_texts: list[str]) -> LexicalIndex:
        """Index a list of normalised chunk texts (heading path included by the caller)."""
        retriever = bm25s.BM25()
        corpus = [tokenize(t) or ["∅"] for t in norm_texts]
        retriever.index(corpus, show_progress=False)
        return cls(retriever, len(norm_texts))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder), show_progress=False)
        (folder / "n_docs.txt").write_text(str(self.n_docs))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0)
        return cls(retriever, int((folder / "n_docs.txt").read_text()))

    def search(self, norm_query: str, k: int) -> list[tuple[int, float]]:
        """Top ``k`` (row, BM25 score) for a normalised query; rows with score 0 are dropped."""
        tokens = [t for t in tokenize(norm_query) if t in self._vocab]
        if not tokens or self.n_docs == 0:
            return []
        k = min(k, self.n_docs)
        rows, scores = self._retriever.retrieve([tokens], k=k, show_progress=False, n_threads=0)
        out = [(int(r), float(s)) for r, s in zip(np.asarray(rows)[0], np.asarray(scores)[0], strict=False)]
        return [(r, s) for r, s in out if s > 0]
