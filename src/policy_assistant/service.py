"""The facade every interface calls (CLI, API, page, WeCom, eval): index, search, answer, ledgers."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .answer.cache import AnswerCache
from .config import Settings
from .errors import BadInput, Forbidden
from .index.encoders import Encoder, create_encoder
from .index.snapshot import Snapshot
from .index.vectorstore import create_index_store
from .ingest.indexer import is_under
from .ingest.normalise import normalise_query
from .keys import key_is_valid
from .models import Answer, Document, Duty, Hit, Message, Penalty, Target
from .retrieve.hybrid import HybridRetriever, SearchFilter

if TYPE_CHECKING:  # the indexer pulls in every loader (pypdf, docx, bs4): not needed to answer
    from .ingest.indexer import Indexer, IngestReport, Progress

MAX_QUESTION_CHARS = 2000
ANSWER_CACHE_SIZE = 512


class PolicyService:
    """Owns the live snapshot (swapped atomically after an ingest) and the lazily loaded models."""

    def __init__(self, settings: Settings, encoder: Encoder | None = None) -> None:
        self.settings = settings
        self._encoder = encoder
        self.store: Any = create_index_store(settings)  # FAISS folders or Milvus + registry (PA_STORE)
        self._snapshot: Snapshot | None = None
        self._lock = threading.RLock()
        self._engine: Any = None
        # answers are pure functions of (index version, question, history, top_k): cache the recent ones,
        # and compute a question asked by several people at once only once
        self._answers = AnswerCache(ANSWER_CACHE_SIZE)

    # ----- models and index --------------------------------------------------------------
    @property
    def encoder(self) -> Encoder:
        if self._encoder is None:
            with self._lock:
                if self._encoder is None:
                    self._encoder = create_encoder(self.settings)
        return self._encoder

    def load_serving_models(self) -> bool:
        """Load what pays off in a long-running server only: the batched query encoder (a few seconds).

        Returns:
            True when questions are now embedded through the batched folder model.
        """
        load = getattr(self.encoder, "load_query_model", None)
        return bool(self.settings.fast_query_encoder and load is not None and load())

    @property
    def indexer(self) -> Indexer:
        from .ingest.indexer import Indexer

        return Indexer(self.settings, self.encoder, self.store)

    @property
    def snapshot(self) -> Snapshot:
        """The live snapshot; loaded on first use, reloaded when another process published a new one."""
        snap = self._snapshot
        current = self.store.current_version()
        if snap is None or (current is not None and current != snap.version):
            with self._lock:
                snap = self._snapshot
                if snap is None or (current is not None and current != snap.version):
                    snap = self.store.load()
                    self._snapshot = snap
                    self._engine = None
        return snap

    def ensure_index(self, progress: Progress | None = None) -> IngestReport | None:
        """Build the index from ``corpus_dir`` when none exists (first run of `serve`).

        On a shared store, first remove what an interrupted write left (unless a writer is busy).
        """
        recover = getattr(self.store, "recover", None)
        if recover is not None:
            recover()
        if self.store.exists():
            return None
        return self.ingest([self.settings.corpus_dir], progress=progress)

    def ingest(self, paths: list[Path], progress: Progress | None = None, prune_missing: bool = True) -> IngestReport:
        report = self.indexer.ingest(paths, progress=progress, prune_missing=prune_missing)
        self._refresh()
        return report

    def upload(self, filename: str, data: bytes, replace: str | None = None,
               progress: Progress | None = None) -> tuple[Document, IngestReport]:
        """Index an uploaded file; nothing changes when it is rejected (or ``progress`` raises to cancel).

        Args:
            replace: the id of an uploaded document this file replaces (else a new id, never a silent replace).
        """
        doc_id, report = self.indexer.add_upload(filename, data, self.uploads_dir, replace=replace, progress=progress)
        self._refresh()
        return self.snapshot.doc_by_id[doc_id], report

    def delete(self, doc_id: str, admin_key: str | None = None) -> IngestReport:
        """Remove a document. With ``PA_ADMIN_KEYS`` set every removal needs one of them; without, uploads may
        be removed and core (library) documents never.

        Raises:
            Forbidden: no right admin key. NotFound: no such document.
        """
        self.check_removal(doc_id, admin_key)
        report = self.indexer.delete(doc_id, self.uploads_dir)
        self._refresh()
        return report

    def check_removal(self, doc_id: str, admin_key: str | None) -> None:
        """Raise :class:`Forbidden` unless ``admin_key`` may remove ``doc_id`` (see :meth:`delete`)."""
        keys = self.settings.admin_key_list
        if keys:
            if not key_is_valid(admin_key or "", keys):
                raise Forbidden("removing a document needs an admin key (X-Admin-Key, PA_ADMIN_KEYS)",
                                "删除文件需要管理员密钥")
            return
        doc = self.snapshot.doc_by_id.get(doc_id)
        if doc is not None and not self.is_upload(doc):
            raise Forbidden("core documents can be removed only with an admin key: set PA_ADMIN_KEYS",
                            "核心文件只能由管理员删除（需配置管理员密钥 PA_ADMIN_KEYS）")

    def public_document(self, doc: Document) -> dict[str, Any]:
        """A document as shown to clients: no server paths (``source`` says only where it came from)."""
        d = doc.to_dict()
        d["source"] = "upload" if self.is_upload(doc) else "library"
        return d

    def is_upload(self, doc: Document) -> bool:
        """True for a document uploaded through the API or page (False for a core, library document)."""
        return is_under(Path(doc.source), self.uploads_dir)

    @property
    def uploads_dir(self) -> Path:
        return self.settings.data_dir / "uploads"

    def _refresh(self) -> None:
        with self._lock:
            self._snapshot = None
            self._engine = None
        _ = self.snapshot

    # ----- queries ------------------------------------------------------------------------
    def retriever(self, snapshot: Snapshot | None = None) -> HybridRetriever:
        return HybridRetriever(snapshot or self.snapshot, self.encoder, self.settings)

    def search(self, query: str, k: int | None = None, doc: str | None = None) -> list[Hit]:
        """Hybrid search; ``doc`` restricts to one document id."""
        _check_question(query)
        flt = SearchFilter(doc_ids={doc}) if doc else None
        return self.retriever().search(query, k=k, flt=flt)

    def engine(self) -> Any:
        """The answer engine bound to the live snapshot (rebuilt after a swap)."""
        from .answer.engine import AnswerEngine

        snap = self.snapshot
        engine = self._engine
        if engine is None or engine.snapshot is not snap:
            engine = AnswerEngine(snap, self.retriever(snap), self.settings)
            self._engine = engine
        return engine

    def ask(self, question: str, history: list[Message] | None = None, top_k: int | None = None,
            explain: bool = False) -> Answer:
        """Answer a question (with optional conversation history) with citations.

        Args:
            explain: keep the pipeline's trace (``[{stage, rule, detail}]``) on the answer.
        """
        _check_question(question, history)
        history = self.trim_history(history)
        t0 = time.perf_counter()
        engine = self.engine()
        # a digest, not the texts: a cached key costs the same whatever the request carried
        digest = hashlib.sha256(json.dumps([question, [(m.role, m.content) for m in history]]).encode()).hexdigest()
        key = (engine.snapshot.version, digest, top_k, self.settings.llm_enabled)
        cached = self._answers.get_or_compute(key, lambda: engine.answer(question, history or [], top_k=top_k))
        # the cached answer is shared between requests: each request gets its own copy
        answer = cached.model_copy(update={"trace": list(cached.trace or []) if explain else None,
                                           "latency_ms": round((time.perf_counter() - t0) * 1000, 1)})
        return answer

    def trim_history(self, history: list[Message] | None) -> list[Message]:
        """The last ``max_history_turns`` messages, each cut to ``max_message_chars`` (older turns are dropped)."""
        turns = self.settings.max_history_turns
        keep = (history or [])[-turns:] if turns > 0 else []
        cap = self.settings.max_message_chars
        return [m if len(m.content) <= cap else m.model_copy(update={"content": m.content[:cap]}) for m in keep]

    def ask_stream(self, question: str, history: list[Message] | None = None, top_k: int | None = None,
                   explain: bool = False) -> Iterator[dict[str, Any]]:
        """Stream an answer: ``{"type": "delta", "text"}`` events, then ``{"type": "answer", "answer"}``."""
        _check_question(question, history)
        history = self.trim_history(history)
        t0 = time.perf_counter()
        final: Answer | None = None
        for event in self.engine().answer_stream(question, history or [], top_k=top_k):
            if event["type"] == "answer":
                final = event["answer"]
                final.latency_ms = round((time.perf_counter() - t0) * 1000, 1)
                if not explain:
                    final.trace = None
            yield event
        if final is None:  # pragma: no cover - the engine always ends with an answer
            raise RuntimeError("answer stream ended without an answer")

    def targets(self, year: int | None = None, query: str | None = None, doc: str | None = None,
                kind: str | None = "target") -> list[Target]:
        """The targets ledger, filtered by year, keyword (either script), document id and kind.

        Args:
            query: words that must all be in the figure's own clause or indicator (收入 finds the income
                targets, not every figure of a sentence that also mentions income).
            kind: ``target`` (default), ``history``, ``limit``, or None / ``all`` for every row.
        """
        items = self.snapshot.targets
        if kind and kind != "all":
            items = [t for t in items if t.kind == kind]
        if year is not None:
            items = [t for t in items if t.year == year]
        if doc:
            items = [t for t in items if t.doc_id == doc or doc in t.doc_title]
        if query:
            q = normalise_query(query)
            terms = [w for w in q.split() if w] or [q]
            items = [t for t in items if all(w in t.clause or w in t.indicator for w in terms)]
        return items

    def duties(self, doc: str | None = None, actor: str | None = None, role: str | None = None,
               query: str | None = None) -> list[Duty]:
        """The duties ledger (责任清单): every body's role in every task, filtered.

        Args:
            doc: document id or part of its title.
            actor: part of the body's name, either script (农业农村局).
            role: 牵头, 配合, 负责, 审批, 监督, … (exact).
            query: words that must all be in the task.
        """
        from .knowledge.duties import duties

        items = duties(self.snapshot.owners)
        if doc:
            items = [d for d in items if d.doc_id == doc or doc in d.doc_title]
        if actor:
            a = normalise_query(actor)
            items = [d for d in items if a in d.actor]
        if role:
            items = [d for d in items if d.role == role]
        if query:
            words = [w for w in normalise_query(query).split() if w]
            items = [d for d in items if all(w in d.task for w in words)]
        return items

    def penalties(self, doc: str | None = None, query: str | None = None) -> list[Penalty]:
        """Penalty provisions (article punished, act, who imposes, amount range), filtered by document and act."""
        from .knowledge.penalties import extract_penalties

        snap = self.snapshot
        chunks = [c for c in snap.chunks if not doc or c.doc_id == doc or doc in c.doc_title]
        items = extract_penalties(chunks)
        if query:
            words = [w for w in normalise_query(query).split() if w]
            items = [p for p in items if all(w in p.act or w in p.quote for w in words)]
        return items

    def documents(self) -> list[Document]:
        return list(self.snapshot.documents)

    def health(self) -> dict[str, Any]:
        """Readiness and what is loaded; never raises."""
        try:
            snap = self.snapshot
        except Exception as exc:  # noqa: BLE001 - health must report, not fail
            return {"ready": False, "error": str(exc), "documents": 0, "chunks": 0,
                    "model": self.settings.embedding_model, "index_version": None}
        return {
            "ready": True,
            "documents": len(snap.documents),
            "chunks": len(snap.chunks),
            "targets": len(snap.targets),
            "model": snap.model_id,
            "index_version": snap.version,
            "llm": self.settings.llm_model if self.settings.llm_enabled else None,
        }


def _check_question(text: str, history: list[Message] | None = None) -> None:
    if not isinstance(text, str) or not text.strip():
        raise BadInput("empty question", "问题不能为空")
    for part in [text, *(m.content for m in history or [])]:
        try:
            part.encode("utf-8")
        except UnicodeEncodeError as exc:  # a lone surrogate ("\ud800") is valid JSON but no text
            raise BadInput("question or history is not valid Unicode text (lone surrogate)",
                           "问题或对话历史包含无效字符") from exc
    if len(text) > MAX_QUESTION_CHARS:
        raise BadInput(f"question longer than {MAX_QUESTION_CHARS} characters", f"问题过长（超过 {MAX_QUESTION_CHARS} 字）")

