"""The role an owner question asks about (管, 批, 查, 罚), read from ``resources/owner_roles.json``."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=1)
def role_vocabulary() -> list[dict[str, Any]]:
    """The roles, each with its id, the pattern of the asking verb, document forms and example questions."""
    text = resources.files("policy_assistant").joinpath("resources/owner_roles.json").read_text(encoding="utf-8")
    roles: list[dict[str, Any]] = json.loads(text)["roles"]
    for role in roles:
        role["pattern"] = re.compile(role["asks"])
    return roles


def asked_roles(frame: str) -> list[dict[str, Any]]:
    """The roles a (normalised) question asks about: "污水设施平时谁管" → role.manage."""
    return [r for r in role_vocabulary() if r["pattern"].search(frame)]

