"""Request plumbing shared by the two WeCom callbacks: query parameters, body limits, error replies."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import PlainTextResponse

from policy_assistant.config import Settings
from policy_assistant.errors import BadInput, ConfigError, FileTooLarge, PolicyAssistantError
from policy_assistant.wecom.crypto import WeComCrypto

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # WeCom callbacks are a few KB; anything near this is not WeCom


@dataclass(frozen=True)
class CallbackParams:
    """The signed query parameters every WeCom callback carries."""

    msg_signature: str
    timestamp: str
    nonce: str
    echostr: str = ""


def read_params(request: Request, *, need_echostr: bool = False) -> CallbackParams:
    """Take msg_signature/timestamp/nonce (and echostr) from the query string.

    Args:
        request: the incoming request (Starlette has already URL-decoded the values).
        need_echostr: the URL-verification GET also needs ``echostr``.

    Returns:
        The parameters; raises ``BadInput`` when one is missing.
    """
    q = request.query_params
    names = ["msg_signature", "timestamp", "nonce"] + (["echostr"] if need_echostr else [])
    missing = [n for n in names if not q.get(n)]
    if missing:
        raise BadInput(f"missing query parameter(s): {', '.join(missing)}", "缺少企业微信回调参数")
    return CallbackParams(q["msg_signature"], q["timestamp"], q["nonce"], q.get("echostr", ""))


async def read_body(request: Request) -> bytes:
    """The request body, refused past ``MAX_BODY_BYTES``.

    Args:
        request: the incoming request.

    Returns:
        The raw body.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise FileTooLarge("WeCom callback body too large", "企业微信消息过大")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise FileTooLarge("WeCom callback body too large", "企业微信消息过大")
    return body


def error_response(exc: PolicyAssistantError) -> PlainTextResponse:
    """The one place WeCom callback errors become HTTP: status from the error class, English text.

    Args:
        exc: the domain error.

    Returns:
        A plain-text response with ``exc.status``.
    """
    # 4xx are expected noise (scanners, misconfigured tokens): warn, don't page anyone.
    log.warning("WeCom callback refused (%s): %s", exc.status, exc.message)
    return PlainTextResponse(exc.message, status_code=exc.status)


def not_configured(reason: str) -> PlainTextResponse:
    """503 for a callback whose settings are missing or invalid; the rest of the app keeps working."""
    return PlainTextResponse(f"WeCom is not configured: {reason}", status_code=503)


def build_crypto(
    settings: Settings, receive_id: str | None, *, max_skew_s: float | None
) -> tuple[WeComCrypto | None, str]:
    """A codec from settings, or None and the reason it cannot be built.

    Args:
        settings: needs wecom_token and wecom_aes_key.
        receive_id: CorpID for the app, "" for the AI bot, None when the CorpID is not set.
        max_skew_s: timestamp window in seconds.

    Returns:
        (codec, "") or (None, reason).
    """
    missing = [
        env
        for env, value in (
            ("PA_WECOM_TOKEN", settings.wecom_token),
            ("PA_WECOM_AES_KEY", settings.wecom_aes_key),
            ("PA_WECOM_CORP_ID", receive_id),
        )
        if value is None or (env != "PA_WECOM_CORP_ID" and not value)
    ]
    if missing:
        return None, "set " + ", ".join(missing)
    try:
        return WeComCrypto(
            str(settings.wecom_token), str(settings.wecom_aes_key), str(receive_id), max_skew_s=max_skew_s
        ), ""
    except ConfigError as exc:
        # A typo in the WeCom key must not take the API and the page down with it.
        log.error("WeCom callback disabled: %s", exc.message)
        return None, exc.message
