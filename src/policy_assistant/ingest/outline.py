"""Outline parser for Chinese government documents: 一、/（一）/1./（1）, 第X章/节/条, markdown headings.

Works line by line on the original text (half-width view, so offsets map 1:1), builds a tree of
:class:`Section` with stable ids from the label path, and reads document metadata from the lines
before the first heading (title, issuer, date, 文号, addressees).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import DocMeta, Section
from ..numerals import CN_NUMERAL_CHARS, cn_to_int
from .normalise import detect_script, normalise_line, to_halfwidth

_CN = f"[{CN_NUMERAL_CHARS}]"
# kind -> (rank, pattern on the half-width line); lower rank = higher in the tree
_PATTERNS: list[tuple[str, int, re.Pattern[str]]] = [
    # "附件：重点任务分工表", "附件2 …": an attachment sits beside the body's parts, not inside the last one
    ("annex", 5, re.compile(r"^\s*附\s*件\s*(\d{0,2})\s*[:：]?\s*(.*)$")),
    ("chapter", 10, re.compile(rf"^\s*第\s*({_CN}+)\s*章\s*(.*)$")),
    ("section", 20, re.compile(rf"^\s*第\s*({_CN}+)\s*[节節]\s*(.*)$")),
    ("article", 30, re.compile(rf"^\s*第\s*({_CN}+)\s*[条條]\s*(.*)$")),
    ("cn", 40, re.compile(rf"^\s*({_CN}{{1,3}})\s*[、.]\s*(.*)$")),
    ("paren_cn", 50, re.compile(rf"^\s*\(\s*({_CN}{{1,4}})\s*\)\s*(.*)$")),
    ("num", 60, re.compile(r"^\s*(\d{1,2})\s*[.、](?!\d)\s*(.*)$")),
    ("paren_num", 70, re.compile(r"^\s*\(\s*(\d{1,2})\s*\)\s*(.*)$")),
]
_MD = re.compile(r"^(#{1,6})\s+(.+)$")
_TITLE_MAX = 40  # a heading title longer than this is not a title but the item's text
_DOC_TYPES = (
    "方案",
    "意见",
    "通知",
    "办法",
    "条例",
    "法",
    "规划",
    "决定",
    "报告",
    "规定",
    "细则",
    "纲要",
    "计划",
    "指南",
    "公告",
    "通报",
    "批复",
    "函",
    "经验",
)
_ISSUER = re.compile(r"(人民政府|办公室|办公厅|委员会|常委会|局|厅|部|中共中央|国务院|调研组|人大常委会)$")
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,10}[〔\[【(（]\s*\d{4}\s*[〕\]】)）]\s*\d{1,4}\s*号")


@dataclass
class Outline:
    """The parsed outline: the root section (whole document) and the metadata."""

    root: Section
    meta: DocMeta

    def sections(self) -> list[Section]:
        """All sections except the root, document order."""
        return self.root.walk()[1:]


def _label(kind: str, raw: str) -> tuple[str, str]:
    """(display label, id part) for a heading's number."""
    raw = raw.strip()
    if kind == "annex":
        return f"附件{raw}", f"annex{raw or 1}"
    if kind == "chapter":
        return f"第{raw}章", f"ch{cn_to_int(raw) or raw}"
    if kind == "section":
        return f"第{raw}节", f"sec{cn_to_int(raw) or raw}"
    if kind == "article":
        return f"第{raw}条", f"art{cn_to_int(raw) or raw}"
    if kind == "cn":
        return raw, str(cn_to_int(raw) or raw)
    if kind == "paren_cn":
        return f"（{raw}）", str(cn_to_int(raw) or raw)
    if kind == "paren_num":
        return f"（{raw}）", f"p{raw}"
    return raw, raw


def _split_title(rest: str) -> tuple[str, int]:
    """Split a heading remainder into (title, offset where the body starts within ``rest``).

    "提升產業平臺功能。按照…" → title up to the first 。; a short line is all title; a long item
    without an early full stop keeps all its text as body and takes its first clause as title.
    """
    for i, ch in enumerate(rest):
        if ch in "。！？!?":
            if i <= _TITLE_MAX:
                return rest[:i].strip(), i + 1
            break
    if len(rest) <= _TITLE_MAX and not re.search(r"[，,；;:：]$", rest):
        return rest.strip(), len(rest)
    m = re.search(r"[，,；;：:。]", rest)
    first = rest[: m.start()] if m else rest[:_TITLE_MAX]
    return (first[:_TITLE_MAX].strip() if len(first) <= _TITLE_MAX else ""), 0


def _classify(line: str) -> tuple[str, int, str, str, int] | None:
    """(kind, rank, raw number, remainder, offset of remainder) of a heading line, or None."""
    half = to_halfwidth(line)
    for kind, rank, pattern in _PATTERNS:
        m = pattern.match(half)
        if m:
            if kind == "cn" and half[m.end(1) :].lstrip().startswith("."):
                # "一.5" style numbers are not headings; "一." headings are rare but exist
                rest_start = m.start(2)
            else:
                rest_start = m.start(2)
            return kind, rank, m.group(1), line[rest_start:], rest_start
    return None


