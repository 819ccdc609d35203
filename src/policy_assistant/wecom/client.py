"""WeCom server API client: cached access_token and ``message/send`` within the byte limits."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from policy_assistant.config import Settings
from policy_assistant.errors import ConfigError, PolicyAssistantError

log = logging.getLogger(__name__)

MESSAGE_LIMIT_BYTES = 2048  # text and markdown content of message/send
# errcodes meaning "this access_token is no good": 40014 invalid, 42001 expired, 40001 invalid credential.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# Refresh a little before WeCom's own expiry so a token never dies between check and use.
TOKEN_MARGIN_S = 300.0
TRIM_MARK = "\n…（内容过长，已截断）"


class WeComApiError(PolicyAssistantError):
    """WeCom's API answered with an errcode or could not be reached (502)."""

    status = 502

    def __init__(self, message: str, errcode: int | None = None) -> None:
        super().__init__(message, "企业微信接口调用失败")
        self.errcode = errcode


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes (WeCom counts bytes: a Chinese character is 3)."""
    return len(text.encode("utf-8"))


def trim_utf8(text: str, limit: int, mark: str = "") -> str:
    """Cut ``text`` to at most ``limit`` UTF-8 bytes, ending with ``mark`` when cut.

    Args:
        text: the text.
        limit: maximum size in bytes, mark included.
        mark: appended when something was cut (e.g. "…（已截断）").

    Returns:
        ``text`` itself when it fits; otherwise a prefix cut at a line end when one is near, else at a
        character boundary, followed by ``mark``.
    """
    if utf8_len(text) <= limit:
        return text
    room = max(0, limit - utf8_len(mark))
    # Decoding with "ignore" drops only the partial character left at the cut.
    head = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    newline = head.rfind("\n")
    if newline >= len(head) * 0.6:
        head = head[:newline]
    return head.rstrip() + mark


def split_utf8(text: str, limit: int = MESSAGE_LIMIT_BYTES) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-8 bytes, preferring line boundaries.

    Args:
        text: the text.
        limit: maximum bytes per part.

    Returns:
        Non-empty parts in order; a single line longer than ``limit`` is cut at character boundaries.
    """
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        if utf8_len(current + line) <= limit:
            current += line
            continue
        if current.strip():
            parts.append(current.rstrip("\n"))
        current = ""
        while utf8_len(line) > limit:
            head = line.encode("utf-8")[:limit].decode("utf-8", "ignore")
            parts.append(head)
            line = line[len(head) :]
        current = line
    if current.strip():
        parts.append(current.rstrip("\n"))
    return parts


