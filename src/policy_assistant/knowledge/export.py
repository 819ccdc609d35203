"""The targets ledger as a table: one column list shared by `targets --csv`, the API downloads and the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from ..models import Target

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


def targets_csv(targets: Iterable[Target]) -> str:
    """The ledger as CSV text (header row first; cells that would run as spreadsheet formulas are quoted).

    Args:
        targets: ledger rows, e.g. ``PolicyService.targets(...)``.

    Returns:
        CSV text with ``\\r\\n`` line ends; prepend a BOM (``\\ufeff``) when Excel must detect UTF-8.
    """
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(TARGET_COLUMNS)
    for t in targets:
        writer.writerow([_csv_safe(c) for c in target_row(t)])
    return buf.getvalue()


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
