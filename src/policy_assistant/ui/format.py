"""How answers, citations, targets and documents look on the page (HTML and table rows)."""

from __future__ import annotations

from typing import Any

from ..answer.compose import reading_note
from ..models import Answer, Citation, Document, Target
from .safe import shown, shown_lines

TARGET_HEADERS = ["年份", "指标", "目标值", "时间表述", "文件", "章节", "页码", "原文"]
DOCUMENT_HEADERS = ["标题", "文件名", "格式", "发文机关", "日期", "章节数", "段落数", "页数", "文件ID"]


def citation_html(n: int, c: Citation) -> str:
    """One source as a collapsible block: document, section path and page in the summary, the quote inside."""
    where = " › ".join(c.section_path) or "正文"
    page = f" · 第{c.page}页" if c.page else ""
    quote = shown_lines(c.quote)
    return (
        f'<details class="pa-cite"><summary><b>[{n}]</b> 《{shown(c.title.strip("《》"))}》'
        f" › {shown(where)}{page}</summary>"
        f'<div class="pa-quote">“{quote}”</div></details>'
    )


def answer_html(answer: Answer) -> str:
    """The answer text, then its sources (each collapsible), as a chat message."""
    text = shown_lines(answer.answer)
    note = reading_note(answer).strip()  # a corrected typo or a follow-up read in context: show how it was read
    if note:
        text = f'<div class="pa-resolved">{shown(note)}</div>{text}'
    if not answer.citations:
        return text
    cites = "".join(citation_html(i, c) for i, c in enumerate(answer.citations, 1))
    return f'{text}<div class="pa-sources"><div class="pa-sources-title">来源（点击展开原文）：</div>{cites}</div>'


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
