"""Bearer-key check for every ``/v1/*`` route when ``PA_API_KEYS`` is set."""

from __future__ import annotations

from fastapi import Request

from ..errors import Unauthorized
from ..keys import key_is_valid

__all__ = ["key_is_valid", "require_api_key"]


def require_api_key(request: Request) -> None:
    """FastAPI dependency: raise ``Unauthorized`` (401) unless ``Authorization: Bearer <key>`` matches.

    Args:
        request: the incoming request; the keys come from the app's settings.
    """
    keys = request.app.state.settings.api_key_list
    if not keys:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key_is_valid(token.strip(), keys):
        raise Unauthorized(
            "missing or invalid API key: send 'Authorization: Bearer <key>'",
            "缺少或错误的 API 密钥：请在请求头中提供 Authorization: Bearer <密钥>",
        )
