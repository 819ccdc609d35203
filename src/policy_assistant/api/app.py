"""The one FastAPI app: REST API under /v1, OpenAPI docs at /docs, WeCom callbacks, the Gradio page at ``ui_path``."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool

from .. import __version__
from ..config import Settings
from ..ingest.indexer import clean_uploads_dir
from ..service import PolicyService
from . import dify, openai_compat, routes_ask, routes_docs, routes_ledgers
from .auth import require_api_key
from .errors import BodyLimit, install_error_handler
from .jobs import JobRunner

log = logging.getLogger(__name__)

DESCRIPTION = """Cited answers from Chinese policy documents.

* `POST /v1/ask` — the JSON contract of `policy-assistant ask --json`; `POST /v1/ask/stream` streams it (SSE).
* `POST /v1/chat/completions` — OpenAI-compatible; point any OpenAI client at `<this server>/v1`.
* `GET /v1/search`, `GET /v1/targets` (JSON, `format=csv|xlsx`), `GET /v1/documents`.
* `POST /v1/documents` (202 with an indexing job; `?wait=true` for 201), `GET /v1/jobs/{id}`,
  `PUT /v1/documents/{id}` (replace an upload), `DELETE /v1/documents/{id}`.

With `PA_API_KEYS` set every `/v1/*` call needs `Authorization: Bearer <key>`.
Every error is `{"error": {"code", "message", "message_zh"}}` (invalid requests: 422 with `error.details`).
"""


def warm_up(service: PolicyService) -> None:
    """Build the index from the corpus if there is none, then load it, the encoders, the tokenizer and the engine."""
    report = service.ensure_index()
    if report is not None:
        log.info("index built: %d documents, %d chunks in %.1fs", report.documents, report.chunks, report.seconds)
    if service.load_serving_models():
        log.info("questions are embedded with the batched folder model")
    service.engine()
    service.search("乡村振兴", k=1)
    service.ask("托位要新增多少个")  # first-use costs of answering (speller, part-of-speech table, lexicon)


def _wecom(settings: Settings, service: PolicyService) -> Any:
    try:
        from ..wecom.router import WeComService
    except ImportError:  # the WeCom package is optional in a trimmed build
        return None
    return WeComService(settings, service.ask)


def create_app(
    settings: Settings,
    service: PolicyService | None = None,
    *,
    ui: bool = True,
    warm: bool = True,
) -> FastAPI:
    """Build the app. Nothing heavy happens here: the index and models load in the lifespan.

    Args:
        settings: the product settings.
        service: a service to share (tests pass one); a new ``PolicyService(settings)`` otherwise.
        ui: mount the Gradio page at ``settings.ui_path`` (importing Gradio takes a few seconds).
        warm: build/load the index and models at start-up (``/healthz`` is 503 until done).

    Returns:
        The FastAPI application (run it with uvicorn, or ``TestClient`` in a ``with`` block).
    """
    service = service or PolicyService(settings)
    wecom = _wecom(settings, service)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tidied = clean_uploads_dir(service.uploads_dir)  # a kill during an upload leaves folders behind
        if tidied:
            log.info("upload folders tidied at start: %s", ", ".join(tidied))
        if warm:
            try:
                await run_in_threadpool(warm_up, service)
                live = {d.doc_id for d in service.documents()}
                orphans = clean_uploads_dir(service.uploads_dir, live) if settings.store == "faiss" else []
                if orphans:  # (with Milvus another worker may be mid-upload: left alone)
                    log.info("upload folders with no document removed: %s", ", ".join(orphans))
            except Exception as exc:  # noqa: BLE001 - keep serving; /healthz reports the problem
                log.exception("start-up failed")
                app.state.startup_error = str(exc)
        app.state.ready = True
        try:
            yield
        finally:
            app.state.jobs.shutdown()  # a running upload job stops at its next step and publishes nothing
            if wecom is not None:
                await run_in_threadpool(wecom.close)

    app = FastAPI(title="policy_assistant", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.service = service
    app.state.write_lock = threading.Lock()
    app.state.jobs = JobRunner(service, app.state.write_lock, settings.ingest_job_timeout_s)
    app.state.ready = False
    app.state.startup_error = None
    install_error_handler(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_kb * 1024)
    if settings.cors_origin_list:  # browser-side clients (LobeChat, a web page of another team)
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origin_list, allow_methods=["*"],
                           allow_headers=["*"], expose_headers=["Location"])

    app.include_router(routes_ask.health_router)
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)])
    v1.include_router(routes_ask.router)
    v1.include_router(routes_docs.router)
    v1.include_router(routes_ledgers.router)
    v1.include_router(openai_compat.router)
    v1.include_router(dify.router)
    app.include_router(v1)
    if wecom is not None:
        app.include_router(wecom.router)
    if ui:  # last: a page mounted at "/" receives every path not matched above
        from ..ui.page import mount_page

        mount_page(app, service, settings, app.state.write_lock)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory policy_assistant.api.app:app_from_env`` (settings from ``PA_*``)."""
    return create_app(Settings())


def run_server(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    """Serve the app with uvicorn.

    With ``workers > 1`` each worker process builds its own app from the ``PA_*`` environment (so
    settings must come from the environment, as the CLI's do). Workers see a newly published index on
    their next request, but keep uploads and deletes on a single worker: the FAISS index is written
    from one process, and the Gradio page needs all of a browser's requests on the same worker.

    Args:
        settings: the product settings (used as they are when ``workers == 1``).
        host: bind address.
        port: TCP port.
        workers: uvicorn worker processes.
    """
    import uvicorn

    if workers <= 1:
        uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    else:
        uvicorn.run("policy_assistant.api.app:app_from_env", factory=True, host=host, port=port,
                    workers=workers, log_level="info")
