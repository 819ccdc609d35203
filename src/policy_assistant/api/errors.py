"""The one translation of errors to HTTP: ``{"error": {"code", "message", "message_zh"}}`` for every status.

Domain errors carry their ``.status``; FastAPI's request validation (422) and Starlette's HTTP errors
(404, 405) are put in the same shape, the one OpenAI clients read (``error.message``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import PolicyAssistantError, Unauthorized

_HTTP_ZH = {400: "请求格式错误", 401: "需要访问密钥", 403: "没有权限", 404: "未找到", 405: "不支持该请求方法",
            413: "请求内容过大", 415: "不支持的内容类型", 429: "请求过于频繁"}


def error_code(exc: PolicyAssistantError) -> str:
    """``FileTooLarge`` → ``file_too_large``; the base class → ``policy_assistant_error``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def error_body(exc: PolicyAssistantError) -> dict[str, Any]:
    """The JSON error object (also the shape OpenAI clients read: ``error.message``)."""
    return {"error": {"code": error_code(exc), "message": exc.message, "message_zh": exc.message_zh}}


def _body(code: str, message: str, message_zh: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "message_zh": message_zh, **extra}}


async def policy_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answer a domain error with its status and both messages."""
    assert isinstance(exc, PolicyAssistantError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse(error_body(exc), status_code=exc.status, headers=headers)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A request that does not match its schema: 422 with the field errors under ``error.details``."""
    assert isinstance(exc, RequestValidationError)
    details = jsonable_encoder(exc.errors(), custom_encoder={bytes: lambda b: b.decode("utf-8", "replace")})
    for d in details:
        d.pop("input", None)  # never echo a (possibly huge) body back
        d.pop("ctx", None)
    first = details[0] if details else {}
    where = ".".join(str(p) for p in first.get("loc", []))
    message = f"invalid request: {where}: {first.get('msg', 'invalid')}" if first else "invalid request"
    return JSONResponse(_body("invalid_request", message, "请求参数不正确", details=details), status_code=422)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (unknown path, wrong method) in the same shape."""
    assert isinstance(exc, StarletteHTTPException)
    zh = _HTTP_ZH.get(exc.status_code, "请求失败")
    message = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail, ensure_ascii=False)
    code = re.sub(r"\W+", "_", message.lower()).strip("_") or "http_error"
    return JSONResponse(_body(code, message, zh), status_code=exc.status_code, headers=exc.headers)


def install_error_handler(app: FastAPI) -> None:
    """Register the handlers for domain errors, request validation and Starlette's HTTP errors."""
    app.add_exception_handler(PolicyAssistantError, policy_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)


NESTING_SCAN = 256  # bodies with fewer brackets than this cannot be too deep
MAX_JSON_DEPTH = 64


def _too_deep(body: bytes) -> bool:
    """True when brackets outside strings nest deeper than ``MAX_JSON_DEPTH`` (the parser would recurse away)."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class BodyLimit:
    """Refuse a request body over ``limit`` bytes with 413 in the error shape, before the app parses it.

    Multipart uploads are left to the upload route, which counts them against ``PA_MAX_UPLOAD_MB``.
    The body is read (up to the limit) and replayed, so no route ever sees more.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        total = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            total += len(message.get("body", b""))
            if total > self.limit:
                await self._refuse(scope, receive, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body.count(b"[") + body.count(b"{") > NESTING_SCAN and _too_deep(body):
            response = JSONResponse(_body("bad_input", f"JSON nested deeper than {MAX_JSON_DEPTH} levels",
                                          "请求格式错误（JSON 嵌套过深）"), status_code=400)
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        kb = self.limit // 1024
        body = _body("request_too_large", f"request body over {kb} KB (PA_MAX_BODY_KB)",
                     f"请求内容过大（上限 {kb} KB），请缩短问题或对话历史")
        await JSONResponse(body, status_code=413)(scope, receive, send)
