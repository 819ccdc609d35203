"""Evaluation questions: load a JSON Lines file (format in evals/README.md) and validate every row."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..ingest.prepare import make_doc_id
from ..models import Message

KINDS = ("target", "owner", "approval", "list", "definition", "date", "deadline", "general", "penalty", "followup",
         "unanswerable")
_REQUIRED = ("id", "question", "answerable", "expected_facts", "kind")


class DatasetError(BadInput):
    """An evaluation file that cannot be used as it is (the message names the line)."""


@dataclass(frozen=True)
class EvalItem:
    """One hand-written question with what a correct answer must contain."""

    id: str
    question: str
    answerable: bool
    expected_facts: list[list[str]]  # every group must appear; any alternative of a group is enough
    kind: str
    history: list[Message] = field(default_factory=list)
    expected_doc: str | None = None  # corpus file name, e.g. yuhang-qianwan-plan-2023-2027.txt
    expected_section: str | None = None  # outline label path: 三/（三）/3, 第二章/第十条
    alt_sections: list[str] = field(default_factory=list)
    style: str | None = None
    note: str | None = None

    @property
    def doc_id(self) -> str | None:
        """The index's document id: the file name without its suffix."""
        if not self.expected_doc:
            return None
        return make_doc_id(self.expected_doc, "")

    @property
    def sections(self) -> list[str]:
        """The expected section and its alternatives; empty for document-level questions."""
        return ([self.expected_section] if self.expected_section else []) + list(self.alt_sections)


def load_items(path: Path) -> list[EvalItem]:
    """Read and validate an evaluation file.

    Args:
        path: a UTF-8 JSON Lines file, one question per line (blank lines allowed).
    Returns:
        The questions in file order.
    Raises:
        DatasetError: on the first invalid line, with its line number, or on a duplicate id.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc}", f"无法读取评测文件 {path}：{exc}") from exc
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{lineno}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise _error(where, f"not valid JSON ({exc.msg})") from exc
        item = parse_item(row, where)
        if item.id in seen:
            raise _error(where, f"duplicate id {item.id!r} (first on line {seen[item.id]})")
        seen[item.id] = lineno
        items.append(item)
    if not items:
        raise DatasetError(f"{path}: no questions", f"{path}：没有评测问题")
    return items


def parse_item(row: Any, where: str = "row") -> EvalItem:
    """Validate one decoded row and build its :class:`EvalItem`.

    Raises:
        DatasetError: naming ``where`` and the first problem found.
    """
    if not isinstance(row, dict):
        raise _error(where, "a row must be a JSON object")
    missing = [k for k in _REQUIRED if k not in row]
    if missing:
        raise _error(where, f"missing field(s): {', '.join(missing)}")
    for key in ("id", "question", "kind"):
        if not isinstance(row[key], str) or not row[key].strip():
            raise _error(where, f"{key!r} must be a non-empty string")
    if row["kind"] not in KINDS:
        raise _error(where, f"unknown kind {row['kind']!r} (expected one of {', '.join(KINDS)})")
    if not isinstance(row["answerable"], bool):
        raise _error(where, "'answerable' must be true or false")
    facts = _facts(row["expected_facts"], where)
    answerable: bool = row["answerable"]
    if answerable and row["kind"] == "unanswerable":  # other kinds may be unanswerable: the kind is the question's shape
        raise _error(where, "kind 'unanswerable' needs 'answerable': false")
    if answerable and not facts:
        raise _error(where, "an answerable question needs at least one expected fact group")
    if not answerable and facts:
        raise _error(where, "an unanswerable question must have expected_facts []")
    # without expected_doc (a set written on uploaded documents), only the answer is scored
    expected_doc = _optional_str(row, "expected_doc", where)
    alt = row.get("alt_sections", [])
    if not isinstance(alt, list) or not all(isinstance(a, str) and a.strip() for a in alt):
        raise _error(where, "'alt_sections' must be a list of section paths")
    return EvalItem(
        id=row["id"],
        question=row["question"],
        answerable=answerable,
        expected_facts=facts,
        kind=row["kind"],
        history=_history(row.get("history", []), where),
        expected_doc=expected_doc,
        expected_section=_optional_str(row, "expected_section", where),
        alt_sections=list(alt),
        style=_optional_str(row, "style", where),
        note=_optional_str(row, "note", where),
    )


def _facts(value: Any, where: str) -> list[list[str]]:
    if not isinstance(value, list):
        raise _error(where, "'expected_facts' must be a list of groups")
    groups: list[list[str]] = []
    for group in value:
        if not isinstance(group, list) or not group:
            raise _error(where, "each expected fact group must be a non-empty list of strings")
        if not all(isinstance(alt, str) and alt.strip() for alt in group):
            raise _error(where, "each alternative in a fact group must be a non-empty string")
        groups.append(list(group))
    return groups


def _history(value: Any, where: str) -> list[Message]:
    if not isinstance(value, list):
        raise _error(where, "'history' must be a list of {role, content} turns")
    turns: list[Message] = []
    for turn in value:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant", "system"):
            raise _error(where, "each history turn needs role user/assistant/system")
        if not isinstance(turn.get("content"), str):
            raise _error(where, "each history turn needs a string 'content'")
        turns.append(Message(role=turn["role"], content=turn["content"]))
    return turns


def _optional_str(row: dict[str, Any], key: str, where: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise _error(where, f"{key!r} must be a non-empty string when present")
    return value


def _error(where: str, problem: str) -> DatasetError:
    return DatasetError(f"{where}: {problem}", f"评测文件 {where}：{problem}")
