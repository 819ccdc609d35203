"""Batched query encoding: concurrent callers share one encoder call and each gets its own rows back."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from policy_assistant.index.query_batcher import QueryBatcher


class GatedFakeEncoder:
    """A fake encoder: row i is (len(text), first character's code); the first call waits for ``gate``."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.entered = threading.Event()
        self.batches: list[list[str]] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.batches.append(list(texts))
        if len(self.batches) == 1:
            self.entered.set()
            assert self.gate.wait(30)
        if any(t == "boom" for t in texts):
            raise RuntimeError("encoder failed")
        return np.array([[len(t), ord(t[0])] for t in texts], np.float32)


def _wait_for(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.001)


def _start(batcher: QueryBatcher, texts: list[str], out: dict[str, object]) -> threading.Thread:
    def run() -> None:
        try:
            out[texts[0]] = batcher.encode(texts)
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            out[texts[0]] = exc

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_an_idle_batcher_encodes_a_lone_query_at_once_with_the_fake_encoder() -> None:
    fake = GatedFakeEncoder()
    fake.gate.set()
    batcher = QueryBatcher(fake)
    np.testing.assert_array_equal(batcher.encode(["乡村"]), [[2, ord("乡")]])
    assert fake.batches == [["乡村"]] and batcher.calls == 1


def test_questions_arriving_during_a_call_are_encoded_together_and_each_caller_gets_its_rows() -> None:
    fake = GatedFakeEncoder()
    batcher = QueryBatcher(fake, max_batch=32)
    out: dict[str, object] = {}
    first = _start(batcher, ["a"], out)
    assert fake.entered.wait(30)
    waiting = ["bb", "ccc", "dddd", "eeeee"]
    threads = [_start(batcher, [t, t + "x"], out) for t in waiting]
    _wait_for(lambda: len(batcher._queue) == len(waiting))
    fake.gate.set()
    for t in [first, *threads]:
        t.join(30)
    assert len(fake.batches) == 2  # the four waiting callers shared one call
    assert sorted(fake.batches[1]) == sorted(t for w in waiting for t in (w, w + "x"))
    for w in waiting:
        np.testing.assert_array_equal(out[w], [[len(w), ord(w[0])], [len(w) + 1, ord(w[0])]])
    assert batcher.calls == 2 and batcher.texts == 1 + 2 * len(waiting)


def test_max_batch_splits_the_queue_between_calls() -> None:
    fake = GatedFakeEncoder()
    batcher = QueryBatcher(fake, max_batch=2)
    out: dict[str, object] = {}
    first = _start(batcher, ["a"], out)
    assert fake.entered.wait(30)
    threads = [_start(batcher, [t], out) for t in ("b", "c", "d")]
    _wait_for(lambda: len(batcher._queue) == 3)
    fake.gate.set()
    for t in [first, *threads]:
        t.join(30)
    assert [len(b) for b in fake.batches] == [1, 2, 1]
    assert {k: np.asarray(v).tolist() for k, v in out.items()} == {
        t: [[1.0, float(ord(t))]] for t in "abcd"
    }


def test_an_encoder_error_reaches_every_caller_of_that_batch_and_the_next_call_works() -> None:
    fake = GatedFakeEncoder()
    batcher = QueryBatcher(fake)
    out: dict[str, object] = {}
    first = _start(batcher, ["a"], out)
    assert fake.entered.wait(30)
    threads = [_start(batcher, ["boom"], out), _start(batcher, ["bystander"], out)]
    _wait_for(lambda: len(batcher._queue) == 2)
    fake.gate.set()
    for t in [first, *threads]:
        t.join(30)
    assert isinstance(out["boom"], RuntimeError) and isinstance(out["bystander"], RuntimeError)
    np.testing.assert_array_equal(batcher.encode(["ok"]), [[2, ord("o")]])
    with pytest.raises(RuntimeError):
        batcher.encode(["boom"])
