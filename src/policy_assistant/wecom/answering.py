"""Answer WeCom questions off the request thread, in order per user, with each user's recent history."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from policy_assistant.errors import PolicyAssistantError
from policy_assistant.models import Answer, Message
from policy_assistant.wecom.format import format_answer
from policy_assistant.wecom.sessions import ConversationHistory, UserLocks

log = logging.getLogger(__name__)

AskFn = Callable[[str, list[Message]], Answer]
"""What WeCom needs from the core: ``PolicyService.ask(question, history)``."""

SORRY = "抱歉，系统暂时无法回答，请稍后再试。"
MAX_QUESTION_CHARS = 1000


class Answerer:
    """Runs ``ask`` in a small thread pool and turns its answers (or errors) into chat text."""

    def __init__(self, ask: AskFn, history_turns: int, *, workers: int = 2) -> None:
        """Args:
        ask: the core's ask function.
        history_turns: turns of per-user history passed to ``ask`` (settings.wecom_history_turns).
        workers: answers computed at once; the rest queue (answering is CPU-bound on 2 cores).
        """
        self._ask = ask
        self.history = ConversationHistory(history_turns)
        self._locks = UserLocks()
        self._executor = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="wecom-answer")
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        """Run ``fn(*args)`` in the pool; exceptions are logged, never lost.

        Args:
            fn: the job.
            *args: its arguments.

        Returns:
            The job's future.
        """
        future = self._executor.submit(fn, *args)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._done)
        return future

    def _done(self, future: Future[Any]) -> None:
        with self._pending_lock:
            self._pending.discard(future)
        if not future.cancelled() and future.exception() is not None:
            log.error("WeCom background job failed", exc_info=future.exception())

    def answer(self, conversation: str, question: str) -> str:
        """Answer one question for one conversation and remember the turn.

        Args:
            conversation: who is asking (e.g. "app:zhangsan"); history and ordering are per key.
            question: the member's text.

        Returns:
            WeCom markdown: the formatted answer, or a polite Chinese explanation when answering failed.
        """
        question = question.strip()[:MAX_QUESTION_CHARS]
        # One question at a time per member, so the second sees the first in its history.
        with self._locks(conversation):
            history = self.history.get(conversation)
            try:
                answer = self._ask(question, history)
            except PolicyAssistantError as exc:
                log.warning("WeCom question failed: %s", exc)
                return exc.message_zh
            except Exception:
                log.exception("WeCom question crashed: %r", question)
                return SORRY
            self.history.add(conversation, question, answer.answer)
        return format_answer(answer)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no job is queued or running.

        Args:
            timeout: seconds to wait at most; None waits forever.

        Returns:
            True when idle, False on timeout.
        """
        with self._pending_lock:
            pending = set(self._pending)
        if not pending:
            return True
        _, not_done = wait(pending, timeout=timeout)
        return not not_done

    def close(self, *, wait_for_jobs: bool = True) -> None:
        """Stop the pool (after the queued answers are delivered when ``wait_for_jobs``)."""
        self._executor.shutdown(wait=wait_for_jobs, cancel_futures=not wait_for_jobs)
