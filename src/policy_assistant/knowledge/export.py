"""The ledgers as tables: one column list per ledger, shared by the CLI's --csv, the API downloads and the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from ..models import Duty, Penalty, Target

TARGET_COLUMNS: list[str] = ["年份", "时间范围", "指标", "数值", "单位", "比较", "表述", "文件", "章节", "页码", "原文"]

# A cell starting with one of these is run as a formula by Excel / WPS (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | float


def _number(value: float) -> int | float:
    """5.7 stays 5.7, 100.0 becomes 100 (what the document wrote)."""
    return int(value) if float(value).is_integer() else value


def target_row(t: Target) -> list[Cell]:
    """One ledger row in the order of ``TARGET_COLUMNS``.

    Args:
        t: a target from the ledger.

    Returns:
        Year, scope, indicator, value, unit, comparator, figure as said, document, section path, page, sentence.
    """
    return [
        t.year if t.year is not None else "",
        t.scope,
        t.indicator,
        _number(t.value),
        t.unit,
        t.comparator,
        t.figure(),
        t.doc_title,
        " › ".join(t.norm_section_path),
        t.page if t.page is not None else "",
        t.sentence,
    ]


def _csv_safe(cell: Cell) -> Cell:
    if isinstance(cell, str) and cell.startswith(_FORMULA_START):
        return "'" + cell
    return cell


DUTY_COLUMNS: list[str] = ["部门", "职责", "任务", "完成时限", "同列部门", "来源", "文件", "章节", "页码", "原文"]
PENALTY_COLUMNS: list[str] = ["违反条款", "违法行为", "处罚机关", "罚款下限(元)", "罚款上限(元)", "文件", "章节", "原文"]


def duty_row(d: Duty) -> list[Cell]:
    """One 责任清单 row in the order of ``DUTY_COLUMNS``."""
    return [d.actor, d.role, d.task, d.deadline, "、".join(d.actors), {"table": "分工表", "document": "文件层面"}.get(d.source, "条文"),
            d.doc_title, " › ".join(d.section_path), d.page if d.page is not None else "", d.quote]


def penalty_row(p: Penalty) -> list[Cell]:
    """One penalty row in the order of ``PENALTY_COLUMNS``."""
    return [p.article, p.act, p.imposer, _number(p.amount_min) if p.amount_min is not None else "",
            _number(p.amount_max) if p.amount_max is not None else "", p.doc_title, " › ".join(p.section_path), p.quote]


def table_csv(columns: list[str], rows: Iterable[list[Cell]]) -> str:
    """Any ledger as CSV text, formula-like cells quoted (see ``targets_csv``)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_safe(c) for c in row])
    return buf.getvalue()


def table_xlsx(title: str, columns: list[str], rows: Iterable[list[Cell]]) -> bytes:
    """Any ledger as an Excel workbook: one sheet, bold frozen header, formula-like text stored as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title
    ws.append(columns)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def targets_csv(targets: Iterable[Target]) -> str:
    """The ledger as CSV text (header row first; cells that would run as spreadsheet formulas are quoted).

    Args:
        targets: ledger rows, e.g. ``PolicyService.targets(...)``.

    Returns:
        CSV text with ``\\r\\n`` line ends; prepend a BOM (``\\ufeff``) when Excel must detect UTF-8.
    """
    return table_csv(TARGET_COLUMNS, (target_row(t) for t in targets))


def targets_xlsx(targets: Iterable[Target]) -> bytes:
    """The ledger as an Excel workbook (one sheet 指标一览, header row frozen, numbers as numbers).

    Args:
        targets: ledger rows.

    Returns:
        The ``.xlsx`` file's bytes.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None  # a new workbook always has one sheet
    ws.title = "指标一览"
    ws.append(TARGET_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for t in targets:
        ws.append(target_row(t))
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # openpyxl would store it as a formula
    widths = [8, 12, 28, 8, 8, 8, 16, 36, 36, 6, 80]
    for i, width in enumerate(widths):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    for row in ws.iter_rows(min_row=2, min_col=len(widths), max_col=len(widths)):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
