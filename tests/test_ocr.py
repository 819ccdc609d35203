"""Scanned PDFs and images read by OCR (Tesseract, chi_sim): pages kept, confidence reported, citations
marked as OCR; without Tesseract, a clear message saying how to enable it. Skipped where Tesseract or its
Chinese data is absent (scripts/setup.sh installs them where apt is available)."""

from __future__ import annotations

import pytest
from tests.scans import scanned_pdf, scanned_png

from policy_assistant.errors import DocumentError
from policy_assistant.ingest import ocr
from policy_assistant.ingest.loaders import load_bytes

needs_tesseract = pytest.mark.skipif(
    "chi_sim" not in ocr._tesseract_langs(),
    reason=f"Tesseract with chi_sim is not installed ({ocr.INSTALL_HINT})")


@needs_tesseract
def test_a_scanned_pdf_is_read_page_by_page_with_confidence() -> None:
    loaded = load_bytes("某某县方案-扫描件.pdf", scanned_pdf())
    assert loaded.fmt == "pdf-ocr" and sorted(loaded.ocr_pages) == [1, 2, 3]
    assert all(60 <= c <= 100 for c in loaded.ocr_pages.values())
    text = loaded.text
    assert "县生态环境分局负责出水水质的监督管理" in text  # a skewed page, read straight
    assert "2024年3月1日起施行" in text and "95%以上" in text  # figures without Tesseract's spaces
    assert loaded.page_at(text.index("县生态环境分局")) == 2  # the page number is kept


@needs_tesseract
def test_an_image_is_read_by_ocr() -> None:
    loaded = load_bytes("职责分工.png", scanned_png())
    assert loaded.fmt == "image-ocr" and loaded.ocr_pages and "乡镇人民政府负责设施的日常管理" in loaded.text


@needs_tesseract
def test_an_uploaded_scan_answers_with_an_ocr_citation(fresh_settings) -> None:  # type: ignore[no-untyped-def]
    from policy_assistant.service import PolicyService

    service = PolicyService(fresh_settings)
    service.upload("某某县方案-扫描件.pdf", scanned_pdf())
    answer = service.ask("某某县出水水质由谁监督管理？")
    assert answer.answered and "县生态环境分局" in answer.answer
    cite = answer.citations[0]
    assert cite.page == 2 and cite.ocr is not None and cite.where().startswith("扫描件第2页，OCR")
    from policy_assistant.api.openai_compat import chat_content

    assert "扫描件第2页，OCR 识别" in chat_content(answer)


def test_without_tesseract_a_scan_is_refused_with_how_to_enable_it(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("PIL")
    monkeypatch.setattr(ocr, "_tesseract_langs", lambda: frozenset())
    try:
        data = scanned_pdf()
    except pytest.skip.Exception:
        import io

        from PIL import Image
        buf = io.BytesIO()
        Image.new("RGB", (200, 200), "white").save(buf, format="PDF")
        data = buf.getvalue()
    with pytest.raises(DocumentError) as err:
        load_bytes("扫描件.pdf", data)
    assert "tesseract-ocr-chi-sim" in str(err.value) and "OCR" in err.value.message_zh


def test_an_image_that_is_not_one_is_refused() -> None:
    with pytest.raises(DocumentError):
        load_bytes("照片.png", b"%PDF-1.4 not an image")


@needs_tesseract
def test_a_scanned_task_table_is_read_cell_by_cell() -> None:
    from tests.scans import scanned_table_pdf

    lines = load_bytes("分工表-扫描件.pdf", scanned_table_pdf()).text.replace(":", "：").split("\n")
    assert "序号 | 重点任务 | 牵头单位 | 配合单位" in lines
    assert "2 | 建设数字乡村平台 | 县数据局 | 县农业农村局" in lines
    assert lines.index("附件：重点任务分工表") < lines.index("序号 | 重点任务 | 牵头单位 | 配合单位")
