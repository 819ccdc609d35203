"""How answers, citations, targets and documents look on the page (chat messages and table rows)."""

from __future__ import annotations

from typing import Any

from ..answer.layout import citation_title, label, markdown, styled
from ..models import Answer, Document, Target
from .safe import inert_md

QUOTE_CHARS = 400

TARGET_HEADERS = ["年份", "指标", "目标值", "时间表述", "文件", "章节", "页码", "原文"]
DOCUMENT_HEADERS = ["标题", "文件名", "格式", "发文机关", "日期", "章节数", "段落数", "页数", "文件ID"]


def answer_markdown(answer: Answer) -> str:
    """A chat message: the figure (or bodies) first and bold, the 出处 line, the rest; no HTML, so the copy
    button copies readable text."""
    return markdown(answer, inert_md)


def styled_piece(part: str, text: str) -> str:
    """One streamed piece of an answer, laid out as :func:`answer_markdown` lays it out."""
    return styled(part, text, inert_md)


def source_messages(answer: Answer) -> list[dict[str, Any]]:
    """One collapsible chat message per source: [n] title › section (page) as its title, the quote (原文) inside."""
    out = []
    for n, c in enumerate(answer.citations, 1):
        where = " › ".join(c.section_path) or "正文"
        page = f" · {c.where()}" if c.page else ""
        quote = c.quote if len(c.quote) <= QUOTE_CHARS else c.quote[:QUOTE_CHARS] + "……"
        out.append({
            "role": "assistant",
            "content": f"{label('原文', answer)}：“{inert_md(quote)}”",
            "metadata": {"title": inert_md(f"[{n}] {citation_title(c, answer)} › {where}{page}"), "status": "done"},
        })
    return out


def target_rows(targets: list[Target]) -> list[list[Any]]:
    """Rows of the 指标一览 table, in ``TARGET_HEADERS`` order."""
    return [
        [
            t.year if t.year is not None else "",
            t.indicator,
            t.figure(),
            t.scope,
            t.doc_title,
            " › ".join(t.norm_section_path),
            t.page if t.page is not None else "",
            t.sentence,
        ]
        for t in targets
    ]


def document_rows(docs: list[Document]) -> list[list[Any]]:
    """Rows of the document table, in ``DOCUMENT_HEADERS`` order."""
    return [
        [d.title, d.filename, d.fmt, d.meta.issuer, d.meta.date, d.n_sections, d.n_chunks,
         d.pages if d.pages is not None else "", d.doc_id]
        for d in docs
    ]
