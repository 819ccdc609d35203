"""Group robot (群机器人) webhook: push a markdown message to a WeCom group."""

from __future__ import annotations

from typing import Any

import httpx

from policy_assistant.errors import BadInput, ConfigError
from policy_assistant.wecom.client import WeComApiError, trim_utf8

WEBHOOK_MARKDOWN_LIMIT = 4096  # bytes; WeCom answers errcode 40058 past it
WEBHOOK_TRIM_MARK = "\n…（内容过长，已截断）"


def push_markdown(webhook_url: str | None, text: str, http: httpx.Client | None = None) -> dict[str, Any]:
    """Send ``text`` as a markdown message to a group robot, trimmed to 4096 bytes.

    Args:
        webhook_url: the robot's URL (``…/cgi-bin/webhook/send?key=…``), e.g. settings.wecom_webhook_url.
        text: WeCom markdown.
        http: an httpx client to use; a short-lived one with a 10 s timeout otherwise.

    Returns:
        WeCom's JSON answer (errcode 0).

    Raises:
        ConfigError: no webhook URL configured.
        BadInput: the message is empty.
        WeComApiError: WeCom refused the message or could not be reached.
    """
    if not webhook_url:
        raise ConfigError("No group robot webhook: set PA_WECOM_WEBHOOK_URL", "未配置群机器人 Webhook 地址")
    if not text.strip():
        raise BadInput("Nothing to push: the message is empty", "推送内容为空")
    payload = {
        "msgtype": "markdown",
        "markdown": {"content": trim_utf8(text, WEBHOOK_MARKDOWN_LIMIT, WEBHOOK_TRIM_MARK)},
    }
    client = http or httpx.Client(timeout=10.0)
    try:
        response = client.post(webhook_url, json=payload)
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise WeComApiError(f"group robot webhook failed: {exc}") from exc
    finally:
        if http is None:
            client.close()
    if not isinstance(data, dict):
        raise WeComApiError("group robot webhook returned a non-object")
    errcode = int(data.get("errcode") or 0)
    if errcode:
        raise WeComApiError(f"group robot webhook errcode {errcode}: {data.get('errmsg', '')}", errcode)
    return data
