"""A small SQLite file beside the index (feedback, the page's conversations): created on first use, one
short connection per call, so it is safe from many threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar, TypeVar

S = TypeVar("S", bound="SqliteStore")


class SqliteStore:
    """Subclasses name their file (``FILENAME``) and tables (``SCHEMA``, run once per process)."""

    FILENAME: ClassVar[str] = ""
    SCHEMA: ClassVar[str] = ""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._ready = False

    @classmethod
    def in_data_dir(cls: type[S], data_dir: Path) -> S:
        """The store at ``data_dir/FILENAME``."""
        return cls(Path(data_dir) / cls.FILENAME)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in a transaction (committed on success); the schema is made on first use."""
        if not self._ready:
            with self._lock:
                if not self._ready:
                    self.path.parent.mkdir(parents=True, exist_ok=True)
                    with sqlite3.connect(self.path) as conn:
                        conn.executescript(self.SCHEMA)
                    self._ready = True
        conn = sqlite3.connect(self.path, timeout=10)
        try:
            with conn:
                yield conn
        finally:
            conn.close()
