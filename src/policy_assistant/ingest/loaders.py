"""Read a document file (txt, md, html, docx, pdf, doc/wps) into plain text, one paragraph per line."""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import docx
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString
from charset_normalizer import from_bytes
from docx.table import Table
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, WrongPasswordError

from policy_assistant.errors import (
    DocumentError,
    FileTooLarge,
    MissingDependency,
    NotFound,
    UnsupportedFileType,
)
from policy_assistant.models import LoadedText

from .limits import Limits, check_count, check_zip
from .numbering import Numberer
from .ocr import OcrUnavailable, ocr_image_file, ocr_pdf_pages

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf", ".doc", ".wps", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".xlsx"}
)
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff"})
# a PDF page whose text layer holds no Chinese and fewer than this many letters or digits (a page number,
# "- 2 -") is a scan: it is read by OCR
SCANNED_PAGE_CHARS = 5
_FMT = {".txt": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
SOFFICE_TIMEOUT_S = 120

# UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # fmt: skip
_NEWLINES = re.compile(r"\r\n?|[\u2028\u2029]")
# C0 controls that never occur in text (tab, newlines, form feed, DOS EOF and ESC excepted)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x19\x1c-\x1f\x7f]")
# Kangxi radicals come out of some PDF fonts instead of the ideographs they look like (⾏ for 行)
_RADICALS = {
    cp: ideo
    for cp in range(0x2E80, 0x2FE0)
    if len(ideo := unicodedata.normalize("NFKC", chr(cp))) == 1 and ideo != chr(cp)
}

_KINDS = {  # what _sniff finds, for messages: (English, Chinese)
    "pdf": ("a PDF file", "PDF 文件"),
    "zip": ("a ZIP archive such as .docx", "ZIP 压缩包（如 .docx）"),
    "ole": ("an old-format or password-protected Office file", "旧版或加密的 Office 文件"),
    "rtf": ("an RTF file", "RTF 文件"),
    "image": ("an image", "图片"),
}


def load_file(path: Path, max_bytes: int | None = None) -> LoadedText:
    """Read a document from disk.

    Args:
        path: The file; its suffix chooses the reader.
        max_bytes: Largest size accepted; larger files are refused before they are read.

    Returns:
        The extracted text, see `load_bytes`.
    """
    path = Path(path)
    check_suffix(path.name)
    try:
        size = path.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise _too_large(path.name, size, max_bytes)
        with path.open("rb") as fh:
            data = fh.read() if max_bytes is None else fh.read(max_bytes + 1)
    except FileNotFoundError as exc:
        raise NotFound(f"{path.name}: file not found ({path})", f"{path.name}：文件不存在（{path}）") from exc
    except OSError as exc:
        raise DocumentError(f"{path.name}: cannot read file: {exc}", f"{path.name}：无法读取文件") from exc
    if max_bytes is not None and len(data) > max_bytes:  # grew since stat
        raise _too_large(path.name, len(data), max_bytes)
    return load_bytes(path.name, data)


def load_bytes(filename: str, data: bytes, limits: Limits | None = None) -> LoadedText:
    """Extract the text of a document held in memory.

    The suffix of ``filename`` chooses the reader and the content is checked against it, so a
    renamed program or a non-PDF called ``.pdf`` is refused with a message that says what it is.

    Args:
        filename: The file's name (only its suffix and name are used, e.g. in error messages).
        data: The file's bytes.
        limits: caps on what the file expands into (defaults when None).

    Returns:
        ``LoadedText`` with newlines as ``\\n``; ``page_starts`` for PDFs, ``encoding`` for text formats.

    Raises:
        UnsupportedFileType: Unknown suffix, or the content is a program.
        DocumentError: Empty, corrupt, encrypted, binary or scanned (no text) files.
        MissingDependency: A .doc/.wps file and LibreOffice is not installed.
        LimitExceeded: The file expands past a cap (zip bomb, too many pages or characters).
    """
    limits = limits or Limits()
    name = Path(filename).name
    suffix = check_suffix(name)
    if not data:
        raise _empty(name)
    kind = _sniff(data)
    if kind == "exe":
        raise UnsupportedFileType(
            f"{name} is a program (executable), not a document", f"{name} 是可执行程序，不是文档"
        )
    if suffix in IMAGE_SUFFIXES:
        if kind != "image":
            raise _wrong_content(name, "image", kind)
        loaded = _load_image(name, data, limits)
    elif suffix in (".doc", ".wps"):
        loaded = _load_legacy_word(name, data, kind, suffix[1:], limits)
    elif suffix == ".pdf":
        if kind != "pdf":
            raise _wrong_content(name, "PDF", kind)
        loaded = _load_pdf(name, data, limits)
    elif suffix == ".xlsx":
        if kind != "zip":
            raise _wrong_content(name, "XLSX", kind)
        check_zip(name, data, limits)
        loaded = _load_xlsx(name, data)
    elif suffix == ".docx":
        if kind != "zip":
            hint = " Save it as .docx without a password." if kind == "ole" else ""
            raise _wrong_content(name, "DOCX", kind, hint)
        check_zip(name, data, limits)
        loaded = _load_docx(name, data, "docx")
    else:
        if kind in ("pdf", "zip", "ole", "exe", "image"):
            raise _wrong_content(name, "text", kind)
        if _FMT[suffix] == "html":
            loaded = _load_html(name, data)
        else:
            text, encoding = decode_text(data, name)
            if _FMT[suffix] == "md":
                text = markdown_plain(text)
            loaded = LoadedText(text=text, fmt=_FMT[suffix], encoding=encoding)
    if not loaded.text.strip():
        raise _empty(name)
    check_count(name, "characters", "字", len(loaded.text), limits.chars, "PA_MAX_DOC_CHARS")
    return loaded


# Markdown's inline marks (the text of a document is what its reader sees): **粗体**, __粗体__, `代码`,
# [链接文字](地址) and ![图](地址); heading hashes, list numbers and table pipes stay (the outline reads them)
_MD_INLINE = [
    (re.compile(r"!\[([^\]\n]*)\]\([^)\n]*\)"), r"\1"),
    (re.compile(r"\[([^\]\n]+)\]\([^)\n]*\)"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![*\w])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![*\w])"), r"\1"),
    (re.compile(r"`([^`\n]+)`"), r"\1"),
]


def markdown_plain(text: str) -> str:
    """Markdown text without its inline marks, line for line (``**2025年目标。**`` → ``2025年目标。``)."""
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text


def decode_text(data: bytes, name: str = "text") -> tuple[str, str]:
    """Decode the bytes of a text file; newlines become ``\\n``, nothing else changes.

    Order: byte-order mark, strict UTF-8, strict GB18030 (superset of GBK/GB2312, the usual
    encoding of government files), then charset-normalizer's best guess. Short GBK text can be valid
    UTF-8 by chance, and GB18030 decodes Big5 bytes too: both cases are checked for.

    Args:
        data: Raw bytes.
        name: File name used in error messages.

    Returns:
        ``(text, encoding)``; a UTF-8 BOM is stripped (encoding ``utf-8-sig``).

    Raises:
        DocumentError: The bytes are binary (NUL or control bytes) or undecodable.
    """
    text, encoding = _decode(data, name)
    if _CONTROL.search(text) and len(_CONTROL.findall(text)) > max(2, len(text) // 100):
        raise _binary(name)
    return _NEWLINES.sub("\n", text), encoding


def _decode(data: bytes, name: str) -> tuple[str, str]:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise _binary(name) from exc
    if b"\x00" in data:
        raise _binary(name)
    try:
        text = data.decode("utf-8")
        if not _gbk_posing_as_utf8(text, data):
            return text, "utf-8"
    except UnicodeDecodeError as exc:
        # a file cut mid-character (a copy or a download that stopped): keep the text before the cut
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            text = data[: exc.start].decode("utf-8")
            if text and not _gbk_posing_as_utf8(text, data[: exc.start]):
                log.warning("%s: the last character was cut off; the text before it is kept", name)
                return text, "utf-8"
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        pass
    else:
        if _rare_share(text) <= 0.3:
            return text, "gb18030"
        try:  # GB18030 also decodes Big5 bytes, into rare characters
            return data.decode("cp950"), "big5"
        except UnicodeDecodeError:
            return text, "gb18030"
    best = from_bytes(data).best()
    if best is None:
        raise _binary(name)
    return str(best), best.encoding


def _rare_share(text: str) -> float:
    """Share of the non-ASCII characters that are outside GB2312 (rare in real Simplified text)."""
    wide = [ch for ch in text if ord(ch) > 0x7F][:2000]
    rare = sum(ch.encode("gb2312", "replace") == b"?" for ch in wide)
    return rare / len(wide) if wide else 0.0


def _gbk_posing_as_utf8(utf8_text: str, data: bytes) -> bool:
    """True for short GBK bytes that are valid UTF-8 too ("通知" reads as "֪ͨ").

    Such a UTF-8 reading has no Chinese (nothing from U+0800 up) but letters of other scripts
    (Hebrew, Greek, Armenian…), while the GB18030 reading is common Chinese characters only.
    """
    if any(ord(ch) >= 0x800 for ch in utf8_text) or all(ord(ch) <= 0x24F for ch in utf8_text):
        return False
    try:
        gb_text = data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return any("\u4e00" <= ch <= "\u9fff" for ch in gb_text) and _rare_share(gb_text) == 0


# ---------------------------------------------------------------- HTML

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_DROP_TAGS = frozenset(
    {"script", "style", "noscript", "nav", "header", "footer", "head", "template", "iframe", "svg", "select"}
)
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "caption", "center", "dd", "details", "dialog", "div",
     "dl", "dt", "fieldset", "figcaption", "figure", "form", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
     "li", "main", "ol", "p", "pre", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul"}
)  # fmt: skip
_CELL = "\x1f"  # marks a table cell start while walking; rows become "a | b | c"
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")
_WIDE = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
# a source line break between two Chinese characters is not a space in the text
_WIDE_BREAK = re.compile(rf"(?<=[{_WIDE}])[ \t\r\f]*\n[ \t\n\r\f]*(?=[{_WIDE}])")


def _decode_html(name: str, data: bytes) -> tuple[str, str]:
    if not any(data.startswith(bom) for bom, _ in _BOMS):
        match = _META_CHARSET.search(data[:4096])
        declared = match.group(1).decode("ascii").lower() if match else ""
        if declared in ("gb2312", "gbk", "x-gbk", "gb_2312-80", "chinese"):
            declared = "gb18030"  # pages declared gb2312 routinely contain GBK characters
        # a Latin declaration on a Chinese site is a template default, not the truth
        if declared and declared not in ("iso-8859-1", "latin-1", "windows-1252", "us-ascii", "ascii"):
            try:
                return data.decode(declared), declared
            except (LookupError, UnicodeDecodeError):
                pass  # wrong or unknown declaration: detect instead
    return decode_text(data, name)


# pushed on the HTML walker's stack to act on leaving an element (identity, not text, so a page's
# own text can never be taken for one)
_LINE_END = object()
_PRE_END = object()


def _load_html(name: str, data: bytes) -> LoadedText:
    html, encoding = _decode_html(name, data)
    soup = BeautifulSoup(html, "lxml")
    pieces: list[str] = []
    # explicit stack instead of recursion: real pages nest deeper than Python's recursion limit
    stack: list[object] = [soup.body or soup]
    pre_depth = 0
    while stack:
        node = stack.pop()
        if node is _PRE_END:
            pre_depth -= 1
        elif node is _LINE_END:
            pieces.append("\n")
        elif isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctype, CDATA
                text = str(node)
                if not pre_depth:
                    text = _HTML_SPACE.sub(" ", _WIDE_BREAK.sub("", text))
                pieces.append(text)
        elif isinstance(node, Tag) and node.name not in _DROP_TAGS:
            if node.name == "br":
                pieces.append("\n")
                continue
            if node.name in ("td", "th"):
                pieces.append(_CELL)
            elif node.name in _BLOCK_TAGS:
                pieces.append("\n")
                stack.append(_LINE_END)
            if node.name == "pre":
                pre_depth += 1
                stack.append(_PRE_END)
            stack.extend(reversed(node.contents))
    lines = []
    for line in "".join(pieces).split("\n"):
        cells = [cell.strip() for cell in line.split(_CELL)]
        joined = " | ".join(cell for cell in cells if cell)
        if joined:
            lines.append(joined)
    return LoadedText(text="\n".join(lines), fmt="html", encoding=encoding)


# ---------------------------------------------------------------- DOCX


def _load_docx(name: str, data: bytes, fmt: str) -> LoadedText:
    try:
        document = docx.Document(io.BytesIO(data))
        numberer = Numberer(document)  # Word's automatic numbering: 一、（一）1. as printed
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                lines.extend(_table_rows(block))
            else:
                label = numberer.label(block) if block.text.strip() else ""
                lines.append(label + block.text.lstrip() if label and not block.text.lstrip().startswith(label)
                             else block.text)
    except Exception as exc:  # python-docx raises zipfile, KeyError, lxml and its own errors
        raise DocumentError(
            f"{name}: corrupt or unreadable DOCX file ({exc})", f"{name}：DOCX 文件已损坏或无法读取"
        ) from exc
    text = "\n".join(line.strip() for line in _NEWLINES.sub("\n", "\n".join(lines)).split("\n"))
    return LoadedText(text=re.sub(r"\n{2,}", "\n", text).strip("\n"), fmt=fmt)


def _table_rows(table: Table) -> list[str]:
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # a merged cell is returned once per grid column it spans
                continue
            seen.add(id(cell._tc))
            cells.append(" ".join(cell.text.split()))  # an empty cell keeps its column
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


# ---------------------------------------------------------------- XLSX


def _load_xlsx(name: str, data: bytes) -> LoadedText:
    """A workbook (a task breakdown kept as a spreadsheet): each sheet under its name as a heading, each
    row one line of cells ("序号 | 重点任务 | 牵头单位 | …"), values as shown (formulas' cached results)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        lines: list[str] = []
        for sheet in book.worksheets:
            rows = []
            for row in sheet.iter_rows(values_only=True):
                cells = ["" if v is None else " ".join(str(v).split()) for v in row]
                while cells and not cells[-1]:
                    cells.pop()
                if any(cells):
                    rows.append(" | ".join(cells))
            if rows:
                lines.append(sheet.title)
                lines.extend(rows)
        book.close()
    except Exception as exc:  # openpyxl raises zipfile, KeyError and its own errors on damaged files
        raise DocumentError(f"{name}: corrupt or unreadable XLSX file ({exc})", f"{name}：XLSX 文件已损坏或无法读取") from exc
    return LoadedText(text="\n".join(lines), fmt="xlsx")


# ---------------------------------------------------------------- PDF


def _load_pdf(name: str, data: bytes, limits: Limits) -> LoadedText:
    encrypted = DocumentError(f"{name}: PDF is encrypted", f"{name}：PDF 文件已加密，请提供未加密版本")
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):  # many PDFs only restrict printing/copying
            raise encrypted
        pages = reader.pages
        n_pages = len(pages)
    except DocumentError:
        raise
    except (FileNotDecryptedError, WrongPasswordError) as exc:
        raise encrypted from exc
    except Exception as exc:  # pypdf raises many types on damaged files
        raise DocumentError(
            f"{name}: corrupt or truncated PDF ({exc})", f"{name}：PDF 文件已损坏或不完整"
        ) from exc
    check_count(name, "pages", "页", n_pages, limits.pages, "PA_MAX_PDF_PAGES")
    texts: list[str] = []
    chars = 0
    failed = 0
    for i in range(n_pages):
        try:
            page_text = pages[i].extract_text() or ""
        except Exception as exc:  # one broken page should not lose the rest of the document
            log.warning("%s: page %d: text extraction failed: %s", name, i + 1, exc)
            page_text, failed = "", failed + 1
        texts.append(_NEWLINES.sub("\n", page_text).translate(_RADICALS))
        chars += len(texts[-1])
        check_count(name, "characters", "字", chars, limits.chars, "PA_MAX_DOC_CHARS")  # stop reading early
    if n_pages and failed == n_pages:
        raise DocumentError(
            f"{name}: corrupt PDF, no page could be read", f"{name}：PDF 文件已损坏，无法读取任何页面"
        )
    for i, text in _pdf_tables(name, data, [i for i, t in enumerate(texts) if t.strip()]).items():
        texts[i] = text  # a page with a table: its rows as "牵头单位 | 配合单位 | …" lines, in place
    scanned = [i for i, t in enumerate(texts)
               if not re.search(r"[\u4e00-\u9fff]", t) and len(re.findall(r"\w", t)) < SCANNED_PAGE_CHARS]
    ocr_pages: dict[int, float] = {}
    if scanned:
        # pages without a text layer (a scan, a stamped signature page): read by OCR, their numbers kept
        try:
            read = ocr_pdf_pages(name, data, scanned, limits.ocr_langs, limits.ocr_dpi)
        except OcrUnavailable:
            if len(scanned) < n_pages:
                log.warning("%s: %d page(s) without text left unread (no OCR engine)", name, len(scanned))
                read = {}
            else:
                raise
        for i, page in read.items():
            if page.text.strip():
                texts[i] = page.text
                ocr_pages[i + 1] = page.confidence
    texts = [unwrap_lines(t) for t in texts]
    if n_pages and not any(t.strip() for t in texts):
        raise DocumentError(
            f"{name}: no text found, not even by OCR (a blank or unreadable scan?)",
            f"{name}：PDF 中没有可识别的文字（OCR 也未识别出文字，可能是空白页或扫描质量过差），请提供文字版",
        )
    page_starts, offset = [], 0
    for t in texts:
        page_starts.append(offset)
        offset += len(t) + 1  # pages are joined with "\n"
    return LoadedText(text="\n".join(texts), fmt="pdf-ocr" if ocr_pages else "pdf", page_starts=page_starts,
                      ocr_pages=ocr_pages)


MIN_TABLE_ROWS, MIN_TABLE_COLS = 2, 2


def _pdf_tables(name: str, data: bytes, pages: list[int]) -> dict[int, str]:
    """The text of the pages that hold ruled tables, read with pdfplumber: the text above, between and below
    each table as it reads, and each table row as one line of cells ("1 | 培育产业集群 | 市农业农村局 | …"),
    so a task table keeps its rows and header cells (pypdf's text runs the cells together)."""
    try:
        import pdfplumber
    except ImportError:  # pragma: no cover - a dependency; without it tables are read as plain text
        return {}
    out: dict[int, str] = {}
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for i in pages:
                page = pdf.pages[i]
                tables = [t for t in page.find_tables() if len(t.rows) >= MIN_TABLE_ROWS
                          and max((len(r.cells) for r in t.rows), default=0) >= MIN_TABLE_COLS]
                if not tables:
                    continue
                parts: list[str] = []
                top = page.bbox[1]
                for table in sorted(tables, key=lambda t: t.bbox[1]):
                    x0, t_top, x1, t_bottom = table.bbox
                    if t_top > top:
                        parts.append(page.crop((page.bbox[0], top, page.bbox[2], t_top)).extract_text() or "")
                    for row in table.extract():
                        cells = ["".join((c or "").split()) for c in row]
                        if any(cells):
                            parts.append(" | ".join(cells))
                    top = max(top, t_bottom)
                if top < page.bbox[3]:
                    parts.append(page.crop((page.bbox[0], top, page.bbox[2], page.bbox[3])).extract_text() or "")
                out[i] = _NEWLINES.sub("\n", "\n".join(p for p in parts if p.strip())).translate(_RADICALS)
    except Exception as exc:  # noqa: BLE001 - a table reader's failure leaves pypdf's text, never the file
        log.warning("%s: table extraction failed, plain text kept: %s", name, exc)
        return {}
    return out


# a line that starts a heading, an article, a list item or a table row is never a wrapped continuation
_LINE_START = re.compile(r"^\s*(?:[一二三四五六七八九十百]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[.．、]|第[一二三四五六七八九十百零]+[章节条]"
                         r"|[①②③④⑤⑥⑦⑧⑨⑩]|附件|[-—]\s*\d+\s*[-—])")
_SENTENCE_END = re.compile(r"[。；;！!？?：:」』”]\s*$")
FULL_LINE = 0.8  # a line this long against the page's longest lines was wrapped by the layout, not ended


def unwrap_lines(text: str) -> str:
    """A page's text with the layout's line wraps joined: a sentence broken at the right margin ("每半年\n开展
    一次专项督查") is one line again. A line is joined to the one before when that one is nearly full width,
    does not end a sentence, and the new line starts no heading, article, item or table row."""
    lines = text.split("\n")
    widths = sorted(len(x.strip()) for x in lines if x.strip())
    if len(widths) < 3:
        return text
    full = widths[int(len(widths) * 0.9)] * FULL_LINE  # near the longest lines of the page
    out: list[str] = []
    for line in lines:
        prev = out[-1] if out else ""
        if (prev.strip() and line.strip() and len(prev.strip()) >= full and not _SENTENCE_END.search(prev)
                and not _LINE_START.match(line) and "|" not in line and "|" not in prev):
            out[-1] = prev.rstrip() + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def _load_image(name: str, data: bytes, limits: Limits) -> LoadedText:
    """An image (a photographed or scanned page; each frame of a TIFF a page) read by OCR."""
    pages = ocr_image_file(name, data, limits.ocr_langs)
    check_count(name, "pages", "页", len(pages), limits.pages, "PA_MAX_PDF_PAGES")
    texts = [unwrap_lines(p.text) for p in pages]
    if not any(t.strip() for t in texts):
        raise DocumentError(f"{name}: no text found in the image by OCR", f"{name}：图片中没有识别出文字")
    page_starts, offset = [], 0
    for t in texts:
        page_starts.append(offset)
        offset += len(t) + 1
    return LoadedText(text="\n".join(texts), fmt="image-ocr", page_starts=page_starts,
                      ocr_pages={i + 1: p.confidence for i, p in enumerate(pages) if p.text.strip()})


# ---------------------------------------------------------------- DOC / WPS


def _load_legacy_word(name: str, data: bytes, kind: str | None, fmt: str, limits: Limits) -> LoadedText:
    if kind == "zip":  # a .docx under an old name
        check_zip(name, data, limits)
        return _load_docx(name, data, fmt)
    if kind == "html":  # Word's "save as web page", often published as .doc
        loaded = _load_html(name, data)
        return LoadedText(text=loaded.text, fmt=fmt, encoding=loaded.encoding)
    if kind in ("pdf", "image"):
        raise _wrong_content(name, fmt.upper(), kind)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise MissingDependency(
            f"{name}: reading .{fmt} files needs LibreOffice (apt-get install -y libreoffice-writer), "
            "or save the file as .docx",
            f"{name}：读取 .{fmt} 文件需要安装 LibreOffice（apt-get install -y libreoffice-writer），"
            "或将文件另存为 .docx 后上传",
        )
    converted = _convert_to_docx(name, data, soffice)
    check_zip(name, converted, limits)
    return _load_docx(name, converted, fmt)


def _convert_to_docx(name: str, data: bytes, soffice: str) -> bytes:
    failed_zh = f"{name}：文件转换失败，请另存为 .docx 后上传"
    with tempfile.TemporaryDirectory(prefix="pa-soffice-") as tmp:
        # Kingsoft .wps is Word-97 binary; a .doc name makes LibreOffice pick the Word filter
        source = Path(tmp) / "source.doc"
        source.write_bytes(data)
        # own profile: a running LibreOffice (or a parallel conversion) would otherwise swallow the call
        profile = (Path(tmp) / "profile").as_uri()
        cmd = [soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
               "--convert-to", "docx", "--outdir", tmp, str(source)]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, err = proc.communicate(timeout=SOFFICE_TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            # soffice is a wrapper that starts soffice.bin: kill the whole session, not only the wrapper
            with contextlib.suppress(ProcessLookupError):
                if hasattr(os, "killpg"):
                    os.killpg(proc.pid, signal.SIGKILL)
                else:
                    proc.kill()
            proc.communicate()
            raise DocumentError(
                f"{name}: LibreOffice conversion timed out after {SOFFICE_TIMEOUT_S} s", failed_zh
            ) from exc
        target = Path(tmp) / "source.docx"
        if proc.returncode != 0 or not target.exists():
            detail = err.decode("utf-8", "replace").strip()[-300:]
            raise DocumentError(f"{name}: LibreOffice could not convert the file ({detail})", failed_zh)
        return target.read_bytes()


# ---------------------------------------------------------------- checks and messages


def _sniff(data: bytes) -> str | None:
    """What the content is, from its first bytes: pdf, zip, ole, rtf, exe, image, html or None."""
    head = data[:1024]
    if b"%PDF-" in head:  # the header may follow a little junk
        return "pdf"
    signatures = {
        b"PK\x03\x04": "zip", b"PK\x05\x06": "zip", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1": "ole",
        b"{\\rtf": "rtf", b"MZ": "exe", b"\x7fELF": "exe", b"\x89PNG": "image", b"\xff\xd8\xff": "image",
        b"GIF8": "image",
    }  # fmt: skip
    for magic, kind in signatures.items():
        if data.startswith(magic):
            return kind
    start = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n").lower()
    if start.startswith(b"<") and any(tag in start for tag in (b"<html", b"<!doctype html", b"<body")):
        return "html"
    return None


def check_suffix(name: str) -> str:
    """The lower-case suffix of ``name``; raises :class:`UnsupportedFileType` (415) for one no loader reads."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise UnsupportedFileType(
            f"{name}: unsupported file type '{suffix or '(none)'}'; supported: {supported}",
            f"{name}：不支持的文件类型“{suffix or '无扩展名'}”，支持：{supported}",
        )
    return suffix


def _wrong_content(name: str, expected: str, kind: str | None, hint: str = "") -> DocumentError:
    en, zh = _KINDS.get(kind or "", ("not recognised", "无法识别"))
    return DocumentError(
        f"{name} is not a valid {expected} file: its content is {en}.{hint}",
        f"{name} 不是有效的 {expected} 文件：内容是{zh}",
    )


def _empty(name: str) -> DocumentError:
    return DocumentError(f"{name}: empty document", f"{name}：文档为空")


def _binary(name: str) -> DocumentError:
    return DocumentError(
        f"{name}: binary or undecodable content, not a text file",
        f"{name}：内容是二进制或无法识别的编码，不是文本文件",
    )


def _too_large(name: str, size: int, limit: int) -> FileTooLarge:
    def human(n: int) -> str:
        return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n:,} bytes"

    return FileTooLarge(
        f"{name} is {human(size)}, over the limit of {human(limit)}",
        f"{name} 大小为 {human(size)}，超过上限 {human(limit)}",
    )
