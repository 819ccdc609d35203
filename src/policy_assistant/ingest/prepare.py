"""One document from bytes to chunks and ledger facts: load → clean → outline → chunk → extract."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DocumentError
from ..knowledge.owners import extract_owners
from ..knowledge.targets import extract_targets
from ..models import Chunk, Document, LoadedText, Owner, Section, Target
from .chunker import chunk_document
from .limits import Limits, check_count
from .loaders import load_bytes
from .normalise import clean_text
from .outline import parse_outline

_UNSAFE = re.compile(r"[^0-9A-Za-z_\-\u3400-\u9fff]+")


@dataclass
class PreparedDocument:
    """A document ready to index."""

    document: Document
    outline: Section
    chunks: list[Chunk]
    targets: list[Target] = field(default_factory=list)
    owners: list[Owner] = field(default_factory=list)


def make_doc_id(filename: str, sha256: str) -> str:
    """Stable, URL-safe id from the file name (CJK kept); a hash when the name has nothing usable."""
    stem = Path(filename).name.rsplit(".", 1)[0]
    slug = _UNSAFE.sub("-", stem).strip("-")[:60]
    return slug or f"doc-{sha256[:10]}"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_document(
    filename: str, data: bytes, source: str, max_chars: int, doc_id: str | None = None,
    limits: Limits | None = None,
) -> PreparedDocument:
    """Turn a file's bytes into a :class:`PreparedDocument`.

    Args:
        filename: the file's name (its suffix selects the loader).
        data: the file's content.
        source: where it is stored, recorded so the index can be rebuilt.
        max_chars: chunk size cap.
        doc_id: forced id (else derived from the file name).
        limits: caps on characters, pages, chunks and records (defaults when None).
    Raises:
        UnsupportedFileType, DocumentError, MissingDependency: from the loaders.
        LimitExceeded: the document expands past a cap.
    """
    sha = sha256_bytes(data)
    limits = limits or Limits()
    loaded = load_bytes(filename, data, limits)
    return prepare_loaded(filename, loaded, sha, source, max_chars, doc_id, limits)


def prepare_loaded(
    filename: str, loaded: LoadedText, sha: str, source: str, max_chars: int, doc_id: str | None = None,
    limits: Limits | None = None,
) -> PreparedDocument:
    """The part of :func:`prepare_document` after loading (used directly by tests)."""
    text = clean_text(loaded.text)
    if not text.strip():
        raise DocumentError(f"{filename}: empty document", f"{filename}：文档为空")
    # cleaning changes offsets only by trimming/blanking lines; pages are re-mapped proportionally
    # to the start offsets, which stay valid because clean_text never joins or splits lines.
    loaded_for_pages = LoadedText(text=text, fmt=loaded.fmt, page_starts=_remap_pages(loaded, text),
                                  ocr_pages=loaded.ocr_pages)
    did = doc_id or make_doc_id(filename, sha)
    outline = parse_outline(text, filename)
    chunks = chunk_document(did, text, outline, loaded_for_pages, max_chars)
    if not chunks:
        raise DocumentError(f"{filename}: no text to index", f"{filename}：没有可索引的文字")
    limits = limits or Limits()
    check_count(filename, "chunks", "段落", len(chunks), limits.chunks, "PA_MAX_DOC_CHUNKS")
    document = Document(
        doc_id=did,
        filename=Path(filename).name,
        source=source,
        sha256=sha,
        fmt=loaded.fmt,
        meta=outline.meta,
        n_chars=len(text),
        n_sections=len(outline.sections()),
        n_chunks=len(chunks),
        pages=len(loaded.page_starts) if loaded.page_starts else None,
    )
    targets = extract_targets(document, outline.root, chunks)
    owners = extract_owners(document, outline.root, chunks)
    check_count(filename, "target and owner records", "记录", len(targets) + len(owners), limits.records,
                "PA_MAX_DOC_RECORDS")
    return PreparedDocument(document, outline.root, chunks, targets, owners)


def _remap_pages(loaded: LoadedText, cleaned: str) -> list[int] | None:
    if not loaded.page_starts:
        return None
    # clean_text keeps line structure apart from leading blank lines and \r; map by line index
    orig_lines = loaded.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    line_of_offset = []
    pos = 0
    for i, line in enumerate(orig_lines):
        line_of_offset.append((pos, i))
        pos += len(line) + 1
    lead = len(loaded.text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")) - len(
        loaded.text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "").lstrip("\n")
    )
    starts_in_lines = []
    for start in loaded.page_starts:
        idx = 0
        for off, i in line_of_offset:
            if off <= start:
                idx = i
            else:
                break
        starts_in_lines.append(idx)
    cleaned_lines = cleaned.split("\n")
    offsets = []
    pos = 0
    for line in cleaned_lines:
        offsets.append(pos)
        pos += len(line) + 1
    lead_lines = loaded.text[:lead].count("\n")
    out = []
    for line_idx in starts_in_lines:
        j = max(0, min(len(offsets) - 1, line_idx - lead_lines))
        out.append(offsets[j])
    out[0] = 0
    return out
