"""LangChain ``BaseRetriever`` over the hybrid retriever, for chains and agents that expect one."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever

from .hybrid import HybridRetriever


class PolicyRetriever(BaseRetriever):
    """Returns LangChain documents whose metadata carry the doc id, title, section path and page."""

    hybrid: Any  # HybridRetriever (Any: pydantic need not validate it)
    k: int = 5

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        retriever: HybridRetriever = self.hybrid
        return [
            LCDocument(
                page_content=hit.chunk.text,
                metadata={
                    "chunk_id": hit.chunk.chunk_id,
                    "doc_id": hit.chunk.doc_id,
                    "title": hit.chunk.doc_title,
                    "section_path": hit.chunk.section_path,
                    "page": hit.chunk.page,
                    "score": hit.score,
                },
            )
            for hit in retriever.search(query, k=self.k)
        ]
