"""Dify's External Knowledge API: ``POST /v1/dify/retrieval``, so a Dify app can use this library as a
knowledge base (register the endpoint ``http://HOST:8000/v1/dify`` in Dify; Dify appends ``/retrieval``).

Request ``{knowledge_id, query, retrieval_setting: {top_k, score_threshold}}``; response ``{records:
[{content, score, title, metadata}]}``. ``knowledge_id`` is ``policy-assistant`` (the whole library) or one
document id. Scores are the hybrid retriever's, scaled so the best passage of the query is 1.0.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ..errors import NotFound
from ..service import PolicyService
from .deps import get_service

router = APIRouter(prefix="/dify", tags=["dify"])
Service = Annotated[PolicyService, Depends(get_service)]
LIBRARY_ID = "policy-assistant"


class RetrievalSetting(BaseModel):
    top_k: int = Field(5, ge=1, le=50)
    score_threshold: float = Field(0.0, ge=0.0, le=1.0)


class RetrievalRequest(BaseModel):
    knowledge_id: str = Field(LIBRARY_ID, max_length=200, description="policy-assistant, or one document id")
    query: str = Field(max_length=2000)
    retrieval_setting: RetrievalSetting = Field(default_factory=RetrievalSetting)
    metadata_condition: dict[str, Any] | None = None  # accepted; this library filters by knowledge_id only


@router.post("/retrieval", summary="Dify External Knowledge API: passages for a query, with their sources")
async def retrieval(body: RetrievalRequest, service: Service) -> dict[str, Any]:
    """``{"records": [{content, score, title, metadata: {doc_id, section, page, chunk_id}}]}``."""
    doc = None if body.knowledge_id in ("", LIBRARY_ID) else body.knowledge_id
    if doc is not None and doc not in {d.doc_id for d in service.documents()}:
        raise NotFound(f"knowledge {doc!r} not found; use {LIBRARY_ID!r} or a document id",
                       f"没有知识库 {doc}，请使用 {LIBRARY_ID} 或某个文件 ID")
    hits = await run_in_threadpool(service.search, body.query, body.retrieval_setting.top_k, doc)
    top = max((h.score for h in hits), default=0.0) or 1.0
    records = []
    for h in hits:
        score = round(h.score / top, 4)
        if score < body.retrieval_setting.score_threshold:
            continue
        c = h.chunk
        records.append({"content": c.text, "score": score, "title": c.doc_title,
                        "metadata": {"doc_id": c.doc_id, "section": " › ".join(c.section_path), "page": c.page,
                                     "chunk_id": c.chunk_id}})
    return {"records": records}
