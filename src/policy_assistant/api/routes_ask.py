"""Questions and look-ups: /healthz, /v1/ask, /v1/ask/stream (SSE), /v1/search, /v1/targets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..errors import PolicyAssistantError
from ..knowledge.export import targets_csv, targets_xlsx
from ..models import Answer
from ..service import PolicyService
from .deps import get_service
from .errors import error_body
from .schemas import AskRequest
from .sse import SSE_HEADERS, first_and_rest, sse_event

health_router = APIRouter(tags=["health"])
router = APIRouter(tags=["questions"])
Service = Annotated[PolicyService, Depends(get_service)]

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@health_router.get("/healthz", summary="Readiness: documents, chunks, model, index version")
async def healthz(request: Request, service: Service) -> JSONResponse:
    """200 with the counts when the index is loaded, 503 (same fields) while starting or without an index.

    A failed start-up warm-up is reported in ``startup_error`` (questions may fail until it is fixed).
    """
    info: dict[str, Any] = await run_in_threadpool(service.health)
    info["ready"] = bool(info.get("ready")) and bool(getattr(request.app.state, "ready", False))
    if getattr(request.app.state, "startup_error", None):
        info["startup_error"] = request.app.state.startup_error
    return JSONResponse(info, status_code=200 if info["ready"] else 503)


@router.post("/ask", response_model=Answer, summary="Answer a question with citations (the `ask --json` contract)")
async def ask(body: AskRequest, service: Service) -> JSONResponse:
    """Answer one question; ``history`` gives earlier turns for follow-ups."""
    answer = await run_in_threadpool(service.ask, body.question, body.history, body.top_k, body.explain)
    return JSONResponse(answer.model_dump(mode="json") if body.explain else _contract(answer))


@router.post(
    "/ask/stream",
    summary="Stream an answer as server-sent events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": (
        "`event: delta` {text, part}… (the answer as laid out: part `note`, `headline` — the figure first —, "
        "`source`, `rest`; LLM tokens have part `rest`) then `event: citations` {citations: [...]}, `event: answer` (the full contract), "
        "`event: done`. A failure after the stream started arrives as `event: error`.")}},
)
async def ask_stream(body: AskRequest, service: Service) -> StreamingResponse:
    """The answer text as it is produced, then its citations."""
    first, rest = await first_and_rest(service.ask_stream(body.question, body.history, body.top_k, body.explain))

    async def events() -> AsyncIterator[str]:
        try:
            if first is not None:
                yield _sse(first)
            async for event in rest:
                yield _sse(event)
        except PolicyAssistantError as exc:
            yield sse_event(error_body(exc), "error")
            return
        yield sse_event({}, "done")

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


def _contract(answer: Answer) -> dict[str, Any]:
    """The answer as JSON; ``trace`` only when asked for (``reason`` is always there, null when answered)."""
    return answer.model_dump(mode="json", exclude={"trace"})


def _sse(event: dict[str, Any]) -> str:
    if event["type"] == "delta":
        return sse_event({"text": event["text"], "part": event.get("part", "rest")}, "delta")
    answer: Answer = event["answer"]
    cites = [c.model_dump(mode="json") for c in answer.citations]
    return sse_event({"citations": cites}, "citations") + sse_event(answer.model_dump(mode="json"), "answer")


@router.get("/search", summary="Hybrid search over the indexed clauses")
async def search(
    service: Service,
    q: Annotated[str, Query(description="Question or keywords.")],
    k: Annotated[int, Query(ge=1, le=50, description="Number of hits.")] = 5,
    doc: Annotated[str | None, Query(description="Restrict to one document id.")] = None,
) -> dict[str, Any]:
    """Hits with document, section path, page, score and text."""
    hits = await run_in_threadpool(service.search, q, k, doc)
    return {"query": q, "count": len(hits), "hits": [h.to_dict() for h in hits]}


@router.get(
    "/targets",
    summary="The targets ledger (JSON, or a CSV / Excel download)",
    responses={200: {"content": {"application/json": {}, "text/csv": {}, XLSX_TYPE: {}}}},
)
async def targets(
    service: Service,
    year: Annotated[int | None, Query(ge=1949, le=2100, description="Target year, e.g. 2025.")] = None,
    q: Annotated[str | None, Query(description="Keyword in the figure's indicator or clause, e.g. 托位.")] = None,
    doc: Annotated[str | None, Query(description="Document id or part of its title.")] = None,
    format: Annotated[Literal["json", "csv", "xlsx"], Query(description="Response format.")] = "json",
    kind: Annotated[Literal["target", "history", "limit", "all"], Query(
        description="target (figures to reach), history (figures reached), limit (fines, time limits), or all.")] = "target",
) -> Response:
    """Every quantitative target with its year, figure, section and source sentence."""
    items = await run_in_threadpool(service.targets, year, q, doc, kind)
    if format == "csv":
        # The BOM lets Excel and WPS open the Chinese text as UTF-8.
        return Response("\ufeff" + targets_csv(items), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="targets.csv"'})
    if format == "xlsx":
        data = await run_in_threadpool(targets_xlsx, items)
        return Response(data, media_type=XLSX_TYPE, headers={"Content-Disposition": 'attachment; filename="targets.xlsx"'})
    return JSONResponse({"count": len(items), "targets": [t.model_dump(mode="json") for t in items]})
