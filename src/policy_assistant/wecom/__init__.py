"""WeCom (企业微信) interface: callbacks for the self-built app and AI bot, and the group-robot pusher."""

from policy_assistant.wecom.answering import AskFn
from policy_assistant.wecom.client import WeComApiError, WeComClient
from policy_assistant.wecom.crypto import (
    WeComCrypto,
    WeComCryptoError,
    WeComReceiveIdError,
    WeComSignatureError,
)
from policy_assistant.wecom.format import format_answer, format_targets_digest
from policy_assistant.wecom.router import WeComService, create_wecom_router
from policy_assistant.wecom.webhook import push_markdown

__all__ = [
    "AskFn",
    "WeComApiError",
    "WeComClient",
    "WeComCrypto",
    "WeComCryptoError",
    "WeComReceiveIdError",
    "WeComService",
    "WeComSignatureError",
    "create_wecom_router",
    "format_answer",
    "format_targets_digest",
    "push_markdown",
]
