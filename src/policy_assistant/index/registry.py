"""The relational registry behind a shared store: documents, outlines, chunks and both ledgers, plus the
write journal. SQLite by default; any SQLAlchemy URL (``PA_DATABASE_URL``, e.g. PostgreSQL) when
several workers or machines share it.

A document version goes live in one transaction (``commit``); ``generation`` changes with every
commit, so readers know when to reload. ``pending`` is the journal of vector-store rows that are not
live: versions being written, or retired ones not yet deleted. Whatever it lists after a crash is an
orphan, removed by the next writer or at start-up.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import time
import zlib
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..models import Chunk, Document, Owner, Section, Target

metadata = sa.MetaData()
meta_t = sa.Table("pa_meta", metadata, sa.Column("key", sa.String(64), primary_key=True), sa.Column("value", sa.Text))
documents_t = sa.Table(
    "pa_documents", metadata,
    sa.Column("doc_id", sa.String(256), primary_key=True),
    sa.Column("version", sa.String(64), nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("source", sa.Text),
    sa.Column("title", sa.Text),
    sa.Column("data", sa.Text, nullable=False),  # Document.to_dict()
    sa.Column("outline", sa.Text, nullable=False),  # the Section tree
    sa.Column("updated_at", sa.Float),
)


def _rows_table(name: str, *extra: sa.Column) -> sa.Table:
    """A per-document list (chunks, targets, owners): key columns for SQL users, the model as JSON."""
    return sa.Table(
        name, metadata,
        sa.Column("doc_id", sa.String(256), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        *extra,
        sa.Column("data", sa.Text, nullable=False),
    )


chunks_t = _rows_table("pa_chunks", sa.Column("chunk_id", sa.String(256), index=True), sa.Column("page", sa.Integer))
targets_t = _rows_table("pa_targets", sa.Column("year", sa.Integer, index=True), sa.Column("indicator", sa.Text))
owners_t = _rows_table("pa_owners", sa.Column("owner", sa.Text), sa.Column("form", sa.String(32)))
pending_t = sa.Table(
    "pa_pending", metadata,
    sa.Column("version", sa.String(64), primary_key=True),
    sa.Column("doc_id", sa.String(256), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # writing | retired
    sa.Column("collection", sa.String(256), nullable=False),
    sa.Column("created_at", sa.Float),
)


@dataclass
class DocumentRecord:
    """Everything the registry keeps about one document version."""

    document: Document
    outline: Section
    chunks: list[Chunk]
    targets: list[Target]
    owners: list[Owner]
    version: str


@dataclass
class RegistryState:
    """One consistent read of the registry."""

    generation: int
    manifest: dict[str, Any]
    records: list[DocumentRecord]  # sorted by doc id
    pending: list[tuple[str, str, str, str]]  # (version, doc_id, state, collection)


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{(data_dir / 'registry.db').resolve()}"


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class Registry:
    """Documents and ledgers in SQL; one writer at a time across processes (and machines on PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = sa.create_engine(url, future=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            db = self.engine.url.database or ""
            if db and db != ":memory:":
                Path(db).parent.mkdir(parents=True, exist_ok=True)
        metadata.create_all(self.engine)

    # ----- reads --------------------------------------------------------------------------
    def generation(self) -> int:
        with self.engine.connect() as conn:
            return _generation(conn)

    def pending(self) -> list[tuple[str, str, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(pending_t.c.version, pending_t.c.doc_id, pending_t.c.state,
                                          pending_t.c.collection).order_by(pending_t.c.version))
            return [tuple(r) for r in rows]  # type: ignore[misc]

    def state_key(self) -> tuple[int, int]:
        """(generation, journal counter): changes whenever what a search must see changes."""
        with self.engine.connect() as conn:
            rows = dict(conn.execute(sa.select(meta_t.c.key, meta_t.c.value)
                                     .where(meta_t.c.key.in_(["generation", "journal"]))).all())
        return int(rows.get("generation") or 0), int(rows.get("journal") or 0)

    def manifest(self) -> dict[str, Any]:
        with self.engine.connect() as conn:
            raw = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "manifest")).scalar()
        return json.loads(raw) if raw else {}

    def live_versions(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {d: v for d, v in conn.execute(sa.select(documents_t.c.doc_id, documents_t.c.version))}

    def load(self) -> RegistryState:
        """Read everything in one transaction (a consistent state even while a writer commits)."""
        from .snapshot import section_from_dict

        with self.engine.connect() as conn, conn.begin():
            gen = _generation(conn)
            raw = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "manifest")).scalar()
            grouped: dict[str, dict[str, list[Any]]] = {}
            for name, table in (("chunks", chunks_t), ("targets", targets_t), ("owners", owners_t)):
                for doc_id, data in conn.execute(
                    sa.select(table.c.doc_id, table.c.data).order_by(table.c.doc_id, table.c.position)
                ):
                    grouped.setdefault(doc_id, {}).setdefault(name, []).append(json.loads(data))
            records = []
            for doc_id, version, data, outline in conn.execute(
                sa.select(documents_t.c.doc_id, documents_t.c.version, documents_t.c.data, documents_t.c.outline)
                .order_by(documents_t.c.doc_id)
            ):
                parts = grouped.get(doc_id, {})
                records.append(DocumentRecord(
                    document=Document.from_dict(json.loads(data)),
                    outline=section_from_dict(json.loads(outline)),
                    chunks=[Chunk.from_dict(c) for c in parts.get("chunks", [])],
                    targets=[Target(**t) for t in parts.get("targets", [])],
                    owners=[Owner(**o) for o in parts.get("owners", [])],
                    version=version,
                ))
            pending = [tuple(r) for r in conn.execute(sa.select(
                pending_t.c.version, pending_t.c.doc_id, pending_t.c.state, pending_t.c.collection))]
        return RegistryState(gen, json.loads(raw) if raw else {}, records, pending)  # type: ignore[arg-type]

    # ----- writes (call under writer_lock) ------------------------------------------------
    def begin_write(self, versions: dict[str, str], collection: str) -> None:
        """Journal the versions about to be written (doc id -> new tag) before any row reaches Milvus."""
        if not versions:
            return
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(pending_t.insert(), [
                {"version": v, "doc_id": d, "state": "writing", "collection": collection, "created_at": now}
                for d, v in versions.items()
            ])
            _bump(conn, "journal")

    def commit(self, records: list[DocumentRecord], removed: set[str], manifest: dict[str, Any],
               collection: str, retire_collection: str | None = None) -> int:
        """Make ``records`` live and drop ``removed``, in one transaction. Old versions become 'retired'.

        Returns:
            The new generation.
        """
        now = time.time()
        with self.engine.begin() as conn:
            touched = sorted({r.document.doc_id for r in records} | removed)
            old = {d: v for d, v in conn.execute(sa.select(documents_t.c.doc_id, documents_t.c.version)
                                                  .where(documents_t.c.doc_id.in_(touched)))} if touched else {}
            for table in (documents_t, chunks_t, targets_t, owners_t):
                for start in range(0, len(touched), 500):
                    conn.execute(table.delete().where(table.c.doc_id.in_(touched[start:start + 500])))
            for r in records:
                _insert_record(conn, r, now)
            new_tags = [r.version for r in records]
            for start in range(0, len(new_tags), 500):
                conn.execute(pending_t.delete().where(pending_t.c.version.in_(new_tags[start:start + 500])))
            retired = [{"version": v, "doc_id": d, "state": "retired", "collection": retire_collection or collection,
                        "created_at": now} for d, v in old.items() if v not in new_tags]
            if retired:
                conn.execute(pending_t.insert(), retired)
            _put(conn, "manifest", _dumps({**manifest, "collection": collection}))
            _bump(conn, "journal")
            return _bump(conn, "generation")

    def forget_pending(self, versions: list[str]) -> None:
        """Drop journal rows whose vector-store rows are gone."""
        with self.engine.begin() as conn:
            for start in range(0, len(versions), 500):
                conn.execute(pending_t.delete().where(pending_t.c.version.in_(versions[start:start + 500])))
            _bump(conn, "journal")

    # ----- locking ------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(self, blocking: bool = True) -> Iterator[bool]:
        """One writer at a time: a PostgreSQL advisory lock, else a file lock beside the SQLite file.

        Yields:
            True when the lock is held (always, when ``blocking``).
        """
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                fn = "pg_advisory_lock" if blocking else "pg_try_advisory_lock"
                got = conn.execute(sa.text(f"SELECT {fn}(:k)"), {"k": _LOCK_KEY}).scalar()
                got = True if blocking else bool(got)
                try:
                    yield got
                finally:
                    if got:
                        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _LOCK_KEY})
                        conn.commit()
            return
        with self._lock_path().open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _lock_path(self) -> Path:
        db = self.engine.url.database
        if self.engine.dialect.name == "sqlite" and db and db != ":memory:":
            return Path(db + ".lock")
        # another server database without advisory locks here: one host's writers only
        return Path.home() / f".policy-assistant-{zlib.crc32(self.url.encode()):08x}.lock"


