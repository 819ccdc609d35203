"""In-memory, bounded WeCom state: seen message ids, per-user history, AI-bot streams."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from policy_assistant.models import Message

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    """A thread-safe LRU map whose entries also expire ``ttl_s`` after their last write."""

    def __init__(self, max_items: int, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        """Args:
        max_items: least-recently-written entries are dropped beyond this.
        ttl_s: seconds an entry lives after it was last written.
        clock: monotonic seconds; injectable for tests.
        """
        self.max_items = max_items
        self.ttl_s = ttl_s
        self._clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def _expire(self, now: float) -> None:
        # Entries are kept in write order, so expired ones are all at the front.
        while self._items:
            key, (written, _) = next(iter(self._items.items()))
            if now - written <= self.ttl_s and len(self._items) <= self.max_items:
                break
            del self._items[key]

    def get(self, key: K) -> V | None:
        """The live value for ``key``, or None."""
        with self._lock:
            self._expire(self._clock())
            entry = self._items.get(key)
            return entry[1] if entry else None

    def set(self, key: K, value: V) -> None:
        """Store ``value`` and restart its time to live."""
        with self._lock:
            now = self._clock()
            self._items.pop(key, None)
            self._items[key] = (now, value)
            self._expire(now)

    def add_if_absent(self, key: K, value: V) -> V | None:
        """Store ``value`` unless ``key`` is live; return the existing value, or None when stored.

        One atomic step, so two concurrent deliveries of the same WeCom retry cannot both win.
        """
        with self._lock:
            now = self._clock()
            self._expire(now)
            entry = self._items.get(key)
            if entry is not None:
                return entry[1]
            self._items[key] = (now, value)
            self._expire(now)
            return None

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._items)


class ConversationHistory:
    """The last few turns per user, so follow-ups like "那2027年呢?" resolve against what came before."""

    def __init__(
        self,
        turns: int,
        *,
        max_users: int = 2000,
        ttl_s: float = 1800.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Args:
        turns: question/answer pairs kept per user (0 disables history).
        max_users: conversations kept at once.
        ttl_s: a conversation idle this long starts afresh (yesterday's topic should not steer today's).
        clock: monotonic seconds.
        """
        self.turns = max(0, turns)
        self._cache: TtlCache[str, tuple[Message, ...]] = TtlCache(max_users, ttl_s, clock)

    def get(self, user: str) -> list[Message]:
        """The user's recent messages, oldest first (a copy)."""
        return list(self._cache.get(user) or ())

    def add(self, user: str, question: str, answer: str) -> None:
        """Append one turn and keep only the last ``turns``."""
        if self.turns == 0:
            return
        turn = (Message(role="user", content=question), Message(role="assistant", content=answer))
        kept = (*(self._cache.get(user) or ()), *turn)[-2 * self.turns :]
        self._cache.set(user, kept)


@dataclass
class StreamState:
    """One AI-bot streamed answer: what the next refresh poll should show."""

    stream_id: str
    question: str
    content: str
    finished: bool = False
    created: float = field(default_factory=time.monotonic)


class UserLocks:
    """One lock per conversation, so a user's questions are answered in the order they were asked."""

    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def __call__(self, key: str) -> threading.Lock:
        """The lock for ``key`` (created on first use)."""
        with self._guard:
            # Bounded in practice by the corp's member count; a lock is a few dozen bytes.
            return self._locks.setdefault(key, threading.Lock())
