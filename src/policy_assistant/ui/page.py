"""The page an official opens: 智能问答, 指标一览 and 文档管理 tabs, mounted into the FastAPI app."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import gradio as gr
from fastapi import FastAPI

from ..config import Settings
from ..feedback import FeedbackStore
from ..keys import key_is_valid
from ..service import PolicyService
from .chat import build_chat_tab, restore
from .context import PageContext
from .documents import build_documents_tab
from .duties import build_duties_tab
from .ledger import build_ledger_tab
from .safe import shown

TITLE = "政策文件问答助手"
CSS = """
footer { display: none !important; }
.pa-doc { max-height: 420px; overflow-y: auto; line-height: 1.7; padding: .2em .4em; }
.pa-doc-title { font-weight: 600; }
.pa-doc-path { color: var(--body-text-color-subdued); font-size: .9em; margin-bottom: .4em; }
.pa-doc mark { background: #fff3a3; padding: 0 .1em; }
.pa-doc-empty { color: var(--body-text-color-subdued); }
/* tables keep readable columns and scroll sideways instead of squeezing to one character per line
   (the table's column widths are shares of its container: a wide container keeps them readable) */
.pa-table { overflow-x: auto !important; }
.pa-table .table-container { min-width: 760px; }
/* a phone (390×844): a short header and chat, so the question box is on the first screen */
@media (max-width: 640px) {
  .gradio-container { padding: 4px !important; }
  #pa-title h1 { font-size: 1.2em !important; margin: .1em 0 !important; }
  #pa-intro { font-size: .85em; }
  #pa-intro small { display: none; }
  #pa-chat { height: 46vh !important; min-height: 260px; }
  #pa-ask-row { flex-wrap: nowrap !important; }
  #pa-ask-row #pa-send { min-width: 56px !important; flex-grow: 0 !important; }
  .pa-examples button { font-size: .8em !important; }
}
"""


def build_page(ctx: PageContext) -> gr.Blocks:
    """The three tabs around one service.

    Args:
        ctx: service, settings, write lock and feedback store.

    Returns:
        The ``gr.Blocks``, not yet mounted.
    """
    with gr.Blocks(title=TITLE, analytics_enabled=False) as page:
        gr.Markdown(f"# {TITLE}", elem_id="pa-title")
        intro = gr.Markdown("", elem_id="pa-intro")
        with gr.Tabs():
            with gr.Tab("智能问答", id="chat"):
                session, (chatbot, history, turns) = build_chat_tab(ctx)
            with gr.Tab("指标一览", id="targets"):
                ledger_refresh, ledger_outputs = build_ledger_tab(ctx)
            with gr.Tab("责任清单", id="duties"):
                duties_refresh, duties_outputs = build_duties_tab(ctx)
            with gr.Tab("文档管理", id="documents"):
                listing, listing_outputs = build_documents_tab(
                    ctx, [(ledger_refresh, ledger_outputs), (duties_refresh, duties_outputs),
                          (lambda: _intro(ctx), [intro])])  # the library count follows uploads and deletes
        page.load(lambda: _intro(ctx), None, intro)
        # this browser's conversation, kept across reloads (ui/conversations.py)
        page.load(lambda sid: restore(ctx, sid), session, [session, chatbot, history, turns])
        page.load(ledger_refresh, None, ledger_outputs)
        page.load(duties_refresh, None, duties_outputs)
        page.load(listing, None, listing_outputs)
    return page


def _intro(ctx: PageContext) -> str:
    try:
        docs = ctx.service.documents()
    except Exception:  # noqa: BLE001 - the page must open even without an index
        return "索引尚未就绪，请稍候刷新页面。"
    names = "、".join(f"《{shown(d.title.strip('《》'))}》" for d in docs[:6]) + ("等" if len(docs) > 6 else "")
    return (f"用中文直接提问，答案均摘自已收录的 **{len(docs)}** 份政策文件，并注明出处（文件、章节、原文）。"
            f"<br><small>已收录：{names}</small>")


LOGIN_FAIL_DELAY_S = 0.5


def throttled_auth(keys: list[str], delay_s: float = LOGIN_FAIL_DELAY_S) -> Any:
    """The page's login check: a right key passes at once; wrong ones are answered one at a time, each after
    ``delay_s``, so guessing runs at most 1/delay_s keys a second however many are sent together."""
    failures = asyncio.Lock()

    async def auth(_user: str, password: str) -> bool:
        if key_is_valid(password, keys):
            return True
        async with failures:
            await asyncio.sleep(delay_s)
        return False

    return auth


def mount_page(app: FastAPI, service: PolicyService, settings: Settings, write_lock: threading.Lock) -> FastAPI:
    """Mount the page at ``settings.ui_path``; with ``PA_API_KEYS`` set it asks for one of the keys as password.

    Args:
        app: the FastAPI app (its routes must already be added: a page at "/" catches the rest).
        service: the app's service.
        settings: ``ui_path``, ``max_upload_mb``, ``data_dir``, ``api_keys``.
        write_lock: the lock the REST upload/delete routes take.

    Returns:
        The same app.
    """
    ctx = PageContext(service=service, settings=settings, write_lock=write_lock,
                      feedback=FeedbackStore.in_data_dir(settings.data_dir))
    page = build_page(ctx)
    page.queue(default_concurrency_limit=2)
    keys = settings.api_key_list
    auth: Any = throttled_auth(keys) if keys else None

    return gr.mount_gradio_app(
        app, page, path=settings.ui_path, auth=auth,
        auth_message="请输入访问密钥（用户名任意，密码为管理员提供的 API 密钥）。" if keys else None,
        max_file_size=f"{int(settings.max_upload_mb * 1024)}kb", footer_links=[], run_history=False,
        theme=gr.themes.Soft(), css=CSS, show_error=True,
    )