_LOCK_KEY = 0x5041_1D0C  # any constant; the same for every worker


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")  # readers never block the writer (several workers)
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _generation(conn: sa.Connection) -> int:
    raw = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == "generation")).scalar()
    return int(raw) if raw else 0


def _bump(conn: sa.Connection, key: str) -> int:
    raw = conn.execute(sa.select(meta_t.c.value).where(meta_t.c.key == key)).scalar()
    value = int(raw or 0) + 1
    _put(conn, key, str(value))
    return value


def _put(conn: sa.Connection, key: str, value: str) -> None:
    if conn.execute(sa.update(meta_t).where(meta_t.c.key == key).values(value=value)).rowcount == 0:
        conn.execute(meta_t.insert().values(key=key, value=value))


def _insert_record(conn: sa.Connection, r: DocumentRecord, now: float) -> None:
    d = r.document
    conn.execute(documents_t.insert().values(
        doc_id=d.doc_id, version=r.version, sha256=d.sha256, source=d.source, title=d.title,
        data=_dumps(d.to_dict()), outline=_dumps(asdict(r.outline)), updated_at=now,
    ))
    if r.chunks:
        conn.execute(chunks_t.insert(), [
            {"doc_id": d.doc_id, "position": i, "chunk_id": c.chunk_id, "page": c.page, "data": _dumps(c.to_dict())}
            for i, c in enumerate(r.chunks)
        ])
    if r.targets:
        conn.execute(targets_t.insert(), [
            {"doc_id": d.doc_id, "position": i, "year": t.year, "indicator": t.indicator, "data": t.model_dump_json()}
            for i, t in enumerate(r.targets)
        ])
    if r.owners:
        conn.execute(owners_t.insert(), [
            {"doc_id": d.doc_id, "position": i, "owner": o.owner, "form": o.form, "data": o.model_dump_json()}
            for i, o in enumerate(r.owners)
        ])
