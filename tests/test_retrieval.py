"""Hybrid retrieval on the real corpus with the real default model (no fakes)."""

from __future__ import annotations

from policy_assistant.retrieve.langchain import PolicyRetriever


def test_income_target_comes_first_with_its_section(real_service) -> None:  # type: ignore[no-untyped-def]
    hit = real_service.search("农村居民人均可支配收入2025年目标", k=5)[0]
    assert "5.7萬元" in hit.chunk.text
    assert "二、总体目标" in hit.chunk.norm_section_path


def test_traditional_query_finds_the_same_top_chunk(real_service) -> None:  # type: ignore[no-untyped-def]
    simplified = real_service.search("农村居民人均可支配收入2025年目标", k=3)
    traditional = real_service.search("農村居民人均可支配收入2025年目標", k=3)
    assert [h.chunk.chunk_id for h in simplified] == [h.chunk.chunk_id for h in traditional]


def test_owner_question_finds_article_five_of_the_regulation(real_service) -> None:  # type: ignore[no-untyped-def]
    hits = real_service.search("哪个部门负责制定污水处理设施建设标准", k=3)
    assert any(h.chunk.doc_id == "zj-rural-sewage-regulation-2019" and h.chunk.section_path == ["第五条"] for h in hits)


def test_hits_carry_both_retrievers_ranks(real_service) -> None:  # type: ignore[no-untyped-def]
    hit = real_service.search("普惠托位", k=1)[0]
    assert hit.lexical_rank is not None and hit.dense_rank is not None
    d = hit.to_dict()
    assert d["title"] and d["section_path"] and d["text"]


def test_document_filter(real_service) -> None:  # type: ignore[no-untyped-def]
    hits = real_service.search("粮食产量", k=5, doc="zyyhwj-2023")
    assert hits and all(h.chunk.doc_id == "zyyhwj-2023" for h in hits)


def test_langchain_retriever_returns_documents_with_metadata(real_service) -> None:  # type: ignore[no-untyped-def]
    retriever = PolicyRetriever(hybrid=real_service.retriever(), k=2)
    docs = retriever.invoke("能繁母猪存栏")
    assert len(docs) == 2
    assert "0.6萬頭" in docs[0].page_content
    assert docs[0].metadata["doc_id"] == "yuhang-qianwan-plan-2023-2027"
