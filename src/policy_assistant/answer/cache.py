"""Recent answers by key, and one computation for a question asked by several people at once.

Answers are pure functions of (index version, question, history, top_k, mode), so a repeat is served
from memory. A question that arrives while the same one is still being answered waits for that answer
instead of computing it again (a "singleflight"): under load, popular questions arrive together.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from ..models import Answer


@dataclass
class _Flight:
    """An answer being computed; followers wait on ``done``."""

    done: threading.Event = field(default_factory=threading.Event)
    answer: Answer | None = None
    error: BaseException | None = None


class AnswerCache:
    """A thread-safe LRU of answers with in-flight de-duplication. Callers always get their own copy."""

    def __init__(self, size: int) -> None:
        """Keep up to ``size`` answers (least recently used dropped first)."""
        self._size = max(1, size)
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._flights: dict[Hashable, _Flight] = {}
        self.computed = 0  # answers computed (for tests and benchmarks)

    def get_or_compute(self, key: Hashable, compute: Callable[[], Answer]) -> Answer:
        """The answer for ``key``: cached, awaited from a caller computing it now, or computed here.

        Args:
            key: Everything the answer depends on.
            compute: Makes the answer (called at most once at a time per key).

        Returns:
            A copy the caller may change (e.g. its latency).

        Raises:
            Whatever ``compute`` raised, for the caller that ran it and those waiting on it; errors are
            not cached.
        """
        with self._lock:
            cached = self._answers.get(key)
            if cached is not None:
                self._answers.move_to_end(key)
            else:
                running = self._flights.get(key)
                flight = running or self._flights.setdefault(key, _Flight())
        if cached is not None:
            return cached.model_copy(deep=True)
        if running is not None:  # someone is computing it: wait for theirs
            flight.done.wait()
            if flight.error is not None:
                raise flight.error
            assert flight.answer is not None
            return flight.answer.model_copy(deep=True)
        try:
            answer = compute()
            flight.answer = answer.model_copy(deep=True)
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
                if flight.answer is not None:
                    self.computed += 1
                    self._answers[key] = flight.answer
                    while len(self._answers) > self._size:
                        self._answers.popitem(last=False)
            flight.done.set()
        return answer

    def clear(self) -> None:
        """Forget every cached answer (in-flight ones still reach their waiters)."""
        with self._lock:
            self._answers.clear()
