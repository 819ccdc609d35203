"""Penalty records: each provision that punishes a breach ("违反本条例第X条规定，…由…责令…，处X元以上Y元以下罚款"),
with the article it cites, the act, who imposes it and the amount range."""

from __future__ import annotations

import re

from ..models import Chunk, Penalty
from ..numerals import cn_to_int
from .articles import _CITES, PENALTY
from .clauses import chunk_sentences

_IMPOSER = re.compile(r"由([^，,。；;]{2,40}?)(?:依法)?(?:责令|处(?!理)以?|给予|没收|予以|按照)")
_ACT = re.compile(r"违反本[^，,。；;]{0,12}规定[，,]?([^，,。；;]{2,60}?)(?:的)?[，,]")
_AMOUNT = re.compile(r"处([\d.一二三四五六七八九十百千万两零]+)(万)?元以上([\d.一二三四五六七八九十百千万两零]+)(万)?元以下|"
                     r"处([\d.一二三四五六七八九十百千万两零]+)(万)?元(?:以下)?的?罚款")


def _yuan(number: str, wan: str | None) -> float | None:
    value = float(number) if re.fullmatch(r"\d+(?:\.\d+)?", number) else cn_to_int(number)
    if value is None:
        return None
    return float(value) * (10000 if wan else 1)


def extract_penalties(chunks: list[Chunk]) -> list[Penalty]:
    """Every sentence that punishes, in document order, as a penalty record."""
    out: list[Penalty] = []
    for chunk in chunks:
        if not PENALTY.search(chunk.norm_text):
            continue
        previous: Penalty | None = None  # "逾期不改正的，处…": the same breach, a heavier penalty
        for sent in chunk_sentences(chunk):
            cite = _CITES.search(sent.norm)
            if not PENALTY.search(sent.norm) or "罚" not in sent.norm and "没收" not in sent.norm:
                if cite:  # "违反…规定的，由…责令限期改正；" then "逾期不改正的，处…罚款"
                    imposer = _IMPOSER.search(sent.norm)
                    act = _ACT.search(sent.norm)
                    previous = Penalty(doc_id=chunk.doc_id, doc_title=chunk.doc_title,
                                       article=f"第{cite.group(1)}条" + (f"第{cite.group(2)}款" if cite.group(2) else ""),
                                       act=act.group(1) if act else "", imposer=imposer.group(1) if imposer else "",
                                       section_id=chunk.section_id, section_path=chunk.section_path,
                                       chunk_id=chunk.chunk_id, quote=sent.text)
                continue
            article = ""
            if cite:
                article = f"第{cite.group(1)}条" + (f"第{cite.group(2)}款" if cite.group(2) else "")
            act = _ACT.search(sent.norm)
            imposer = _IMPOSER.search(sent.norm)
            low = high = None
            amount = _AMOUNT.search(sent.norm)
            if amount and amount.group(1):
                low, high = _yuan(amount.group(1), amount.group(2)), _yuan(amount.group(3), amount.group(4))
            elif amount and amount.group(5):
                high = _yuan(amount.group(5), amount.group(6))
            same = previous if previous is not None and not cite else None
            record = Penalty(
                doc_id=chunk.doc_id, doc_title=chunk.doc_title, article=article or (same.article if same else ""),
                act=act.group(1) if act else (same.act if same else ""),
                imposer=imposer.group(1) if imposer else (same.imposer if same else ""),
                amount_min=low, amount_max=high, section_id=chunk.section_id, section_path=chunk.section_path,
                page=chunk.page, chunk_id=chunk.chunk_id, quote=sent.text,
            )
            out.append(record)
            previous = record
    return out
