"""What every tab of the page needs: the service, settings, the write lock, the feedback and conversation stores."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

from ..config import Settings
from ..feedback import FeedbackStore
from ..service import PolicyService
from .conversations import ConversationStore


@dataclass
class PageContext:
    """Shared by the tabs; ``write_lock`` is the same lock the REST upload/delete routes take."""

    service: PolicyService
    settings: Settings
    write_lock: threading.Lock
    feedback: FeedbackStore

    @cached_property
    def conversations(self) -> ConversationStore:
        """The page's conversations by browser session, beside the feedback in ``data_dir``."""
        return ConversationStore.in_data_dir(self.settings.data_dir)
