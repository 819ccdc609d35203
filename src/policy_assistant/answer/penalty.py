"""Penalty questions ("往污水设施倒渣土罚多少"): find the penalty clause, following "违反本条例第X条" references.

Regulations state the prohibited act in one article and the penalty in a later one that only cites it
("违反本条例第二十六条第一款规定……处五千元以上两万元以下罚款"). A penalty sentence is scored by how
well the question matches it or the article it cites, whichever is better.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..index.snapshot import Snapshot
from ..ingest.normalise import normalise_line
from ..knowledge.articles import PENALTY, article_number, cited_paragraphs, paragraphs
from ..knowledge.clauses import Sentence, chunk_sentences
from ..models import Chunk
from ..numerals import cn_to_int
from .evidence import TermStats, coverage
from .units import states_figure

# words of the asking, not of the act
# two penalties citing one article ("违反本办法第十一条第一款规定") differ in the act each names itself:
# among equal matches through the cited article, the one whose own words fit better wins
OWN_TEXT_TIE_BREAK = 0.1
# who imposes the penalty is not the act: "由住房城乡建设主管部门责令改正" says nothing about 住房
_BODIES = re.compile(r"由[\u4e00-\u9fff()（）、]{2,30}?(?:主管部门|部门|局|政府|委员会|机关|分局)")
FIGURE_ANCHOR = 0.15  # the same reward the other handlers give a text stating the asker's figures
_ASK_TERMS = re.compile(r"罚|^(最多|最高|最少|最低|多少钱|怎么|后果|责任|法律责任|违法|违规|范围|幅度|区间|标准|金额|上限|下限)$")


@dataclass
class PenaltyMatch:
    """The best penalty clause for a question, and the article it cites when the act is stated there."""

    score: float
    chunk: Chunk
    quote: str  # the provision as written, for the citation
    text: str  # the whole provision: "违反…规定，…责令限期改正；逾期不改正的，处…罚款。"
    act: Sentence | None


def find_penalty(snap: Snapshot, stats: TermStats, terms: list[str], doc_ids: set[str],
                 hit_rank: dict[str, int], figures: tuple[str, ...] = ()) -> PenaltyMatch | None:
    """The penalty sentence of ``doc_ids`` that best matches the act described by ``terms``.

    ``hit_rank`` (chunk id → retrieval rank) adds the usual small bonus for well-retrieved chunks,
    which carries colloquial wording ("排进") that the terms miss. ``figures`` the asker typed ("超过3层")
    rank a provision stating them (in digits or words: 超过三层) first.
    """
    terms = [t for t in terms if not _ASK_TERMS.search(t)]
    if not terms:
        return None
    chunks = [c for c in snap.chunks if c.doc_id in doc_ids]
    articles: dict[tuple[str, int], list[Sentence]] = {}
    for c in chunks:
        n = article_number(c)
        for sent in chunk_sentences(c):
            # a chunk of short articles ("第四条…第五条…" of a small regulation) holds several
            label = _ARTICLE_START.match(sent.norm)
            if label:
                n = cn_to_int(label.group(1))
            if n is not None:
                articles.setdefault((c.doc_id, n), []).append(sent)
    best: PenaltyMatch | None = None
    best_key = 0.0
    for c in chunks:
        # the document's title says what every provision of it is about ("浙江省乡村民宿管理规定"): it
        # ranks the provisions of the document asked about first, without adding to their support
        title = " " + normalise_line(c.doc_title)
        for quote, text in _provisions(chunk_sentences(c)):
            if not PENALTY.search(text):
                continue
            said = _BODIES.sub("由", text)
            own = coverage(terms, said, stats)
            score, act = own + _bonus(hit_rank, c), None
            ranked = coverage(terms, said + title, stats) + _bonus(hit_rank, c)
            items = dict(_cited_items(text))
            for cited, para in cited_paragraphs(text):
                for a in _in_item(_in_paragraph(articles.get((c.doc_id, cited), []), para), items.get(cited)):
                    # the question may describe both the act and its consequence ("占压…造成严重后果的")
                    a_score = coverage(terms, a.norm + " " + said, stats) + _bonus(hit_rank, a.chunk)
                    if a_score > score:
                        score, act = a_score, a
                    ranked = max(ranked, coverage(terms, a.norm + " " + said + title, stats) + _bonus(hit_rank, a.chunk))
            # the ranking breaks near-ties on the provision's own words; the support stays the match's
            key = max(ranked, score) + OWN_TEXT_TIE_BREAK * own
            if figures and all(states_figure(f, (act.norm if act else "") + text) for f in figures):
                key += FIGURE_ANCHOR  # the figures typed are evidence, as for the other kinds (anchor_bonus)
                score += FIGURE_ANCHOR
            if best is None or key > best_key:
                best, best_key = PenaltyMatch(score, c, quote, text, act), key
    return best


_ARTICLE_START = re.compile(r"^\s*第([一二三四五六七八九十百零]+)条")
# "违反本规定第八条第（五）项规定": the item of the article the penalty is for
_ITEM_CITE = re.compile(r"第([一二三四五六七八九十百零]+)条(?:第[一二三四五六七八九十]+款)?第[(（]?([一二三四五六七八九十]+)[)）]?项")


def _cited_items(text: str) -> list[tuple[int, str]]:
    out = []
    for m in _ITEM_CITE.finditer(text):
        n = cn_to_int(m.group(1))
        if n is not None:
            out.append((n, m.group(2)))
    return out


def _in_item(sents: list[Sentence], item: str | None) -> list[Sentence]:
    """The sentences of item ``item`` ("五") of a list (all of them when none is cited or it is not found)."""
    if item is None:
        return sents
    chosen = [s for s in sents if re.match(rf"\s*[(（]{item}[)）]", s.norm)]
    return chosen or sents


def _in_paragraph(sents: list[Sentence], para: int | None) -> list[Sentence]:
    """The sentences of an article that belong to paragraph ``para`` (all of them when it is None)."""
    if para is None or not sents:
        return sents
    chunks = list(dict.fromkeys(s.chunk.chunk_id for s in sents))
    texts = []
    for cid in chunks:
        own = [s for s in sents if s.chunk.chunk_id == cid]
        whole = own[0].chunk.text
        # only the article's own lines: a chunk may hold the articles around it too
        start = whole.find(own[0].text)
        end = whole.find(own[-1].text, max(start, 0))
        texts.append(whole[start:end + len(own[-1].text)] if 0 <= start <= end else whole)
    parts = paragraphs("\n".join(texts))
    if not 0 < para <= len(parts):
        return sents
    wanted = re.sub(r"\s+", "", parts[para - 1])
    return [s for s in sents if re.sub(r"\s+", "", s.text) in wanted]


def _bonus(hit_rank: dict[str, int], chunk: Chunk) -> float:
    rank = hit_rank.get(chunk.chunk_id)
    return 0.1 / rank if rank else 0.0


def _provisions(sents: list[Sentence]) -> list[tuple[str, str]]:
    """Sentences joined up to each full stop, as (original, normalised) text.

    "…责令限期改正；" and "逾期不改正的，处…罚款。" are one provision.
    """
    out: list[tuple[str, str]] = []
    original = text = ""
    for s in sents:
        original += s.text
        text += s.norm
        if not s.norm.endswith((";", "；", ",", "，", ":", "：")):
            out.append((original, text))
            original = text = ""
    if text:
        out.append((original, text))
    return out
