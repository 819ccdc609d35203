"""Answers and target digests rendered as WeCom markdown, with a 来源 list officials can check."""

from __future__ import annotations

from collections.abc import Iterable

from policy_assistant.answer.layout import citation_title, label, markdown
from policy_assistant.inert import wecom_inert
from policy_assistant.models import Answer, Citation, Target

PATH_SEP = " › "
MAX_SOURCES = 5
MAX_TARGETS = 30


def format_citation(number: int, citation: Citation, title: str | None = None) -> str:
    """One source line: ``[1] 标题 › 二、总体目标 (第3页)``.

    Args:
        number: the citation's number as the answer text uses it.
        citation: the citation.
        title: the title as shown (the asker's script); the citation's own by default.

    Returns:
        The line, without a trailing newline.
    """
    parts = [wecom_inert((title or citation.title).strip()), *(wecom_inert(s.strip()) for s in citation.section_path if s.strip())]
    # A heading path already starting with the title would print it twice.
    if len(parts) > 1 and parts[1] == parts[0]:
        parts.pop(1)
    line = f"[{number}] " + PATH_SEP.join(p for p in parts if p)
    if citation.page is not None:
        line += f" ({citation.where()})"
    return line


def format_answer(answer: Answer, *, max_sources: int = MAX_SOURCES) -> str:
    """Render an answer for a WeCom chat: the answer text, then a **来源** list.

    Args:
        answer: the engine's answer.
        max_sources: at most this many sources are listed (the message limit is 2048 bytes).

    Returns:
        WeCom markdown. Unanswered questions get the engine's text and no 来源 list.
    """
    # the figure (or the bodies) first and bold, then the 出处 line and the rest (answer/layout.py)
    body = markdown(answer, wecom_inert) if answer.answer.strip() else "抱歉，没有在已收录的文件中找到答案。"
    if not answer.answered or not answer.citations:
        return body
    lines = [body, "", f"**{label('来源', answer)}**"]
    # WeCom markdown quotes line by line; a quoted block sets the sources apart from the answer.
    lines += [f"> {format_citation(i, c, citation_title(c, answer).strip('《》'))}"
              for i, c in enumerate(answer.citations[:max_sources], start=1)]
    hidden = len(answer.citations) - max_sources
    if hidden > 0:
        lines.append(f"> …另有 {hidden} 条来源")
    return "\n".join(lines)


def format_targets_digest(targets: Iterable[Target], year: int, *, title: str | None = None) -> str:
    """A group-robot digest of targets due in ``year``, e.g. for ``wecom-push``.

    Args:
        targets: candidate targets (those with another year are left out).
        year: the target year to list.
        title: heading; "{year}年到期目标" by default.

    Returns:
        WeCom markdown, one line per target with its figure and where it is written.
    """
    due = [t for t in targets if t.year == year]
    heading = title or f"{year}年到期目标"
    if not due:
        return f"**{heading}**\n暂无 {year} 年到期的量化目标。"
    lines = [f"**{heading}**（共 {len(due)} 项）"]
    for i, t in enumerate(due[:MAX_TARGETS], start=1):
        where = wecom_inert(PATH_SEP.join([t.doc_title, *t.section_path[-1:]]))
        page = f" (第{t.page}页)" if t.page is not None else ""
        owners = f"，牵头：{wecom_inert('、'.join(t.owners))}" if t.owners else ""
        lines.append(f'> {i}. {wecom_inert(t.indicator)}：<font color="info">{wecom_inert(t.figure())}</font>{owners}'
                     f" — {where}{page}")
    if len(due) > MAX_TARGETS:
        lines.append(f"> …另有 {len(due) - MAX_TARGETS} 项")
    return "\n".join(lines)
