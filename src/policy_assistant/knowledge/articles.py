"""Articles of regulations and laws (第X条) and the penalty provisions that cite them."""

from __future__ import annotations

import re

from ..models import Chunk
from ..numerals import cn_to_int

# a question about what happens to whoever breaks a rule
PENALTY_ASK = re.compile(r"罚|处罚|法律责任|违法.*(后果|怎么办|怎么处理)|(后果|责任)是什么")
# a provision that punishes
PENALTY = re.compile(r"罚款|罚金|处罚|没收|吊销|拘留|警告|处分|法律责任规定的[，,]?从其规定")
_CITES = re.compile(r"违反本(?:条例|法|办法|规定|决定|细则)?第([一二三四五六七八九十百零]+)条(?:第([一二三四五六七八九十]+)款)?")
# the start of a list item: "(三)向污水处理设施…", "2.…"
ITEM_START = re.compile(r"^\s*(?:[（(][一二三四五六七八九十]+[)）]|\d{1,2}[.、．])")
_ARTICLE = re.compile(r"^第([一二三四五六七八九十百零]+)条")


def article_number(chunk: Chunk) -> int | None:
    """The article (第X条) a chunk belongs to, if its document is organised in articles."""
    for label in reversed(chunk.norm_section_path):
        m = _ARTICLE.match(label)
        if m:
            return cn_to_int(m.group(1))
    return None


def cited_articles(norm_text: str) -> list[int]:
    """Articles of the same document a text cites as "违反本条例第X条"."""
    out = []
    for m in _CITES.finditer(norm_text):
        n = cn_to_int(m.group(1))
        if n is not None and n not in out:
            out.append(n)
    return out


def cited_paragraphs(norm_text: str) -> list[tuple[int, int | None]]:
    """(article, paragraph) a text cites: "违反本条例第二十六条第二款" → (26, 2); no 款 → (26, None)."""
    out: list[tuple[int, int | None]] = []
    for m in _CITES.finditer(norm_text):
        n = cn_to_int(m.group(1))
        para = cn_to_int(m.group(2)) if m.group(2) else None
        if n is not None and (n, para) not in out:
            out.append((n, para))
    return out


def paragraphs(article_text: str) -> list[str]:
    """The paragraphs (款) of an article's text: each line starts one, except an item line ("(三)…"),
    which belongs to the paragraph that announced the list."""
    out: list[str] = []
    for line in article_text.splitlines():
        if not line.strip():
            continue
        if out and ITEM_START.match(line):
            out[-1] += line
        else:
            out.append(line)
    return out


def penalty_citations(chunks: list[Chunk]) -> dict[tuple[str, int], list[Chunk]]:
    """(document, article) → the chunks whose penalty provisions cite that article."""
    out: dict[tuple[str, int], list[Chunk]] = {}
    for c in chunks:
        if "违反" not in c.norm_text or not PENALTY.search(c.norm_text):
            continue
        for n in cited_articles(c.norm_text):
            out.setdefault((c.doc_id, n), []).append(c)
    return out
