"""Resolve elliptical follow-ups ("那2027年呢?", "谁负责?", "这一条在哪个部分?") against the history."""

from __future__ import annotations

import re

from ..ingest.normalise import normalise_query
from ..models import Message
from .question import _YEAR, content_terms

_ELLIPTIC_START = re.compile(r"^(那|那么|那在|还有|另外|其中|这|这个|这一|该|它|其|那个|同样|呢)")
_TAIL = re.compile(r"(目标)?(是多少|有多少|为多少|是什么|有哪些|是哪些|有什么|多少|几个|吗|呢)?[?？!！。.\s]*$")


def is_elliptical(question: str) -> bool:
    """True when a question leans on the previous turn for its topic."""
    norm = normalise_query(question)
    bare = re.sub(r"[?？!！。.,，\s]", "", norm)
    if _ELLIPTIC_START.match(bare):
        return True
    return len(content_terms(norm)) == 0 and len(bare) <= 12


def resolve(question: str, history: list[Message]) -> str:
    """Rewrite a follow-up into a self-contained question; other questions come back unchanged.

    Args:
        question: the new user turn.
        history: earlier turns, oldest first.
    Returns:
        The question to answer.
    """
    previous = [m.content for m in history if m.role == "user" and m.content.strip()]
    if not previous or not is_elliptical(question):
        return question
    prev = previous[-1]
    # a follow-up of a follow-up: resolve the earlier one first
    if len(previous) > 1 and is_elliptical(prev):
        prev = resolve(prev, [Message(role="user", content=p) for p in previous[:-1]])
    prev_norm = normalise_query(prev)
    q_norm = normalise_query(question)
    q_years = [m.group(1) for m in _YEAR.finditer(q_norm)]
    p_years = [m.group(1) for m in _YEAR.finditer(prev_norm)]
    stripped = re.sub(r"^(那么|那|还有|另外|那在)", "", q_norm).strip(" ,，")
    if q_years and p_years:
        out = prev_norm
        for py in p_years:
            out = out.replace(py, q_years[0])
        return out
    if q_years:
        tail = _TAIL.search(prev_norm)
        return f"{q_years[0]}年{_TAIL.sub('', prev_norm)}{tail.group(0) if tail else ''}"
    topic = _TAIL.sub("", prev_norm)
    rest = re.sub(r"^(这一条|这条|这一项|这项|这个|这|该项|该|它|其)", "", stripped)
    return f"{topic}，{rest}" if rest else topic
