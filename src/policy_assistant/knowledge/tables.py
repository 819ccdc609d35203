"""Task tables (重点任务分工表): each row becomes owner records — its lead body and its cooperating bodies.

Loaders keep a table as lines of cells joined by `` | `` (an empty cell keeps its column). A table whose
header names a task column and a lead column (牵头单位, 责任单位) is a task table; every row under it
gives the lead (form 牵头单位) and each cooperating body (form 配合单位) of the row's task, with the
row's deadline in the record's sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..ingest.normalise import normalise_line
from ..models import Chunk, Document, Owner

CELL_SEP = " | "
_TASK = re.compile(r"任务|事项|工作|内容|举措|措施|项目")
_LEAD = re.compile(r"牵头|责任单位|责任部门|主责|负责单位|负责部门|责任主体")
_COOP = re.compile(r"配合|协同|协助|参与")
_DEADLINE = re.compile(r"时限|时间|期限|节点")
# "县住建局、县生态环境分局", "县治水办，县农业农村局": several bodies in one cell
_BODY_SPLIT = re.compile(r"[、，,；;/]|\s{2,}")


@dataclass
class TaskTable:
    """Where the columns of one task table are (indexes into a row's cells)."""

    header: list[str]
    task: int
    lead: int
    coop: int | None
    deadline: int | None


# a task-table row's deadline rides on its owner record's task: "农村生活污水治理（完成时限：2026年12月）"
DEADLINE_SUFFIX = "（完成时限：{}）"
_DEADLINE_AT_END = re.compile(r"（完成时限：([^）]+)）$")


def split_deadline(task: str) -> tuple[str, str]:
    """A table row's task and its deadline ("" when the task carries none)."""
    m = _DEADLINE_AT_END.search(task)
    return (task[:m.start()], m.group(1)) if m else (task, "")


def parse_header(cells: list[str]) -> TaskTable | None:
    """The task table a header row opens, or None when the row is no such header."""
    def find(pattern: re.Pattern[str], skip: set[int]) -> int | None:
        return next((i for i, c in enumerate(cells) if i not in skip and pattern.search(c)), None)

    lead = find(_LEAD, set())
    if lead is None:
        return None
    coop = find(_COOP, {lead})
    task = find(_TASK, {x for x in (lead, coop) if x is not None})
    if task is None:
        return None
    deadline = find(_DEADLINE, {x for x in (lead, coop, task) if x is not None})
    return TaskTable(cells, task, lead, coop, deadline)


def split_bodies(cell: str) -> list[str]:
    """The bodies named in one cell ("县住建局、县生态环境分局" → two)."""
    return [b.strip(" 。") for b in _BODY_SPLIT.split(cell) if b.strip(" 。") and b.strip() not in ("—", "-", "/", "无")]


def table_owners(document: Document, chunks: list[Chunk]) -> list[Owner]:
    """Owner records from every task table of one document, in document order."""
    out: list[Owner] = []
    table: TaskTable | None = None
    section = None
    for chunk in chunks:
        if chunk.section_id != section:  # a long table runs on over several chunks of its section
            table, section = None, chunk.section_id
        for line in chunk.text.split("\n"):
            if CELL_SEP.strip() not in line:
                table = None
                continue
            cells = [c.strip() for c in line.split("|")]
            header = parse_header([normalise_line(c) for c in cells])
            if header is not None:
                table = header
                continue
            if table is None or len(cells) != len(table.header):
                continue
            task = normalise_line(cells[table.task])
            if not task:
                continue
            sentence = "；".join(f"{h}：{c}" for h, c in zip(table.header, cells, strict=True) if c and h)
            roles = [("牵头单位", cells[table.lead])]
            if table.coop is not None:
                roles.append(("配合单位", cells[table.coop]))
            deadline = cells[table.deadline] if table.deadline is not None else ""
            for form, cell in roles:
                for body in split_bodies(normalise_line(cell)):
                    out.append(Owner(
                        doc_id=document.doc_id, doc_title=document.title, owner=body,
                        task=task + (DEADLINE_SUFFIX.format(normalise_line(deadline)) if deadline else ""),
                        form=form, level="clause", section_id=chunk.section_id, section_path=chunk.section_path,
                        norm_section_path=chunk.norm_section_path, page=chunk.page, chunk_id=chunk.chunk_id,
                        sentence=sentence, source="table",
                    ))
    return out
