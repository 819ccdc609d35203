"""Documents: list, upload and replace (multipart, size-capped while streaming, indexed by a job), delete.

Writes are serialised by one lock, which the job runner and the page take too.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..config import Settings
from ..errors import BadInput, Conflict, FileTooLarge, NotFound
from ..ingest.loaders import check_suffix
from ..service import PolicyService
from .deps import get_jobs, get_service, get_settings, get_write_lock
from .jobs import JobRunner

router = APIRouter(tags=["documents"])
Service = Annotated[PolicyService, Depends(get_service)]
T = TypeVar("T")

UPLOAD_FIELD = "file"
MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file itself
SUFFIXES_HINT = "txt, md, html, docx, pdf"

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": [UPLOAD_FIELD],
            "properties": {UPLOAD_FIELD: {"type": "string", "format": "binary",
                                          "description": f"The document ({SUFFIXES_HINT})."}},
        }}},
    }
}


def upload_limit_bytes(settings: Settings) -> int:
    """``PA_MAX_UPLOAD_MB`` in bytes."""
    return int(settings.max_upload_mb * 1024 * 1024)


def _too_large(limit: int, size: int | None = None) -> FileTooLarge:
    mb = limit / 2**20
    seen = f"{size / 2**20:.1f} MB, " if size is not None else ""
    return FileTooLarge(
        f"upload too large ({seen}limit {mb:g} MB, PA_MAX_UPLOAD_MB)",
        f"上传文件过大（{seen.replace(', ', '，')}上限 {mb:g} MB）",
    )


async def read_upload(request: Request, limit: int) -> tuple[str, bytes]:
    """Read the one file of a multipart upload, never holding more than ``limit`` bytes (plus headers).

    The declared Content-Length is checked before anything is read, and the bytes are counted while
    they arrive (a chunked or lying client is cut off at the limit). Files are spooled to disk past 1 MB.

    Args:
        request: a ``multipart/form-data`` request with a ``file`` field.
        limit: largest file accepted, in bytes.

    Returns:
        The client's file name and the file's bytes.

    Raises:
        FileTooLarge: over the limit (413). BadInput: not a multipart upload, no file, a path as name (400).
    """
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise BadInput(
            f"send the document as multipart/form-data in a field named '{UPLOAD_FIELD}'",
            f"请以 multipart/form-data 方式上传，文件字段名为 {UPLOAD_FIELD}",
        )
    cap = limit + MULTIPART_SLACK
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise _too_large(limit, int(declared))

    async def counted() -> AsyncGenerator[bytes, None]:
        total = 0
        async for chunk in request.stream():
            total += len(chunk)
            if total > cap:
                raise _too_large(limit)
            yield chunk

    parser = MultiPartParser(request.headers, counted(), max_files=1, max_fields=10)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadInput(f"malformed multipart upload: {exc.message}", "上传请求格式错误（multipart）") from exc
    try:
        upload = form.get(UPLOAD_FIELD)
        if not isinstance(upload, UploadFile):
            raise BadInput(f"no file in field '{UPLOAD_FIELD}'", f"请求中没有文件（字段名应为 {UPLOAD_FIELD}）")
        name = upload.filename or ""
        if "/" in name or "\\" in name or name.strip(". ") == "":
            raise BadInput(
                f"invalid file name {name!r}: give the bare file name, without folders",
                f"文件名无效：{name!r}，文件名不能包含路径或目录",
            )
        data = await upload.read()
    finally:
        await form.close()
    if len(data) > limit:
        raise _too_large(limit, len(data))
    return name, data


def _locked(lock: threading.Lock, fn: Callable[..., T], *args: Any) -> T:
    with lock:
        return fn(*args)


@router.get("/documents", summary="Indexed documents")
async def list_documents(service: Service) -> dict[str, Any]:
    """Every document in the live index with its metadata and counts (``source``: library or upload)."""
    docs = await run_in_threadpool(service.documents)
    return {"count": len(docs), "documents": [service.public_document(d) for d in docs]}


_UPLOAD_RESPONSES: dict[int | str, dict[str, Any]] = {
    201: {"description": "Indexed (with `?wait=true`)"},
    202: {"description": "Queued: poll `status_url` (GET /v1/jobs/{id})"},
    413: {"description": "Larger than PA_MAX_UPLOAD_MB, or expands past a PA_MAX_* limit"},
    415: {"description": "Unsupported type"},
    422: {"description": "Corrupt, encrypted, empty or textless file"},
}


async def _submit(request: Request, settings: Settings, jobs: JobRunner, wait: bool,
                  replace: str | None = None) -> JSONResponse:
    name, data = await read_upload(request, upload_limit_bytes(settings))
    check_suffix(name)  # a wrong type is refused now (415), not in the job
    job = jobs.submit(name, data, replace=replace)
    if not wait:
        return JSONResponse({"job": job.to_dict()}, status_code=202,
                            headers={"Location": f"/v1/jobs/{job.id}"})
    await run_in_threadpool(jobs.wait, job)
    if job.error is not None:
        return JSONResponse(job.error, status_code=job.http_status or 500)
    return JSONResponse(job.result, status_code=201)


@router.post("/documents", status_code=202, summary="Upload a document (txt/md/html/docx/pdf); indexed by a job",
             openapi_extra=_UPLOAD_BODY, responses=_UPLOAD_RESPONSES)
async def upload_document(
    request: Request,
    settings: Annotated[Settings, Depends(get_settings)],
    jobs: Annotated[JobRunner, Depends(get_jobs)],
    wait: bool = False,
) -> JSONResponse:
    """Queue one file for indexing and answer 202 with the job (``GET /v1/jobs/{id}`` for progress and
    the result). ``?wait=true`` answers when it is indexed (201, or the file's error). A name already
    taken by another document gets a numbered id; a rejected file changes nothing."""
    return await _submit(request, settings, jobs, wait)


@router.put("/documents/{doc_id}", status_code=202, summary="Replace an uploaded document",
            openapi_extra=_UPLOAD_BODY, responses={**_UPLOAD_RESPONSES, 404: {"description": "No such document"},
                                                   409: {"description": "A core (library) document"}})
async def replace_document(
    doc_id: str,
    request: Request,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    jobs: Annotated[JobRunner, Depends(get_jobs)],
    wait: bool = False,
) -> JSONResponse:
    """Replace the uploaded document ``doc_id`` with a new file; it keeps its id."""
    docs = await run_in_threadpool(service.documents)
    doc = next((d for d in docs if d.doc_id == doc_id), None)
    if doc is None:
        raise NotFound(f"document {doc_id!r} not found", f"未找到文档 {doc_id}")
    if not service.is_upload(doc):
        raise Conflict(f"{doc_id} is a core document; update its file in the corpus folder instead",
                       f"{doc_id} 是核心文件，不能通过上传替换，请在文件库目录中更新")
    return await _submit(request, settings, jobs, wait, replace=doc_id)


@router.get("/jobs/{job_id}", summary="An upload job's progress and result")
async def get_job(job_id: str, jobs: Annotated[JobRunner, Depends(get_jobs)]) -> dict[str, Any]:
    """``status``: queued, running, done, failed or cancelled; ``result`` or ``error`` once finished."""
    return {"job": jobs.get(job_id).to_dict()}


@router.get("/jobs", summary="Recent upload jobs")
async def list_jobs(jobs: Annotated[JobRunner, Depends(get_jobs)]) -> dict[str, Any]:
    """The queued, running and recently finished jobs, oldest first."""
    listed = [j.to_dict() for j in jobs.list()]
    return {"count": len(listed), "jobs": listed}


@router.delete("/documents/{doc_id}", summary="Remove a document from the index",
               responses={403: {"description": "No admin key (PA_ADMIN_KEYS), or a core document without one"}})
async def delete_document(
    doc_id: str,
    service: Service,
    lock: Annotated[threading.Lock, Depends(get_write_lock)],
    x_admin_key: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    """Remove one document (an uploaded file is deleted too); 404 when the id is unknown. With `PA_ADMIN_KEYS`
    set, send one as `X-Admin-Key`; without, uploads may be removed and core documents never (403)."""
    report = await run_in_threadpool(_locked, lock, service.delete, doc_id, x_admin_key)
    return {"deleted": doc_id, "report": report.to_dict()}
