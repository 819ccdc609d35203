"""The WeCom router: the self-built app and AI-bot callbacks, mounted into the main FastAPI app."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from policy_assistant.config import Settings
from policy_assistant.wecom.aibot import AiBotCallback
from policy_assistant.wecom.answering import Answerer, AskFn
from policy_assistant.wecom.app import AppCallback


class WeComService:
    """Everything WeCom needs at run time: callbacks, answer pool, and the router that exposes them."""

    def __init__(
        self,
        settings: Settings,
        ask: AskFn,
        *,
        http: httpx.Client | None = None,
        workers: int = 2,
        first_reply_wait_s: float = 1.0,
        max_skew_s: float | None = 300.0,
    ) -> None:
        """Build the callbacks; missing WeCom settings make them answer 503, never stop the app.

        Args:
            settings: the product settings (wecom_* fields).
            ask: ``PolicyService.ask``-compatible: ``ask(question, history) -> Answer``.
            http: httpx client for the WeCom API (tests pass one bound to a fake).
            workers: questions answered at once.
            first_reply_wait_s: the AI bot's first reply waits this long for a quick answer.
            max_skew_s: accepted timestamp skew of callbacks, in seconds.
        """
        self.settings = settings
        self.answerer = Answerer(ask, settings.wecom_history_turns, workers=workers)
        self.app = AppCallback(settings, self.answerer, http=http, max_skew_s=max_skew_s)
        self.bot = AiBotCallback(
            settings, self.answerer, first_reply_wait_s=first_reply_wait_s, max_skew_s=max_skew_s
        )
        self.router = APIRouter(tags=["wecom"])
        # WeCom calls these, not people: keep them out of the OpenAPI page.
        route = self.router.add_api_route
        route(settings.wecom_callback_path, self.app.verify, methods=["GET"], include_in_schema=False)
        route(settings.wecom_callback_path, self.app.receive, methods=["POST"], include_in_schema=False)
        route(settings.wecom_bot_path, self.bot.verify, methods=["GET"], include_in_schema=False)
        route(settings.wecom_bot_path, self.bot.receive, methods=["POST"], include_in_schema=False)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every queued answer has been computed and sent.

        Args:
            timeout: seconds at most; None waits forever.

        Returns:
            True when idle, False on timeout.
        """
        return self.answerer.wait_idle(timeout)

    def close(self) -> None:
        """Finish queued answers, then release threads and the HTTP client (call at app shutdown)."""
        self.answerer.close()
        self.app.close()


def create_wecom_router(settings: Settings, ask: AskFn, *, http: httpx.Client | None = None) -> APIRouter:
    """The WeCom router for ``app.include_router``; use ``WeComService`` to also close it at shutdown.

    Args:
        settings: the product settings.
        ask: ``ask(question, history) -> Answer``, e.g. ``PolicyService.ask``.
        http: httpx client for the WeCom API; one is made when None.

    Returns:
        An APIRouter with GET/POST at settings.wecom_callback_path and settings.wecom_bot_path.
    """
    return WeComService(settings, ask, http=http).router
