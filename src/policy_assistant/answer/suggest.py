"""Suggested follow-up questions drawn from the section an answer cites (the page shows 2–3 of them).

Candidates come from the records of that section: other targets it sets, and who does the task. Only
candidates the engine itself answers are offered, so a click never ends in "文件没有规定".
"""

from __future__ import annotations

from collections.abc import Callable

from ..index.snapshot import Snapshot
from ..ingest.normalise import detect_script, normalise_line
from ..models import Answer
from .compose import display

MAX_SUGGESTIONS = 3
CANDIDATES = 6  # asked at most, to keep the page fast
INDICATOR_CHARS = (3, 18)


def candidates(answer: Answer, snapshot: Snapshot) -> list[str]:
    """Questions about the cited section that this answer does not already answer, in the asker's script."""
    chunk_ids = [c.chunk_id for c in answer.citations if c.chunk_id in snapshot.chunk_by_id]
    if not chunk_ids or not answer.answered:
        return []
    first = snapshot.chunks[snapshot.chunk_by_id[chunk_ids[0]]]
    said = normalise_line(answer.answer)
    out: list[str] = []
    if answer.kind in ("target", "list", "general"):
        out.append("这项任务由哪个部门负责？")
    for t in snapshot.targets:
        if t.kind != "target" or t.doc_id != first.doc_id or t.section_id != first.section_id:
            continue
        lo, hi = INDICATOR_CHARS
        if not lo <= len(t.indicator) <= hi or t.indicator in said or t.value_text in said:
            continue
        out.append(f"到{t.year}年{t.indicator}要达到多少？" if t.year else f"{t.indicator}的目标是多少？")
    if answer.kind in ("owner", "approval"):
        for o in snapshot.owners:
            if o.doc_id == first.doc_id and o.section_id == first.section_id and o.owner not in said and o.level == "clause":
                out.append(f"{o.owner}负责什么？")
    script = detect_script(answer.question)
    return [display(q, script) for q in dict.fromkeys(out)][:CANDIDATES]


def follow_ups(answer: Answer, snapshot: Snapshot, ask: Callable[[str], Answer]) -> list[str]:
    """Up to ``MAX_SUGGESTIONS`` candidates that ``ask`` (the question in this conversation) answers."""
    out = []
    for q in candidates(answer, snapshot):
        try:
            if ask(q).answered:
                out.append(q)
        except Exception:  # noqa: BLE001 - a suggestion that fails is simply not offered
            continue
        if len(out) >= MAX_SUGGESTIONS:
            break
    return out
