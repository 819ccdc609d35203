"""文档管理 tab: upload (with progress and clear errors), list and delete documents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from ..errors import PolicyAssistantError
from .context import PageContext
from .format import DOCUMENT_HEADERS, document_rows
from .safe import shown

FILE_TYPES = [".txt", ".md", ".html", ".htm", ".docx", ".pdf", ".doc", ".wps", ".xlsx", ".png", ".jpg", ".jpeg",
              ".tif", ".tiff"]
# Asks before deleting; a cancelled dialog sends no document id, and the handler then does nothing.
CONFIRM_DELETE_JS = ("(docId, key) => [(docId && confirm('确定要删除该文件吗？删除后将不再据此回答问题。')) ? docId : null,"
                     " key]")


def summary(ctx: PageContext) -> str:
    """One line: how many documents and passages are indexed, and the index version."""
    h = ctx.service.health()
    if not h.get("ready"):
        return "索引尚未就绪，请稍候刷新页面。"
    return f"当前共收录 **{h['documents']}** 份文件、{h['chunks']} 个段落（索引版本 {h['index_version']}）。"


def upload_files(ctx: PageContext, files: list[str] | None, progress: gr.Progress) -> str:
    """Index each file, one at a time; a rejected file is reported and leaves the index as it was."""
    if not files:
        return "请先选择要上传的文件。"
    limit = int(ctx.settings.max_upload_mb * 1024 * 1024)
    lines: list[str] = []
    for i, path in enumerate(files):
        name = Path(path).name
        progress((i, len(files)), desc=f"正在解析并建立索引：{name}", unit="个文件")
        try:
            size = Path(path).stat().st_size
            if size > limit:
                lines.append(f"【失败】{shown(name)}：文件大小 {size / 2**20:.1f} MB，超过上限 {ctx.settings.max_upload_mb:g} MB")
                continue
            data = Path(path).read_bytes()
            with ctx.write_lock:
                doc, report = ctx.service.upload(name, data)
        except PolicyAssistantError as exc:
            lines.append(f"【失败】{shown(name)}：{shown(exc.message_zh)}")
            continue
        except OSError as exc:
            lines.append(f"【失败】{shown(name)}：无法读取文件（{shown(str(exc.strerror or exc))}）")
            continue
        lines.append(f"【成功】{shown(name)}：已加入，可以提问了（《{shown(doc.title)}》，{doc.n_chunks} 个段落，"
                     f"文件ID {shown(doc.doc_id)}）")
    progress((len(files), len(files)), desc="完成")
    return "\n\n".join(lines)


def delete_document(ctx: PageContext, doc_id: str | None, admin_key: str | None = None) -> str:
    """Remove one document from the index (an admin key as :meth:`PolicyService.delete` asks)."""
    if not doc_id:
        return "未删除任何文件：请先在下拉列表中选择文件，并在弹出的对话框中点击“确定”。"
    try:
        with ctx.write_lock:
            ctx.service.delete(doc_id, admin_key or None)
    except PolicyAssistantError as exc:
        return f"【失败】删除失败：{shown(exc.message_zh)}"
    return f"【成功】已删除文件 {shown(doc_id)}，不再据此回答问题。"


def build_documents_tab(ctx: PageContext, on_change: list[tuple[Any, list[Any]]]) -> Any:
    """Lay out the tab; ``on_change`` are (refresh function, outputs) run after an upload or delete."""
    gr.Markdown(
        f"上传新的政策文件（支持 txt、md、html、docx、pdf，单个文件不超过 {ctx.settings.max_upload_mb:g} MB）。"
        "上传完成后即可在“智能问答”中提问；扫描版 PDF 需先进行文字识别。"
    )
    status_line = gr.Markdown("", elem_id="pa-doc-summary")
    files = gr.File(label="选择文件（可多选）", file_count="multiple", file_types=FILE_TYPES, elem_id="pa-upload")
    upload = gr.Button("上传并建立索引", variant="primary", elem_id="pa-upload-button")
    result = gr.Markdown("", elem_id="pa-upload-result")
    gr.Markdown("### 已收录文件")
    table = gr.Dataframe(headers=DOCUMENT_HEADERS, datatype=["str"] * len(DOCUMENT_HEADERS), interactive=False,
                         wrap=True, elem_id="pa-documents", elem_classes=["pa-table"],
                         column_widths=["30%", "18%", "6%", "12%", "9%", "6%", "6%", "5%", "8%"])
    with gr.Row(equal_height=True):
        choice = gr.Dropdown([], label="选择要删除的文件", scale=4, elem_id="pa-delete-choice")
        admin = gr.Textbox(label="管理员密钥（删除核心文件时需要）", type="password", scale=2, elem_id="pa-admin-key")
        delete = gr.Button("删除所选文件", variant="stop", scale=1, elem_id="pa-delete")

    def listing() -> tuple[Any, ...]:
        try:
            docs = ctx.service.documents()
            line = summary(ctx)
        except PolicyAssistantError as exc:
            return f"出错了：{exc.message_zh}", [], gr.update(choices=[], value=None)
        choices = [(f"{d.title}（{d.doc_id}）", d.doc_id) for d in docs]
        return line, document_rows(docs), gr.update(choices=choices, value=None)

    def do_upload(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        return upload_files(ctx, paths, progress), None

    listing_outputs = [status_line, table, choice]
    event = upload.click(do_upload, files, [result, files], concurrency_limit=1, concurrency_id="write")
    event = event.then(listing, None, listing_outputs)
    removal = delete.click(lambda d, k: delete_document(ctx, d, k), [choice, admin], result, js=CONFIRM_DELETE_JS,
                           concurrency_limit=1, concurrency_id="write")
    removal = removal.then(listing, None, listing_outputs)
    for fn, outputs in on_change:
        event.then(fn, None, outputs)
        removal.then(fn, None, outputs)
    return listing, listing_outputs
