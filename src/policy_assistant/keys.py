"""Access keys: comparing a given key with the configured ones (constant time), for the API, page and admin."""

from __future__ import annotations

import hmac


def key_is_valid(token: str, keys: list[str]) -> bool:
    """True when ``token`` is one of ``keys`` (constant-time comparison)."""
    given = token.encode()
    return any(hmac.compare_digest(given, k.encode()) for k in keys)
