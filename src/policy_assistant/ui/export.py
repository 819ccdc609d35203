"""导出对话: the page's conversation as Markdown or Word, each answer laid out as shown, with its sources."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from ..answer.layout import citation_title, label, plain_text
from ..models import Answer

TITLE = "政策文件问答记录"


def _answers(turns: list[dict[str, Any]]) -> list[tuple[str, Answer]]:
    return [(t["question"], Answer.model_validate(t["answer"])) for t in turns]


def _out(suffix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="pa-export-"))
    return folder / f"问答记录-{time.strftime('%Y%m%d-%H%M%S')}{suffix}"


def export_markdown(turns: list[dict[str, Any]], _data_dir: Path | None = None) -> Path:
    """A Markdown file: each question as a heading, the answer, then its numbered sources with quotes."""
    lines = [f"# {TITLE}", "", f"导出时间：{time.strftime('%Y-%m-%d %H:%M')}", ""]
    for i, (question, answer) in enumerate(_answers(turns), 1):
        lines += [f"## {i}. {question}", "", plain_text(answer).replace("\n", "  \n"), ""]
        if answer.citations:
            lines.append(f"**{label('来源', answer)}**")
            lines.append("")
            for n, c in enumerate(answer.citations, 1):
                page = f"（{c.where()}）" if c.page else ""
                lines.append(f"{n}. {citation_title(c, answer)} {' › '.join(c.section_path)}{page}  ")
                lines.append(f"   {label('原文', answer)}：“{c.quote}”")
            lines.append("")
    path = _out(".md")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def export_docx(turns: list[dict[str, Any]], _data_dir: Path | None = None) -> Path:
    """A Word file (python-docx): the same content as :func:`export_markdown`, the headline in bold."""
    from docx import Document as Word

    doc = Word()
    doc.add_heading(TITLE, level=1)
    doc.add_paragraph(f"导出时间：{time.strftime('%Y-%m-%d %H:%M')}")
    for i, (question, answer) in enumerate(_answers(turns), 1):
        doc.add_heading(f"{i}. {question}", level=2)
        first, *rest = plain_text(answer).split("\n")
        doc.add_paragraph().add_run(first).bold = True
        for line in rest:
            doc.add_paragraph(line)
        for n, c in enumerate(answer.citations, 1):
            page = f"（{c.where()}）" if c.page else ""
            doc.add_paragraph(f"[{n}] {citation_title(c, answer)} {' › '.join(c.section_path)}{page}", style="List Number")
            doc.add_paragraph(f"{label('原文', answer)}：“{c.quote}”")
    path = _out(".docx")
    doc.save(str(path))
    return path
