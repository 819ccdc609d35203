"""责任清单 tab: the duties ledger by department — every task with its role, deadline and source — filterable
by department, document and keyword, with a CSV download (the 任务分解表 officials otherwise make by hand)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import PolicyAssistantError
from ..knowledge.export import DUTY_COLUMNS, duty_row, table_csv
from ..models import Duty
from .context import PageContext

ALL = "全部"
HEADERS = ["部门", "职责", "任务", "完成时限", "来源", "出处"]


def duty_rows(items: list[Duty]) -> list[list[str]]:
    """Table rows, grouped by department (sorted), in document order within one."""
    ordered = sorted(items, key=lambda d: d.actor)
    return [[d.actor, d.role, d.task, d.deadline, {"table": "分工表", "document": "文件层面"}.get(d.source, "条文"),
             f"{d.doc_title} › {' › '.join(d.section_path)}"] for d in ordered]


def build_duties_tab(ctx: PageContext) -> Any:
    """Lay out the duties ledger inside the current ``gr.Tab``; returns the refresh function and its outputs."""
    folder = Path(tempfile.mkdtemp(prefix="pa-duties-"))
    gr.Markdown("按部门列出文件中每项任务的职责（牵头、负责、配合、审批、监督）、完成时限和出处，可筛选并下载。")
    with gr.Row(equal_height=True):
        actor = gr.Dropdown([ALL], value=ALL, label="部门", scale=2, allow_custom_value=True, elem_id="pa-actor")
        doc = gr.Dropdown([(ALL, ALL)], value=ALL, label="文件", scale=3, elem_id="pa-duty-doc")
        keyword = gr.Textbox(label="任务关键词", placeholder="例如：污水、农房", scale=2, elem_id="pa-duty-keyword")
    with gr.Row():
        search = gr.Button("筛选", variant="primary", size="sm")
        csv_button = gr.DownloadButton("⬇ 下载 CSV", size="sm", elem_id="pa-duty-csv")
    count = gr.Markdown("", elem_id="pa-duty-count")
    table = gr.Dataframe(headers=HEADERS, datatype=["str"] * len(HEADERS), interactive=False, wrap=True,
                         max_height=560, elem_id="pa-duties", elem_classes=["pa-table"])

    def show(a: str | None, d: str | None, k: str | None) -> tuple[Any, ...]:
        try:
            items = ctx.service.duties(doc=d if d and d != ALL else None, actor=a if a and a != ALL else None,
                                       query=(k or "").strip() or None)
        except PolicyAssistantError as exc:
            return f"出错了：{exc.message_zh}", gr.update(), gr.update()
        path = Path(tempfile.mkdtemp(dir=folder)) / "责任清单.csv"
        path.write_text("\ufeff" + table_csv(DUTY_COLUMNS, (duty_row(x) for x in items)), encoding="utf-8")
        return f"共 **{len(items)}** 条职责", duty_rows(items), str(path)

    def refresh() -> tuple[Any, ...]:
        """Reload the department and document choices (documents may have changed) and show everything."""
        try:
            items = ctx.service.duties()
        except PolicyAssistantError as exc:
            return gr.update(), gr.update(), f"出错了：{exc.message_zh}", gr.update(), gr.update()
        actors = sorted({x.actor for x in items})
        docs = sorted({(x.doc_title, x.doc_id) for x in items})
        return (gr.update(choices=[ALL, *actors], value=ALL), gr.update(choices=[(ALL, ALL), *docs], value=ALL),
                *show(ALL, ALL, ""))

    outputs = [count, table, csv_button]
    search.click(show, [actor, doc, keyword], outputs)
    keyword.submit(show, [actor, doc, keyword], outputs)
    actor.input(show, [actor, doc, keyword], outputs)
    doc.input(show, [actor, doc, keyword], outputs)
    return refresh, [actor, doc, *outputs]
