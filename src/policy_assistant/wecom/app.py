"""Self-built app (自建应用) callback: verify the URL, take encrypted messages, answer asynchronously."""

from __future__ import annotations

import logging
import time

import httpx
from fastapi import Request
from fastapi.responses import PlainTextResponse, Response

from policy_assistant.config import Settings
from policy_assistant.errors import ConfigError, PolicyAssistantError
from policy_assistant.wecom.answering import Answerer
from policy_assistant.wecom.callback import (
    build_crypto,
    error_response,
    not_configured,
    read_body,
    read_params,
)
from policy_assistant.wecom.client import WeComApiError, WeComClient
from policy_assistant.wecom.crypto import parse_flat_xml, random_nonce
from policy_assistant.wecom.sessions import TtlCache

log = logging.getLogger(__name__)

WELCOME = "您好！我是政策文件问答助手。请直接输入问题，例如：2025年农村居民人均可支配收入目标是多少？"
TEXT_ONLY = "目前只能回答文字提问，请直接输入问题，例如：2025年农村居民人均可支配收入目标是多少？"
EMPTY_QUESTION = "请输入要查询的问题。"
# WeCom retries for ~15 s; remembering ids much longer costs nothing and absorbs late duplicates.
SEEN_TTL_S = 900.0


class AppCallback:
    """The GET/POST handlers of the self-built app callback URL."""

    def __init__(
        self,
        settings: Settings,
        answerer: Answerer,
        *,
        http: httpx.Client | None = None,
        max_skew_s: float | None = 300.0,
    ) -> None:
        """Args:
        settings: WeCom settings (token, AES key, CorpID for receiving; secret, AgentId for sending).
        answerer: runs the questions.
        http: httpx client for the WeCom API (tests pass one); made on first send otherwise.
        max_skew_s: accepted timestamp skew in seconds.
        """
        self.settings = settings
        self.answerer = answerer
        self.crypto, self.problem = build_crypto(
            settings, settings.wecom_corp_id or None, max_skew_s=max_skew_s
        )
        self.seen: TtlCache[str, float] = TtlCache(max_items=50_000, ttl_s=SEEN_TTL_S)
        self._client: WeComClient | None = None
        self.send_problem = ""
        try:
            # Built eagerly to validate settings; it opens no connection until the first send.
            self._client = WeComClient(settings, http)
        except ConfigError as exc:
            self.send_problem = exc.message

    def close(self) -> None:
        """Release the API client."""
        if self._client is not None:
            self._client.close()

    async def verify(self, request: Request) -> Response:
        """GET: URL verification; the decrypted echostr goes back bare."""
        if self.crypto is None:
            return not_configured(self.problem)
        try:
            p = read_params(request, need_echostr=True)
            plain = self.crypto.verify_url(p.msg_signature, p.timestamp, p.nonce, p.echostr)
        except PolicyAssistantError as exc:
            return error_response(exc)
        # Bare text: no quotes, BOM or newline, or WeCom reports "echostr校验失败".
        return PlainTextResponse(plain)

    async def receive(self, request: Request) -> Response:
        """POST: decrypt, acknowledge with 200 at once, answer in the background."""
        if self.crypto is None:
            return not_configured(self.problem)
        if self.send_problem:
            # Accepting messages we can never answer would leave officials waiting in silence.
            return not_configured(self.send_problem)
        try:
            p = read_params(request)
            body = await read_body(request)
            msg = parse_flat_xml(self.crypto.decrypt_message(body, p.msg_signature, p.timestamp, p.nonce))
        except PolicyAssistantError as exc:
            return error_response(exc)

        user = msg.get("FromUserName", "")
        msg_type = msg.get("MsgType", "")
        key = msg.get("MsgId") or f"{user}:{msg.get('CreateTime', '')}:{msg.get('Event', '')}"
        if not user or self.seen.add_if_absent(key, time.monotonic()) is not None:
            # A WeCom retry of a message already taken (or nothing to answer): acknowledge only.
            return PlainTextResponse("")

        if msg_type == "text":
            question = msg.get("Content", "").strip()
            if not question:
                return self._passive_text(user, EMPTY_QUESTION)
            self.answerer.submit(self._answer_and_send, user, question)
            return PlainTextResponse("")
        if msg_type == "event":
            # Only a new follower gets a greeting; enter_agent, clicks and the like fire too often.
            if msg.get("Event") == "subscribe":
                return self._passive_text(user, WELCOME)
            return PlainTextResponse("")
        return self._passive_text(user, TEXT_ONLY)

    def _passive_text(self, user: str, content: str) -> Response:
        """An encrypted passive reply: instant, and needs neither access_token nor trusted IP."""
        assert self.crypto is not None
        reply = (
            f"<xml><ToUserName><![CDATA[{user}]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.crypto.receive_id}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content></xml>"
        )
        return Response(self.crypto.encrypt_message(reply, random_nonce()), media_type="application/xml")

    def _answer_and_send(self, user: str, question: str) -> None:
        """Background job: ask, format, deliver through message/send."""
        started = time.perf_counter()
        text = self.answerer.answer(f"app:{user}", question)
        assert self._client is not None
        try:
            self._client.send_markdown(user, text)
        except WeComApiError as exc:
            log.error("WeCom answer to %r not delivered: %s", user, exc.message)
            return
        log.info("WeCom answer delivered to %r in %.0f ms", user, (time.perf_counter() - started) * 1000)