def parse_outline(text: str, filename: str = "") -> Outline:
    """Parse the outline and metadata of a document.

    Args:
        text: the document's original (cleaned) text, lines separated by "\\n".
        filename: used as a fallback title.
    Returns:
        An :class:`Outline` whose sections carry offsets into ``text``.
    """
    lines = text.split("\n")
    offsets = []
    pos = 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1

    root = Section(
        sid="root", level=0, kind="root", label="", title="", heading="", start=0, body_start=0, end=len(text)
    )
    stack: list[tuple[int, Section]] = [(0, root)]
    seen_ids: dict[str, int] = {}
    md_title: str | None = None
    preamble: list[tuple[int, str]] = []  # (line index, line) before the first heading
    first_heading_seen = False

    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        start = offsets[i]
        md = _MD.match(stripped)
        kind_info = None
        md_level = 0
        if md:
            md_level = len(md.group(1))
            inner = md.group(2).strip()
            kind_info = _classify(inner)
            if kind_info is None:
                if md_level == 1 and md_title is None and not first_heading_seen:
                    md_title = inner
                    continue
                kind_info = ("md", md_level, inner, "", 0)
            # offsets of an md line: body is empty, heading is the whole line
        else:
            kind_info = _classify(line)
        if kind_info is None:
            if not first_heading_seen:
                preamble.append((i, stripped))
            continue

        kind, rank, raw, rest, rest_off = kind_info
        if kind == "md":
            label, id_part, title, body_off = "", f"h{i}", raw, len(line)
            heading = raw
        else:
            label, id_part = _label(kind, raw)
            if kind in ("article",) or md:
                title, body_rel = ("", 0) if kind == "article" else (rest.strip(), len(rest))
            else:
                title, body_rel = _split_title(rest)
            body_off = len(line) if md else rest_off + body_rel
            sep = (
                "、"
                if kind == "cn"
                else ("." if kind == "num" else (" " if kind in ("chapter", "section") else "：" if kind == "annex" else ""))
            )
            heading = f"{label}{sep}{title}" if title else label
        first_heading_seen = True
        while stack and stack[-1][0] >= rank:
            stack.pop()
        parent = stack[-1][1]
        sid = id_part if parent is root else f"{parent.sid}.{id_part}"
        if sid in seen_ids:
            seen_ids[sid] += 1
            sid = f"{sid}~{seen_ids[sid]}"
        else:
            seen_ids[sid] = 1
        section = Section(
            sid=sid,
            level=parent.level + 1,
            kind=kind,
            label=label,
            title=title,
            heading=heading,
            start=start,
            body_start=start + min(body_off, len(line)),
            parent=parent.sid,
        )
        parent.children.append(section)
        stack.append((rank, section))

    _set_ends(root, len(text))
    meta = _metadata(text, preamble, md_title, filename)
    root.title = meta.title
    root.heading = meta.title
    return Outline(root=root, meta=meta)


def _set_ends(section: Section, end: int) -> None:
    section.end = end
    for i, child in enumerate(section.children):
        child_end = section.children[i + 1].start if i + 1 < len(section.children) else end
        _set_ends(child, child_end)


def _metadata(text: str, preamble: list[tuple[int, str]], md_title: str | None, filename: str) -> DocMeta:
    meta = DocMeta(script=detect_script(text))
    norm = [(i, normalise_line(s)) for i, s in preamble]
    title = md_title
    if title is None:
        for _, line in norm:
            if (
                6 <= len(line) <= 100
                and not line.endswith(("。", ":", "："))
                and any(line.rstrip(")）0123456789-年").endswith(t) or f"{t}(" in line for t in _DOC_TYPES)
            ):
                title = line
                break
    if title is None and norm and len(norm[0][1]) <= 100 and not norm[0][1].endswith("。"):
        title = norm[0][1]
    if title is None:
        title = filename.rsplit(".", 1)[0]
    # keep the title in the original script: find the original line for the chosen normalised one
    orig = {normalise_line(s): s for _, s in preamble}
    meta.title = orig.get(title, title).lstrip("#").strip()

    for _, line in norm:
        if not meta.issuer and len(line) <= 40 and _ISSUER.search(line) and not line.endswith("。"):
            meta.issuer = orig.get(line, line)
        if (
            not meta.addressees
            and line.endswith((":", "："))
            and ("、" in line or "," in line or "，" in line)
        ):
            parts = re.split(r"[、,，]", line.rstrip(":："))
            meta.addressees = [p.strip() for p in parts if p.strip()]
        if not meta.date:
            m = _DATE.search(line)
            if m and len(line) <= 80:
                meta.date = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
                if not meta.issuer and "通过" in line:
                    meta.issuer = line[m.end() :].strip().removesuffix("通过").strip()
    m2 = _DOC_NUMBER.search(normalise_line(text.replace("\n", " ")).replace(" ", ""))
    if m2:
        # canonical brackets: 余政办〔2023〕29号
        meta.doc_number = re.sub(r"[\[【(（]", "〔", re.sub(r"[\]】)）]", "〕", m2.group(0)))
    return meta


def section_path(root: Section, sid: str) -> list[Section]:
    """The sections from the top level down to ``sid`` (root excluded)."""
    index = {s.sid: s for s in root.walk()}
    path: list[Section] = []
    node = index.get(sid)
    while node is not None and node.kind != "root":
        path.append(node)
        node = index.get(node.parent) if node.parent else None
    return list(reversed(path))
