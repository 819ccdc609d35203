"""Versioned index folders with an atomic swap: build in a temp folder, rename, then flip CURRENT.

Layout under ``index_dir``: ``versions/<version>/`` (complete snapshots), ``CURRENT`` (name of the
live version, replaced with ``os.replace``), ``.lock`` (one writer at a time), ``.tmp-*`` (builds in
progress; removed when found stale). A crash at any point leaves CURRENT naming a complete version.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from ..errors import IndexNotReady
from .snapshot import Snapshot

KEEP_VERSIONS = 3


class IndexStore:
    """Reads and writes snapshot versions under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    def current_version(self) -> str | None:
        """Name of the live version, or None when nothing was built yet."""
        try:
            name = (self.root / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if name and (self.versions_dir / name / "manifest.json").exists():
            return name
        return None

    def exists(self) -> bool:
        return self.current_version() is not None

    def load(self) -> Snapshot:
        """Load the live version; IndexNotReady when there is none."""
        version = self.current_version()
        if version is None:
            raise IndexNotReady(
                f"no index in {self.root}; run `policy-assistant ingest` first",
                f"尚未建立索引（{self.root}），请先运行 policy-assistant ingest",
            )
        return Snapshot.load(self.versions_dir / version)

    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """Serialise writers across threads and processes (advisory file lock)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def publish(self, snapshot: Snapshot) -> str:
        """Save ``snapshot`` as a new version and make it live atomically. Call under ``writer_lock``.

        Returns:
            The new version's name.
        """
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temps()
        version = snapshot.version or time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6]
        tmp = self.root / f".tmp-{version}"
        snapshot.save(tmp)
        _fsync_tree(tmp)
        final = self.versions_dir / version
        os.rename(tmp, final)
        pointer = self.root / "CURRENT.tmp"
        with pointer.open("w", encoding="utf-8") as fh:
            fh.write(version)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer, self.root / "CURRENT")
        _fsync_dir(self.root)
        self._prune(keep=version)
        return version

    def _remove_stale_temps(self) -> None:
        for tmp in self.root.glob(".tmp-*"):
            shutil.rmtree(tmp, ignore_errors=True)

    def _prune(self, keep: str) -> None:
        versions = sorted((p for p in self.versions_dir.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        old = [p for p in versions if p.name != keep][: max(0, len(versions) - KEEP_VERSIONS)]
        for path in old:
            shutil.rmtree(path, ignore_errors=True)


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
