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
from .chat import build_chat_tab
from .context import PageContext
from .documents import build_documents_tab
from .duties import build_duties_tab
from .ledger import build_ledger_tab
from .safe import shown

TITLE = "政策文件问答助手"
CSS = """
.pa-sources { margin-top: .6em; border-top: 1px solid var(--border-color-primary); padding-top: .4em; }
.pa-sources-title { font-size: .9em; color: var(--body-text-color-subdued); margin-bottom: .2em; }
.pa-cite { margin: .25em 0; font-size: .92em; }
.pa-cite summary { cursor: pointer; }
.pa-quote { margin: .3em 0 .5em 1.2em; padding-left: .6em; border-left: 3px solid var(--color-accent);
            color: var(--body-text-color); }
footer { display: none !important; }
"""


def build_page(ctx: PageContext) -> gr.Blocks:
    """The three tabs around one service.

    Args:
        ctx: service, settings, write lock and feedback store.

    Returns:
        The ``gr.Blocks``, not yet mounted.
    """
    with gr.Blocks(title=TITLE, analytics_enabled=False) as page:
        gr.Markdown(f"# {TITLE}")
        intro = gr.Markdown("", elem_id="pa-intro")
        with gr.Tabs():
            with gr.Tab("智能问答", id="chat"):
                build_chat_tab(ctx)
            with gr.Tab("指标一览", id="targets"):
                ledger_refresh, ledger_outputs = build_ledger_tab(ctx)
            with gr.Tab("责任清单", id="duties"):
                duties_refresh, duties_outputs = build_duties_tab(ctx)
            with gr.Tab("文档管理", id="documents"):
                listing, listing_outputs = build_documents_tab(
                    ctx, [(ledger_refresh, ledger_outputs), (duties_refresh, duties_outputs),
                          (lambda: _intro(ctx), [intro])])  # the library count follows uploads and deletes
        page.load(lambda: _intro(ctx), None, intro)
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
