"""Documents: list, upload (multipart, size-capped while streaming), delete. Writes are serialised by one lock."""

from __future__ import annotations

import threading
from collections.abc import AsyncGenerator, Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from ..config import Settings
from ..errors import BadInput, FileTooLarge
from ..service import PolicyService
from .deps import get_service, get_settings, get_write_lock

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
    """Every document in the live index with its metadata and counts."""
    docs = await run_in_threadpool(service.documents)
    return {"count": len(docs), "documents": [d.to_dict() for d in docs]}


@router.post(
    "/documents",
    status_code=201,
    summary="Upload and index a document (txt/md/html/docx/pdf)",
    openapi_extra=_UPLOAD_BODY,
    responses={413: {"description": "Larger than PA_MAX_UPLOAD_MB"}, 415: {"description": "Unsupported type"},
               422: {"description": "Corrupt, encrypted, empty or textless file"}},
)
async def upload_document(
    request: Request,
    service: Service,
    settings: Annotated[Settings, Depends(get_settings)],
    lock: Annotated[threading.Lock, Depends(get_write_lock)],
) -> JSONResponse:
    """Index one file; it is searchable and answerable as soon as this returns. A rejected file changes nothing."""
    name, data = await read_upload(request, upload_limit_bytes(settings))
    doc, report = await run_in_threadpool(_locked, lock, service.upload, name, data)
    return JSONResponse({"document": doc.to_dict(), "report": report.to_dict()}, status_code=201)


@router.delete("/documents/{doc_id}", summary="Remove a document from the index")
async def delete_document(
    doc_id: str,
    service: Service,
    lock: Annotated[threading.Lock, Depends(get_write_lock)],
) -> dict[str, Any]:
    """Remove one document (an uploaded file is deleted too); 404 when the id is unknown."""
    report = await run_in_threadpool(_locked, lock, service.delete, doc_id)
    return {"deleted": doc_id, "report": report.to_dict()}
