"""Chunker: heading paths, size caps, sections never crossed, stable ids."""

from __future__ import annotations

from conftest import CORPUS
from policy_assistant.ingest.chunker import chunk_document
from policy_assistant.ingest.normalise import clean_text
from policy_assistant.ingest.outline import parse_outline


def _chunks(name: str, cap: int = 320):  # type: ignore[no-untyped-def]
    text = clean_text((CORPUS / name).read_text(encoding="utf-8"))
    outline = parse_outline(text, name)
    return text, outline, chunk_document("d", text, outline, None, cap)


def test_every_chunk_respects_the_cap_and_has_its_path() -> None:
    for name in ("yuhang-qianwan-plan-2023-2027.txt", "zyyhwj-2023.txt", "xczx-cujinfa-2021.txt"):
        _, _, chunks = _chunks(name, cap=200)
        assert chunks
        assert all(len(c.text) <= 200 for c in chunks)
    _, _, chunks = _chunks("yuhang-qianwan-plan-2023-2027.txt")
    income = next(c for c in chunks if "5.7萬元" in c.text)
    assert income.norm_section_path == ["二、总体目标"]
    tuowei = next(c for c in chunks if "360個" in c.text)
    assert tuowei.norm_section_path == ["三、全面提升区域承载能力", "(三)实施公共服务保障能力提升行动", "3.健全城乡养老托育体系"]


def test_long_sections_split_at_sentences_under_the_same_path() -> None:
    _, _, chunks = _chunks("yuhang-qianwan-plan-2023-2027.txt", cap=150)
    goals = [c for c in chunks if c.section_id == "2"]
    assert len(goals) >= 3
    assert all(c.text.endswith(("。", "；", ";")) for c in goals[:-1])


def test_chunks_never_cross_sections() -> None:
    text, outline, chunks = _chunks("zj-rural-sewage-regulation-2019.txt")
    by_id = {s.sid: s for s in outline.root.walk()}
    for c in chunks:
        sec = by_id[c.section_id]
        assert sec.start <= c.start < sec.end
        assert c.start + len(c.text) <= sec.end


def test_chunk_ids_are_stable_and_unique() -> None:
    _, _, a = _chunks("zyyhwj-2023.txt")
    _, _, b = _chunks("zyyhwj-2023.txt")
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert len({c.chunk_id for c in a}) == len(a)
