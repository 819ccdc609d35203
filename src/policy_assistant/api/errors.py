"""The one translation of domain errors to HTTP: ``{"error": {"code", "message", "message_zh"}}`` with ``.status``."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..errors import PolicyAssistantError, Unauthorized


def error_code(exc: PolicyAssistantError) -> str:
    """``FileTooLarge`` → ``file_too_large``; the base class → ``policy_assistant_error``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def error_body(exc: PolicyAssistantError) -> dict[str, Any]:
    """The JSON error object (also the shape OpenAI clients read: ``error.message``)."""
    return {"error": {"code": error_code(exc), "message": exc.message, "message_zh": exc.message_zh}}


async def policy_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """Answer a domain error with its status and both messages."""
    assert isinstance(exc, PolicyAssistantError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthorized) else None
    return JSONResponse(error_body(exc), status_code=exc.status, headers=headers)


def install_error_handler(app: FastAPI) -> None:
    """Register the handler; FastAPI's own 422 for invalid requests is left as it is."""
    app.add_exception_handler(PolicyAssistantError, policy_error_handler)
