"""What every tab of the page needs: the service, settings, the write lock and the feedback store."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..config import Settings
from ..feedback import FeedbackStore
from ..service import PolicyService


@dataclass
class PageContext:
    """Shared by the tabs; ``write_lock`` is the same lock the REST upload/delete routes take."""

    service: PolicyService
    settings: Settings
    write_lock: threading.Lock
    feedback: FeedbackStore
