"""Server-sent events from the service's blocking generators, without blocking the event loop."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool

T = TypeVar("T")

SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
_END = object()


def sse_event(data: Any, event: str | None = None) -> str:
    """One event on the wire: optional ``event:`` line, one JSON ``data:`` line, blank line."""
    head = f"event: {event}\n" if event else ""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return f"{head}data: {payload}\n\n"


def _next(it: Iterator[T]) -> T | object:
    return next(it, _END)


async def first_and_rest(it: Iterator[T]) -> tuple[T | None, AsyncIterator[T]]:
    """Run the generator to its first item in a worker thread, so errors before it (a bad question) raise here.

    Returns:
        The first item (None when there is none) and an async iterator over the rest, each step in a thread.
    """
    first = await run_in_threadpool(_next, it)

    async def rest() -> AsyncIterator[T]:
        while True:
            item = await run_in_threadpool(_next, it)
            if item is _END:
                return
            yield item  # type: ignore[misc]

    return (None if first is _END else first), rest()  # type: ignore[return-value]
