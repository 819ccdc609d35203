"""Word's automatic numbering, rendered as printed: 一、 （一） 1. (1) ① from ``numbering.xml``.

A .docx heading "总体目标" numbered by Word carries no "二、" in its text: the label lives in the numbering
definitions (``w:abstractNum`` levels with a format, a text pattern such as ``（%2）`` and a start value) and
the paragraph's ``w:numPr`` (or its style's). Without the label the outline loses its structure and
citations point to the wrong place. :class:`Numberer` counts as Word does: a level advances, the deeper
levels restart, and ``w:lvlOverride/w:startOverride`` restarts an instance.
"""

from __future__ import annotations

from typing import Any

from ..numerals import cn_numeral as format_cn_number

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"
_DIZHI = "子丑寅卯辰巳午未申酉戌亥"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_ROMAN = [(1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"), (40, "XL"),
          (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]


def _roman(n: int) -> str:
    out = ""
    for value, mark in _ROMAN:
        while n >= value:
            out, n = out + mark, n - value
    return out


def _letters(n: int) -> str:
    return chr(ord("A") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def format_number(n: int, fmt: str) -> str:
    """One counter value in a Word number format (chineseCounting 11 → 十一, ideographTraditional 1 → 甲)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "japaneseCounting", "taiwaneseCounting",
               "chineseLegalSimplified", "koreanCounting"):
        return format_cn_number(n)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join("〇一二三四五六七八九"[int(d)] for d in str(n))
    if fmt == "ideographTraditional":
        return _TIANGAN[(n - 1) % 10]
    if fmt == "ideographZodiac":
        return _DIZHI[(n - 1) % 12]
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese"):
        return _CIRCLED[n - 1] if 0 < n <= len(_CIRCLED) else str(n)
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(ord("０") + int(d)) for d in str(n))
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    if fmt == "lowerLetter":
        return _letters(n).lower()
    if fmt == "upperLetter":
        return _letters(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperRoman":
        return _roman(n)
    if fmt in ("bullet", "none"):
        return ""
    return str(n)  # decimal, decimalZero and anything unknown


def _val(el: Any, tag: str) -> str | None:
    child = el.find(W + tag) if el is not None else None
    return child.get(W + "val") if child is not None else None


class Numberer:
    """Labels for the numbered paragraphs of one document, in reading order."""

    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, dict[str, Any]]] = {}  # abstractNumId → ilvl → {fmt, text, start}
        self._num_abstract: dict[str, str] = {}
        self._overrides: dict[str, dict[int, int]] = {}  # numId → ilvl → start
        self._counters: dict[str, dict[int, int]] = {}  # abstractNumId → ilvl → current value
        self._style_numpr: dict[str, tuple[str | None, int | None]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            root = None
        if root is not None:
            for abstract in root.findall(W + "abstractNum"):
                aid = abstract.get(W + "abstractNumId")
                levels = {}
                for lvl in abstract.findall(W + "lvl"):
                    levels[int(lvl.get(W + "ilvl", "0"))] = {
                        "fmt": _val(lvl, "numFmt") or "decimal", "text": _val(lvl, "lvlText") or "",
                        "start": int(_val(lvl, "start") or 1)}
                self._levels[aid] = levels
            for num in root.findall(W + "num"):
                nid = num.get(W + "numId")
                self._num_abstract[nid] = _val(num, "abstractNumId") or ""
                for override in num.findall(W + "lvlOverride"):
                    start = _val(override, "startOverride")
                    if start is not None:
                        self._overrides.setdefault(nid, {})[int(override.get(W + "ilvl", "0"))] = int(start)
        for style in getattr(document, "styles", []):
            el = getattr(style, "element", None)
            ppr = el.find(W + "pPr") if el is not None else None
            numpr = ppr.find(W + "numPr") if ppr is not None else None
            if numpr is not None:
                ilvl = _val(numpr, "ilvl")
                self._style_numpr[style.style_id] = (_val(numpr, "numId"), int(ilvl) if ilvl else None)
        self._restarted: set[str] = set()

    def _numpr(self, paragraph: Any) -> tuple[str | None, int]:
        ppr = paragraph._p.pPr
        numpr = ppr.find(W + "numPr") if ppr is not None else None
        num_id = _val(numpr, "numId") if numpr is not None else None
        ilvl = _val(numpr, "ilvl") if numpr is not None else None
        style = paragraph.style
        while (num_id is None or ilvl is None) and style is not None:  # a numbered heading style
            s_num, s_lvl = self._style_numpr.get(style.style_id, (None, None))
            num_id = num_id or s_num
            ilvl = ilvl if ilvl is not None else (str(s_lvl) if s_lvl is not None else None)
            style = style.base_style
        return num_id, int(ilvl or 0)

    def label(self, paragraph: Any) -> str:
        """The label Word shows before ``paragraph`` ("二、", "（三）", "1."), or "" when it has none."""
        num_id, ilvl = self._numpr(paragraph)
        if not num_id or num_id == "0" or num_id not in self._num_abstract:
            return ""
        aid = self._num_abstract[num_id]
        levels = self._levels.get(aid, {})
        if ilvl not in levels:
            return ""
        counters = self._counters.setdefault(aid, {})
        overrides = self._overrides.get(num_id, {})
        if num_id not in self._restarted and overrides:  # an instance that starts its list again
            self._restarted.add(num_id)
            for lvl, start in overrides.items():
                counters[lvl] = start - 1
            for deeper in [k for k in counters if k > max(overrides)]:
                del counters[deeper]
        counters[ilvl] = counters.get(ilvl, levels[ilvl]["start"] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]  # the deeper levels restart
        text = levels[ilvl]["text"]
        if levels[ilvl]["fmt"] == "bullet":
            return ""
        for k in range(ilvl + 1):
            value = counters.get(k, levels.get(k, {}).get("start", 1))
            text = text.replace(f"%{k + 1}", format_number(value, levels.get(k, {}).get("fmt", "decimal")))
        return text