class WeComClient:
    """Calls the self-built app's server API (``gettoken``, ``message/send``) with a cached token."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.Client | None = None,
        *,
        max_parts: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Args:
        settings: needs wecom_corp_id, wecom_secret, wecom_agent_id and wecom_api_base.
        http: an httpx client to use (tests pass one); one with a 10 s timeout is made otherwise.
        max_parts: a long answer becomes at most this many messages (WeCom allows 30/min per member).
        clock: monotonic seconds, for token expiry.
        """
        missing = [
            name
            for name, value in (
                ("PA_WECOM_CORP_ID", settings.wecom_corp_id),
                ("PA_WECOM_SECRET", settings.wecom_secret),
                ("PA_WECOM_AGENT_ID", settings.wecom_agent_id),
            )
            if value in (None, "")
        ]
        if missing:
            raise ConfigError(
                f"WeCom sending needs {', '.join(missing)}", f"企业微信发送消息需要配置 {', '.join(missing)}"
            )
        self.corp_id = str(settings.wecom_corp_id)
        self.secret = str(settings.wecom_secret)
        self.agent_id = int(settings.wecom_agent_id or 0)
        self.api_base = settings.wecom_api_base.rstrip("/")
        self.max_parts = max(1, max_parts)
        self._own_http = http is None
        self._http = http or httpx.Client(timeout=10.0)
        self._clock = clock
        self._token: str | None = None
        self._token_expires = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the HTTP client when this object made it."""
        if self._own_http:
            self._http.close()

    def get_token(self, *, force_refresh: bool = False) -> str:
        """The access_token, fetched once and reused until shortly before it expires.

        Args:
            force_refresh: drop the cached token first (after WeCom rejected it).

        Returns:
            A valid access_token.
        """
        with self._lock:
            if force_refresh:
                self._token = None
            if self._token and self._clock() < self._token_expires:
                return self._token
            data = self._request(
                "GET", "/cgi-bin/gettoken", params={"corpid": self.corp_id, "corpsecret": self.secret}
            )
            token = data.get("access_token")
            if not isinstance(token, str) or not token:
                raise WeComApiError("gettoken returned no access_token")
            expires_in = float(data.get("expires_in") or 7200)
            self._token = token
            self._token_expires = self._clock() + max(60.0, expires_in - TOKEN_MARGIN_S)
            return token

    def _request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, self.api_base + path, **kwargs)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise WeComApiError(f"WeCom {path} failed: {exc}") from exc
        if not isinstance(data, dict):
            raise WeComApiError(f"WeCom {path} returned {type(data).__name__}, not an object")
        errcode = int(data.get("errcode") or 0)
        if errcode:
            raise WeComApiError(f"WeCom {path} errcode {errcode}: {data.get('errmsg', '')}", errcode)
        return data

    def call(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST ``payload`` to an API path with the token, retrying once when the token was rejected.

        Args:
            path: e.g. "/cgi-bin/message/send".
            payload: the JSON body.

        Returns:
            WeCom's JSON answer (errcode 0).
        """
        token = self.get_token()
        try:
            return self._request("POST", path, params={"access_token": token}, json=payload)
        except WeComApiError as exc:
            if exc.errcode not in TOKEN_ERRCODES:
                raise
            log.info("WeCom rejected the access_token (errcode %s); refreshing once", exc.errcode)
            token = self.get_token(force_refresh=True)
            return self._request("POST", path, params={"access_token": token}, json=payload)

    def _parts(self, content: str) -> list[str]:
        parts = split_utf8(content, MESSAGE_LIMIT_BYTES)
        if len(parts) > self.max_parts:
            # Fill the last allowed message and say it was cut, rather than flood the member's chat.
            rest = "\n".join(parts[self.max_parts - 1 :])
            parts = [*parts[: self.max_parts - 1], trim_utf8(rest, MESSAGE_LIMIT_BYTES, TRIM_MARK)]
        return parts

    def _send(self, user: str, msgtype: str, content: str) -> list[dict[str, Any]]:
        results = []
        for part in self._parts(content):
            payload = {
                "touser": user,
                "msgtype": msgtype,
                "agentid": self.agent_id,
                msgtype: {"content": part},
            }
            result = self.call("/cgi-bin/message/send", payload)
            if result.get("invaliduser"):
                # errcode 0 but not delivered: the member left, or is outside the app's visible range.
                log.warning("WeCom did not deliver to %r (invaliduser): check the app's 可见范围", user)
            results.append(result)
        return results

    def send_text(self, user: str, content: str) -> list[dict[str, Any]]:
        """Send plain text to one member, split into ≤ 2048-byte messages.

        Args:
            user: the member's UserID (``FromUserName`` of the inbound message).
            content: the text.

        Returns:
            WeCom's answer for each message sent.
        """
        return self._send(user, "text", content)

    def send_markdown(self, user: str, content: str) -> list[dict[str, Any]]:
        """Send WeCom markdown to one member, split into ≤ 2048-byte messages.

        Args:
            user: the member's UserID.
            content: WeCom-flavoured markdown.

        Returns:
            WeCom's answer for each message sent.
        """
        return self._send(user, "markdown", content)
