"""Caps on what one file may expand into: XML inside a zip, characters, pages, chunks and records.

The upload cap bounds the bytes a client sends; these bound the work a small file can cause (a 700 KB
.docx can hold 200 MB of XML). Each cap is a setting; past one, :class:`LimitExceeded` (413) names it.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from policy_assistant.errors import DocumentError, LimitExceeded

if TYPE_CHECKING:
    from policy_assistant.config import Settings

MB = 1024 * 1024
RATIO_FLOOR = 4 * MB  # members smaller than this are never called a bomb, whatever their ratio


@dataclass(frozen=True)
class Limits:
    """Per-document caps; the defaults are far above any real policy document."""

    unzipped_xml_bytes: int = 40 * MB
    zip_ratio: float = 100.0
    chars: int = 600_000
    pages: int = 1000
    chunks: int = 2500
    records: int = 20_000
    ocr_langs: str = "chi_sim"  # how scanned pages are read: Tesseract languages (PA_OCR_LANGS)
    ocr_dpi: int = 300  # and at what resolution they are rendered (PA_OCR_DPI)

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            unzipped_xml_bytes=int(settings.max_unzipped_mb * MB),
            zip_ratio=settings.max_zip_ratio,
            chars=settings.max_doc_chars,
            pages=settings.max_pdf_pages,
            chunks=settings.max_doc_chunks,
            records=settings.max_doc_records,
            ocr_langs=settings.ocr_langs,
            ocr_dpi=settings.ocr_dpi,
        )


def check_zip(name: str, data: bytes, limits: Limits) -> None:
    """Refuse a zip container (.docx) whose members would expand past the caps, before any is read.

    Sizes come from the central directory; Python's zip reader never inflates a member past its
    declared size, so a lying header cannot get around this check.

    Raises:
        LimitExceeded: too much XML, or a member inflating more than ``zip_ratio`` times (a zip bomb).
        DocumentError: not a readable zip.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise DocumentError(f"{name}: corrupt ZIP container ({exc})", f"{name}：文件已损坏（ZIP 结构无法读取）") from exc
    xml = 0
    for info in infos:
        if info.file_size > RATIO_FLOOR and info.file_size > limits.zip_ratio * max(info.compress_size, 1):
            raise LimitExceeded(
                f"{name}: member {info.filename} inflates {info.file_size / max(info.compress_size, 1):.0f}x "
                f"to {info.file_size / MB:.0f} MB (a zip bomb?); limit {limits.zip_ratio:g}x, PA_MAX_ZIP_RATIO",
                f"{name}：文件内部内容异常膨胀（{info.file_size / MB:.0f} MB，疑似压缩炸弹），已拒绝",
            )
        if info.filename.lower().endswith((".xml", ".rels")):
            xml += info.file_size
    if xml > limits.unzipped_xml_bytes:
        raise LimitExceeded(
            f"{name}: {xml / MB:.0f} MB of XML inside, over the limit of {limits.unzipped_xml_bytes / MB:g} MB "
            "(PA_MAX_UNZIPPED_MB)",
            f"{name}：文件内部文字内容过大（{xml / MB:.0f} MB，上限 {limits.unzipped_xml_bytes / MB:g} MB）",
        )


def check_count(name: str, what: str, what_zh: str, n: int, limit: int, setting: str) -> None:
    """Raise :class:`LimitExceeded` when ``n`` exceeds ``limit`` (``what`` names the unit, ``setting`` the knob)."""
    if n > limit:
        raise LimitExceeded(
            f"{name}: {n:,} {what}, over the limit of {limit:,} ({setting}); split the document",
            f"{name}：{what_zh}数为 {n:,}，超过上限 {limit:,}，请拆分文件后上传",
        )
