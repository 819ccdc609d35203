"""The answer cache: repeats from memory, and one computation for a question asked by many at once."""

from __future__ import annotations

import threading
import time

import pytest

from policy_assistant.answer.cache import AnswerCache
from policy_assistant.models import Answer


def _answer(text: str) -> Answer:
    return Answer(question="q", answer=text, answered=True, citations=[], mode="extractive")


def _wait_for(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def test_concurrent_askers_of_one_question_share_one_computation_and_get_their_own_copies() -> None:
    cache = AnswerCache(8)
    gate, started, calls = threading.Event(), threading.Event(), []

    def compute() -> Answer:
        calls.append(1)
        started.set()
        assert gate.wait(30)
        return _answer("到2025年达到5.7万元")

    results: list[Answer] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", compute))) for _ in range(6)]
    threads[0].start()
    assert started.wait(30)
    for t in threads[1:]:
        t.start()
    time.sleep(0.05)  # let the followers reach the wait (if one comes later it hits the cache: same result)
    gate.set()
    for t in threads:
        t.join(30)
    assert len(calls) == 1 and cache.computed == 1
    assert [r.answer for r in results] == ["到2025年达到5.7万元"] * 6
    assert len({id(r) for r in results}) == 6  # a caller changing its copy (latency) changes no other
    assert cache.get_or_compute("k", compute).answer == "到2025年达到5.7万元" and len(calls) == 1


def test_an_error_reaches_the_waiting_askers_and_is_not_cached() -> None:
    cache = AnswerCache(8)
    gate, started = threading.Event(), threading.Event()

    def failing() -> Answer:
        started.set()
        assert gate.wait(30)
        raise RuntimeError("index unavailable")

    errors: list[BaseException] = []

    def ask() -> None:
        try:
            cache.get_or_compute("k", failing)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(3)]
    threads[0].start()
    assert started.wait(30)
    for t in threads[1:]:
        t.start()
    time.sleep(0.05)  # let the followers reach the wait (the result is the same if they come later)
    gate.set()
    for t in threads:
        t.join(30)
    assert len(errors) == 3
    assert cache.get_or_compute("k", lambda: _answer("recovered")).answer == "recovered"


def test_the_least_recently_used_answer_is_dropped_first() -> None:
    cache = AnswerCache(2)
    for key in ("a", "b"):
        cache.get_or_compute(key, lambda key=key: _answer(key))  # type: ignore[misc]
    cache.get_or_compute("a", lambda: pytest.fail("cached"))  # "a" is now the most recent
    cache.get_or_compute("c", lambda: _answer("c"))
    assert cache.get_or_compute("a", lambda: _answer("again")).answer == "a"
    assert cache.get_or_compute("b", lambda: _answer("recomputed")).answer == "recomputed"


def test_service_answers_a_question_asked_by_many_at_once_once(built_settings) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.service import PolicyService

    service = PolicyService(built_settings)
    service.engine()
    question = "农村居民人均可支配收入2027年要达到多少？"
    answers: list[Answer] = []
    threads = [threading.Thread(target=lambda: answers.append(service.ask(question))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == 8 and len({a.answer for a in answers}) == 1 and "6.5万元" in answers[0].answer
    assert service._answers.computed == 1
