"""Numeric faithfulness: every figure an answer states must appear in one of its cited sources."""

from __future__ import annotations

import re

from ..ingest.normalise import normalise_line
from ..models import Citation
from ..numerals import cn_to_int, format_number
from .question import with_full_years

_ARABIC = re.compile(r"\d+(?:\.\d+)?")
# a Chinese numeral counts as a figure when a unit follows: 两次, 一万元, 十个工作日, 二十四小时
_CN_FIGURE = re.compile(r"(?<![第每零〇一二两三四五六七八九十百千万])[零〇一二两三四五六七八九十百千万]+(?=小时|元|万元|亿元|日|天|个工作日|个月|公里|人|倍|%|次|年内|周|名|户)")


def figures(text: str) -> set[str]:
    """Numbers stated in a text, normalised ("５.７" → "5.7", "二十四小时" → "24")."""
    norm = normalise_line(text)
    found = {format_number(float(m.group(0))) for m in _ARABIC.finditer(norm)}
    for m in _CN_FIGURE.finditer(norm):
        v = cn_to_int(m.group(0))
        if v is not None:
            found.add(str(v))
    return found


def unsupported_figures(answer: str, citations: list[Citation], question: str = "") -> set[str]:
    """Figures of ``answer`` found in none of the citations (quote, section path, title).

    Figures the asker wrote (``question``, e.g. the year in "2030年的目标") are not claims of the answer.
    """
    # the asker's own figures, with "25年"/"十四五末" read as the years the answer will call them
    support: set[str] = figures(question) | figures(with_full_years(normalise_line(question))) if question else set()
    for c in citations:
        support |= figures(c.quote)
        support |= figures(" ".join(c.section_path))
        support |= figures(c.title)
    # [n] citation markers are not figures
    stated = figures(re.sub(r"\[\d+\]", "", answer))
    return stated - support
