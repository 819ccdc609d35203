"""The shared index (``PA_STORE=milvus``): vectors and BM25 in Milvus, documents and ledgers in the
registry. Several workers (and machines, with a Milvus server and PostgreSQL) read and write it.

It answers like ``IndexStore`` (``current_version``, ``exists``, ``load``, ``writer_lock``), but a
write sends only what changed (``publish_changes``):

1. journal the new version tags (registry ``pending``: 'writing');
2. write the chunk rows of each changed document under its new tag (vectors re-used where unchanged);
3. one registry transaction: the new versions go live, old ones become 'retired' (the atomic flip);
4. delete the retired rows and forget them.

A crash before 3 leaves the old versions live and the new rows excluded from every search; a crash
after it leaves retired rows, also excluded. Both are deleted by the next writer or at start-up
(``recover``). So a document is searchable whole, or not at all.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..config import Settings
from ..errors import IndexNotReady
from .milvus_store import MilvusStore, connect
from .registry import DocumentRecord, Registry, RegistryState, default_url
from .snapshot import Snapshot

if TYPE_CHECKING:
    from ..ingest.prepare import PreparedDocument
    from .encoders import Encoder

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]


def collection_name(model_id: str, dim: int) -> str:
    """One collection per embedding model: changing the model builds a new one, then swaps."""
    return f"pa_chunks_{zlib.crc32(model_id.encode()):08x}_{dim}"


def new_tag() -> str:
    return uuid.uuid4().hex[:16]


class SharedIndexStore:
    """Milvus + the relational registry, behind the same calls as the FAISS ``IndexStore``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.registry = Registry(settings.database_url or default_url(settings.resolved(settings.data_dir)))
        self._client: Any = None
        self._cached: tuple[int, RegistryState] | None = None
        self._loaded: set[str] = set()

    @property
    def client(self) -> Any:
        if self._client is None:
            uri = self.settings.milvus_uri
            if uri.endswith(".db"):
                self.settings.resolved(Path(uri)).parent.mkdir(parents=True, exist_ok=True)
            self._client = connect(uri, self.settings.milvus_token, self.settings.milvus_db)
        return self._client

    def vectors(self, collection: str | None = None) -> MilvusStore:
        """The live collection (or a named one), unbound: every row visible (tools, benchmarks)."""
        name = collection or self.registry.manifest().get("collection")
        if not name:
            raise IndexNotReady("the shared index is empty; run `policy-assistant ingest` or `migrate --to milvus`")
        return self._searchable(MilvusStore(self.client, name))

    def _searchable(self, store: MilvusStore) -> MilvusStore:
        if store.collection not in self._loaded:
            store.ensure_loaded()
            self._loaded.add(store.collection)
        return store

    # ----- reading ------------------------------------------------------------------------
    def current_version(self) -> str | None:
        gen, journal = self.registry.state_key()
        return f"{gen}.{journal}" if gen else None

    def exists(self) -> bool:
        return self.current_version() is not None

    def load(self) -> Snapshot:
        """The registry as a snapshot whose searches go to Milvus (metadata re-read only after a commit)."""
        gen, journal = self.registry.state_key()
        if not gen:
            raise IndexNotReady(
                "no shared index yet; run `policy-assistant ingest` or `policy-assistant migrate --to milvus`",
                "共享索引尚未建立，请先运行 policy-assistant ingest 或 policy-assistant migrate --to milvus",
            )
        if self._cached is not None and self._cached[0] == gen:
            state = self._cached[1]
            state.pending = self.registry.pending()
        else:
            state = self.registry.load()
            self._cached = (state.generation, state)
        live = {r.document.doc_id: r.version for r in state.records}
        store = self._searchable(MilvusStore(self.client, state.manifest["collection"]))
        store = store.bind(live, [p[0] for p in state.pending])
        manifest = {
            **state.manifest,
            "version": f"{state.generation}.{journal}",
            "store": "milvus",
            "documents": {
                r.document.doc_id: {"sha256": r.document.sha256, "chunks": len(r.chunks),
                                    "source": r.document.source, "version": r.version}
                for r in state.records
            },
        }
        dim = int(state.manifest.get("dim") or 0)
        return Snapshot(
            manifest=manifest,
            documents=[r.document for r in state.records],
            outlines={r.document.doc_id: r.outline for r in state.records},
            chunks=[c for r in state.records for c in r.chunks],
            vectors=np.zeros((0, dim), dtype=np.float32),
            dense=None,
            lexical=None,
            targets=[t for r in state.records for t in r.targets],
            owners=[o for r in state.records for o in r.owners],
            store=store,
        )

    # ----- writing ------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(self) -> Iterator[None]:
        """One writer across workers; the first thing a writer does is clear what a crash left."""
        with self.registry.writer_lock():
            self._collect_orphans()
            yield

    def recover(self) -> int:
        """Start-up clean-up of an interrupted write, unless another worker is writing right now.

        Returns:
            Version tags removed from the vector store.
        """
        with self.registry.writer_lock(blocking=False) as held:
            return self._collect_orphans() if held else 0

    def _collect_orphans(self) -> int:
        pending = self.registry.pending()
        by_coll: dict[str, list[str]] = {}
        for version, _doc, _state, coll in pending:
            by_coll.setdefault(coll, []).append(version)
        for coll, tags in by_coll.items():
            store = MilvusStore(self.client, coll)
            if store.exists():
                store.delete_versions(tags)
            self.registry.forget_pending(tags)
            log.info("removed %d unfinished or retired document versions from %s", len(tags), coll)
        return len(pending)

    def publish_changes(
        self,
        docs: list[PreparedDocument],
        changed: set[str],
        removed: set[str],
        manifest: dict[str, Any],
        encoder: Encoder,
        progress: Progress | None = None,
    ) -> tuple[str, int]:
        """Write the changed documents, drop the removed ones, flip the registry. Call under ``writer_lock``.

        Returns:
            (the new version, how many chunks were embedded).
        """
        coll = collection_name(encoder.model_id, encoder.dim)
        live = self.registry.live_versions()
        rebuild = self.registry.manifest().get("collection") not in (None, coll)
        keep = {p.document.doc_id for p in docs}
        write = [p for p in docs if rebuild or p.document.doc_id in changed or p.document.doc_id not in live]
        store = MilvusStore(self.client, coll)
        store.ensure_collection(encoder.dim)
        tags = {p.document.doc_id: new_tag() for p in write}
        self.registry.begin_write(tags, coll)
        # vectors of chunks that did not change are read back, not recomputed
        known: dict[str, np.ndarray] = {}
        for p in write:
            doc_id = p.document.doc_id
            if doc_id in live and not rebuild:
                known.update(store.vectors_of(doc_id, live[doc_id]))
        todo = [c for p in write for c in p.chunks if c.chunk_id not in known]
        if todo:
            def step(done: int) -> None:
                if progress:
                    progress("embed", done, len(todo))

            step(0)
            fresh = encoder.encode_passages([c.embedding_text() for c in todo], progress=step)
            known.update({c.chunk_id: fresh[i] for i, c in enumerate(todo)})
            step(len(todo))
        records = [DocumentRecord(p.document, p.outline, p.chunks, p.targets, p.owners, tags[p.document.doc_id])
                   for p in write]
        version = self._flip(store, records, {c.chunk_id: known[c.chunk_id] for p in write for c in p.chunks},
                             (removed | set(live)) - keep, manifest, encoder.dim, rebuild)
        return version, len(todo)

    def import_snapshot(self, snapshot: Snapshot, progress: Progress | None = None) -> str:
        """Copy a FAISS snapshot (documents, ledgers and its vectors: nothing re-embedded). Replaces all."""
        dim = int(snapshot.vectors.shape[1])
        coll = collection_name(snapshot.model_id, dim)
        with self.writer_lock():
            live = self.registry.live_versions()
            rebuild = self.registry.manifest().get("collection") not in (None, coll)
            store = MilvusStore(self.client, coll)
            store.ensure_collection(dim)
            parts: dict[str, tuple[list[Any], list[Any], list[Any]]] = {d.doc_id: ([], [], []) for d in snapshot.documents}
            columns: tuple[list[Any], ...] = (snapshot.chunks, snapshot.targets, snapshot.owners)
            for i, items in enumerate(columns):
                for item in items:
                    parts[item.doc_id][i].append(item)
            records = [DocumentRecord(d, snapshot.outlines[d.doc_id], *parts[d.doc_id], new_tag())
                       for d in snapshot.documents]
            self.registry.begin_write({r.document.doc_id: r.version for r in records}, coll)
            vectors = {c.chunk_id: snapshot.vectors[i] for i, c in enumerate(snapshot.chunks)}
            manifest = {k: v for k, v in snapshot.manifest.items() if k not in ("documents", "version")}
            removed = set(live) - {d.doc_id for d in snapshot.documents}
            return self._flip(store, records, vectors, removed, manifest, dim, rebuild, progress)

    def _flip(
        self, store: MilvusStore, records: list[DocumentRecord], vectors: dict[str, np.ndarray],
        removed: set[str], manifest: dict[str, Any], dim: int, rebuild: bool, progress: Progress | None = None,
    ) -> str:
        total = sum(len(r.chunks) for r in records)
        done = 0
        for r in records:
            if r.chunks:
                store.upsert(r.chunks, np.stack([vectors[c.chunk_id] for c in r.chunks]), r.version)
            done += len(r.chunks)
            if progress:
                progress("write", done, total)
        old_coll = self.registry.manifest().get("collection")
        self.registry.commit(records, removed, {**manifest, "dim": dim}, store.collection,
                             retire_collection=old_coll if rebuild else None)
        self._collect_orphans()
        if rebuild and old_coll:
            MilvusStore(self.client, old_coll).drop()
        return self.current_version() or ""


def migrate_from_faiss(settings: Settings, progress: Progress | None = None) -> dict[str, Any]:
    """Copy the FAISS index under ``settings.index_dir`` into Milvus + the registry, vectors as they are.

    Returns:
        Counts and timing for the CLI: documents, chunks, rows now in the collection, seconds.
    """
    import time

    from .store import IndexStore

    t0 = time.perf_counter()
    snapshot = IndexStore(settings.index_dir).load()
    target = SharedIndexStore(settings)
    version = target.import_snapshot(snapshot, progress)
    store = target.vectors()
    return {
        "documents": len(snapshot.documents), "chunks": len(snapshot.chunks), "targets": len(snapshot.targets),
        "owners": len(snapshot.owners), "rows": store.count(), "collection": store.collection,
        "embedding_model": snapshot.model_id, "version": version, "embedded": 0,
        "seconds": round(time.perf_counter() - t0, 2),
    }
