"""指标一览 tab: the targets ledger as a filterable table (year, document, keyword) with CSV / Excel downloads."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import PolicyAssistantError
from ..knowledge.export import targets_csv, targets_xlsx
from ..models import Target
from .context import PageContext
from .format import TARGET_HEADERS, target_rows

ALL = "全部"
EXPORT_MAX_AGE_S = 3600.0


def filter_choices(ctx: PageContext) -> tuple[list[str], list[tuple[str, str]]]:
    """Year choices and (title, doc id) document choices from the live ledger, "全部" first."""
    items = ctx.service.targets()
    years = sorted({t.year for t in items if t.year is not None})
    docs = sorted({(t.doc_title, t.doc_id) for t in items})
    return [ALL, *[str(y) for y in years]], [(ALL, ALL), *docs]


def query_targets(ctx: PageContext, year: str | None, doc: str | None, keyword: str | None) -> list[Target]:
    """The ledger filtered as chosen on the page."""
    return ctx.service.targets(
        year=int(year) if year and year != ALL else None,
        query=(keyword or "").strip() or None,
        doc=doc if doc and doc != ALL else None,
    )


class Exports:
    """Writes the filtered ledger to files the download buttons serve; old files are removed after an hour."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pa-targets-"))
        atexit.register(shutil.rmtree, self.root, ignore_errors=True)  # one folder per page build, gone at exit

    def write(self, items: list[Target]) -> tuple[str, str]:
        for old in self.root.iterdir():
            if time.time() - old.stat().st_mtime > EXPORT_MAX_AGE_S:
                shutil.rmtree(old, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(dir=self.root))
        csv_path = folder / "指标一览.csv"
        csv_path.write_text("\ufeff" + targets_csv(items), encoding="utf-8")  # BOM: Excel/WPS read UTF-8
        xlsx_path = folder / "指标一览.xlsx"
        xlsx_path.write_bytes(targets_xlsx(items))
        return str(csv_path), str(xlsx_path)


def build_ledger_tab(ctx: PageContext) -> Any:
    """Lay out the ledger inside the current ``gr.Tab``; returns the refresh function and its outputs."""
    exports = Exports()
    gr.Markdown("文件中所有量化指标（目标值、年份、出处）。可按年份、文件或关键词筛选，并下载为表格。")
    with gr.Row(equal_height=True):
        year = gr.Dropdown([ALL], value=ALL, label="年份", scale=1, elem_id="pa-year")
        doc = gr.Dropdown([(ALL, ALL)], value=ALL, label="文件", scale=3, elem_id="pa-doc")
        keyword = gr.Textbox(label="关键词", placeholder="例如：收入、污水、托位", scale=2, elem_id="pa-keyword")
    with gr.Row():
        search = gr.Button("筛选", variant="primary", size="sm")
        reset = gr.Button("重置", size="sm")
        csv_button = gr.DownloadButton("⬇ 下载 CSV", size="sm", elem_id="pa-csv")
        xlsx_button = gr.DownloadButton("⬇ 下载 Excel", size="sm", elem_id="pa-xlsx")
    count = gr.Markdown("", elem_id="pa-target-count")
    table = gr.Dataframe(
        headers=TARGET_HEADERS, datatype=["str"] * len(TARGET_HEADERS), interactive=False, wrap=True,
        max_height=560, column_widths=["6%", "14%", "10%", "8%", "13%", "12%", "5%", "32%"], elem_id="pa-targets",
        elem_classes=["pa-table"],
    )

    def show(y: str | None, d: str | None, k: str | None) -> tuple[Any, ...]:
        try:
            items = query_targets(ctx, y, d, k)
        except PolicyAssistantError as exc:
            return f"出错了：{exc.message_zh}", gr.update(), gr.update(), gr.update()
        csv_path, xlsx_path = exports.write(items)
        return f"共 **{len(items)}** 条指标", target_rows(items), csv_path, xlsx_path

    def refresh() -> tuple[Any, ...]:
        """Reload the choices (documents may have changed) and show the whole ledger."""
        try:
            years, docs = filter_choices(ctx)
        except PolicyAssistantError as exc:
            return (gr.update(), gr.update(), "", f"出错了：{exc.message_zh}", gr.update(), gr.update(), gr.update())
        return (gr.update(choices=years, value=ALL), gr.update(choices=docs, value=ALL), "", *show(ALL, ALL, ""))

    outputs = [count, table, csv_button, xlsx_button]
    search.click(show, [year, doc, keyword], outputs)
    keyword.submit(show, [year, doc, keyword], outputs)
    year.input(show, [year, doc, keyword], outputs)
    doc.input(show, [year, doc, keyword], outputs)
    refresh_outputs = [year, doc, keyword, *outputs]
    reset.click(refresh, None, refresh_outputs)
    return refresh, refresh_outputs
