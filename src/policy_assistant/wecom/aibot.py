"""AI bot (智能机器人) callback: JSON payloads, ReceiveId "", answers streamed over WeCom's refresh polls."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import PlainTextResponse, Response

from policy_assistant.config import Settings
from policy_assistant.errors import PolicyAssistantError
from policy_assistant.wecom.answering import Answerer
from policy_assistant.wecom.app import EMPTY_QUESTION, TEXT_ONLY, WELCOME
from policy_assistant.wecom.callback import (
    build_crypto,
    error_response,
    not_configured,
    read_body,
    read_params,
)
from policy_assistant.wecom.client import trim_utf8
from policy_assistant.wecom.crypto import WeComCrypto, WeComCryptoError, random_nonce
from policy_assistant.wecom.sessions import StreamState, TtlCache

log = logging.getLogger(__name__)

STREAM_LIMIT_BYTES = 20_480  # each stream reply replaces the last; WeCom caps its content here
PENDING = "正在查询政策文件，请稍候…"
EXPIRED = "该回答已过期，请重新提问。"
# WeCom polls a stream for up to 6 minutes; keep state a little longer than that.
STREAM_TTL_S = 600.0
_MENTION = re.compile(r"^\s*@\S+\s*")


class AiBotCallback:
    """The GET/POST handlers of the AI-bot callback URL."""

    def __init__(
        self,
        settings: Settings,
        answerer: Answerer,
        *,
        first_reply_wait_s: float = 1.0,
        max_skew_s: float | None = 300.0,
    ) -> None:
        """Args:
        settings: needs wecom_token and wecom_aes_key (the AI bot has no CorpID: ReceiveId is "").
        answerer: runs the questions.
        first_reply_wait_s: how long the first reply waits for a quick answer before streaming
            "please wait" (WeCom gives up on a reply after 5 s).
        max_skew_s: accepted timestamp skew in seconds.
        """
        self.answerer = answerer
        self.first_reply_wait_s = first_reply_wait_s
        self.crypto, self.problem = build_crypto(settings, "", max_skew_s=max_skew_s)
        self.streams: TtlCache[str, StreamState] = TtlCache(max_items=10_000, ttl_s=STREAM_TTL_S)
        self.stream_of_msg: TtlCache[str, str] = TtlCache(max_items=50_000, ttl_s=STREAM_TTL_S)

    async def verify(self, request: Request) -> Response:
        """GET: URL verification, as for the app but with ReceiveId ""."""
        if self.crypto is None:
            return not_configured(self.problem)
        try:
            p = read_params(request, need_echostr=True)
            return PlainTextResponse(self.crypto.verify_url(p.msg_signature, p.timestamp, p.nonce, p.echostr))
        except PolicyAssistantError as exc:
            return error_response(exc)

    async def receive(self, request: Request) -> Response:
        """POST: a message, an event, or a refresh poll for a stream; replies are encrypted JSON."""
        if self.crypto is None:
            return not_configured(self.problem)
        try:
            p = read_params(request)
            body = await read_body(request)
            data = json.loads(self.crypto.decrypt_json(body, p.msg_signature, p.timestamp, p.nonce))
            if not isinstance(data, dict):
                raise WeComCryptoError("AI-bot payload is not an object", "企业微信消息格式错误")
        except (ValueError, RecursionError) as exc:  # json.JSONDecodeError of the decrypted text
            return error_response(
                WeComCryptoError(f"AI-bot payload is not JSON: {exc}", "企业微信消息格式错误")
            )
        except PolicyAssistantError as exc:
            return error_response(exc)

        msgtype = data.get("msgtype")
        if msgtype == "stream":
            stream_id = str((data.get("stream") or {}).get("id", ""))
            state = self.streams.get(stream_id)
            if state is None:
                return self._reply(self.crypto, _stream(stream_id, EXPIRED, True))
            return self._reply(self.crypto, _stream(state.stream_id, state.content, state.finished))
        if msgtype == "event":
            event = (data.get("event") or {}).get("eventtype")
            if event == "enter_chat":
                # The one event WeCom lets a bot answer with plain text: a greeting.
                return self._reply(self.crypto, {"msgtype": "text", "text": {"content": WELCOME}})
            return PlainTextResponse("")

        question = _question_of(data)
        if question is None:
            return self._reply(self.crypto, _stream(_new_id(), TEXT_ONLY, True))
        if not question:
            return self._reply(self.crypto, _stream(_new_id(), EMPTY_QUESTION, True))
        state = await self._start(data, question)
        return self._reply(self.crypto, _stream(state.stream_id, state.content, state.finished))

    async def _start(self, data: dict[str, Any], question: str) -> StreamState:
        """Start answering (once per msgid) and wait briefly so quick answers arrive in one reply."""
        msgid = str(data.get("msgid") or _new_id())
        fresh = StreamState(stream_id=_new_id(), question=question, content=PENDING)
        known = self.stream_of_msg.add_if_absent(msgid, fresh.stream_id)
        if known is not None:
            # WeCom re-sent a message we already took: report on the same stream, answer once.
            return self.streams.get(known) or StreamState(known, question, EXPIRED, finished=True)
        self.streams.set(fresh.stream_id, fresh)
        sender = str((data.get("from") or {}).get("userid", ""))
        conversation = f"bot:{data.get('chatid') or 'single'}:{sender}"
        future = self.answerer.submit(self._answer, fresh, conversation, question)
        # Poll rather than await a wrapped future: the worker must never call into a loop that has ended.
        deadline = time.monotonic() + self.first_reply_wait_s
        while not future.done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return fresh

    def _answer(self, state: StreamState, conversation: str, question: str) -> None:
        """Background job: fill the stream with the formatted answer, then mark it finished."""
        content = trim_utf8(self.answerer.answer(conversation, question), STREAM_LIMIT_BYTES, "\n…")
        state.content = content
        state.finished = True  # set last: a poll that sees finished also sees the content

    @staticmethod
    def _reply(crypto: WeComCrypto, plain: dict[str, Any]) -> Response:
        envelope = crypto.encrypt_json(json.dumps(plain, ensure_ascii=False), random_nonce())
        return Response(envelope, media_type="application/json")


def _new_id() -> str:
    return uuid.uuid4().hex


def _stream(stream_id: str, content: str, finish: bool) -> dict[str, Any]:
    return {"msgtype": "stream", "stream": {"id": stream_id, "finish": finish, "content": content}}


def _question_of(data: dict[str, Any]) -> str | None:
    """The text of a text or mixed message (group @mention removed); None for non-text messages."""
    msgtype = data.get("msgtype")
    if msgtype == "text":
        text = str((data.get("text") or {}).get("content", ""))
    elif msgtype == "mixed":
        items = (data.get("mixed") or {}).get("msg_item") or []
        texts = [
            str((i.get("text") or {}).get("content", ""))
            for i in items
            if isinstance(i, dict) and i.get("msgtype") == "text"
        ]
        if not texts:
            return None
        text = "\n".join(texts)
    else:
        return None
    if data.get("chattype") == "group":
        # In a group the bot is addressed as "@机器人 问题"; the mention is not part of the question.
        text = _MENTION.sub("", text, count=1)
    return text.strip()
