"""Word's automatic numbering in .docx (numbering.xml): the labels 一、（一）1. as printed, so the outline and
the citations keep their structure (a heading numbered by Word holds no "二、" in its text)."""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml import parse_xml

from policy_assistant.ingest.loaders import load_bytes
from policy_assistant.ingest.numbering import format_number

NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
ABSTRACT = f"""<w:abstractNum {NS} w:abstractNumId="90">
  <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="%1、"/></w:lvl>
  <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="chineseCounting"/><w:lvlText w:val="（%2）"/></w:lvl>
  <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%3."/></w:lvl>
</w:abstractNum>"""


def numbered_docx(paragraphs: list[tuple[int | None, str]], restart_at: int | None = None) -> bytes:
    """A .docx whose paragraphs carry Word numbering (level, text); level None is plain text."""
    doc = docx.Document()
    numbering = doc.part.numbering_part.element
    numbering.insert(0, parse_xml(ABSTRACT))  # abstractNum elements come before num elements
    numbering.append(parse_xml(f'<w:num {NS} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))
    numbering.append(parse_xml(f'<w:num {NS} w:numId="91"><w:abstractNumId w:val="90"/>'
                               f'<w:lvlOverride w:ilvl="2"><w:startOverride w:val="1"/></w:lvlOverride></w:num>'))
    for i, (level, text) in enumerate(paragraphs):
        p = doc.add_paragraph(text)
        if level is not None:
            num_id = 91 if restart_at is not None and i >= restart_at else 90
            p._p.get_or_add_pPr().append(parse_xml(
                f'<w:numPr {NS}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


PLAN = [
    (None, "某某县未来乡村建设实施方案"),
    (0, "总体要求"),
    (1, "指导思想"),
    (None, "坚持以人民为中心。"),
    (1, "主要目标"),
    (2, "到2025年，建成未来乡村20个。"),
    (2, "到2026年，建成未来乡村40个。"),
    (0, "重点任务"),
    (1, "打造产业场景"),
    (2, "县农业农村局负责培育乡村特色产业。"),
]


def test_labels_are_rendered_as_printed_with_levels_and_restarts() -> None:
    lines = load_bytes("方案.docx", numbered_docx(PLAN)).text.split("\n")
    assert lines == ["某某县未来乡村建设实施方案", "一、总体要求", "（一）指导思想", "坚持以人民为中心。", "（二）主要目标",
                     "1.到2025年，建成未来乡村20个。", "2.到2026年，建成未来乡村40个。", "二、重点任务", "（一）打造产业场景",
                     "1.县农业农村局负责培育乡村特色产业。"]


def test_the_outline_and_citations_follow_the_numbering(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.service import PolicyService

    service = PolicyService(fresh_settings)
    service.upload("某某县方案.docx", numbered_docx(PLAN))
    answer = service.ask("某某县2026年要建成多少个未来乡村？")
    assert answer.answered and "40个" in answer.answer
    assert answer.citations[0].section_path[0] == "一、总体要求"  # small sections are chunked with their parent
    outline = service.snapshot.outlines[answer.citations[0].doc_id]
    headings = [s.heading for s in outline.walk()]
    assert {"一、总体要求", "（二）主要目标", "二、重点任务", "（一）打造产业场景"} <= set(headings)


@pytest.mark.parametrize(("n", "fmt", "shown"), [
    (11, "chineseCounting", "十一"), (3, "ideographTraditional", "丙"), (4, "decimalEnclosedCircle", "④"),
    (9, "lowerRoman", "ix"), (2, "upperLetter", "B"), (7, "decimal", "7"), (1, "bullet", ""),
])
def test_number_formats(n: int, fmt: str, shown: str) -> None:
    assert format_number(n, fmt) == shown


def test_a_restart_override_starts_the_list_again() -> None:
    paragraphs = [(0, "甲"), (2, "a"), (2, "b"), (2, "c"), (2, "d")]
    lines = load_bytes("x.docx", numbered_docx(paragraphs, restart_at=3)).text.split("\n")
    assert lines == ["一、甲", "1.a", "2.b", "1.c", "2.d"]
