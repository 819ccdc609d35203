"""Clause-level chunks under their full heading path, size-capped, never crossing sections."""

from __future__ import annotations

import hashlib

from ..models import Chunk, LoadedText, Section
from .normalise import normalise, normalise_line
from .outline import Outline
from .sentences import split_sentence_spans


def chunk_document(
    doc_id: str, text: str, outline: Outline, loaded: LoadedText | None, max_chars: int
) -> list[Chunk]:
    """Cut a document into chunks.

    A section whose whole text (children included) fits in ``max_chars`` is one chunk; otherwise its
    own text is split at sentence boundaries and each child is chunked in turn. Every chunk carries
    the heading path of its section.

    Args:
        doc_id: the document's id.
        text: the document's original text (the one the outline was parsed from).
        outline: its outline.
        loaded: the loader's result, for page numbers (None when unknown).
        max_chars: upper bound of a chunk's text.
    Returns:
        Chunks in document order with stable ids.
    """
    chunks: list[Chunk] = []
    title = outline.meta.title

    def emit(section: Section, path: list[Section], start: int, end: int) -> None:
        for s, e in _windows(text, start, end, max_chars):
            body = text[s:e].strip()
            if not body:
                continue
            norm = normalise(body)
            headings = [p.heading for p in path]
            norm_headings = [normalise_line(h) for h in headings]
            digest = hashlib.sha1(
                f"{doc_id}\x1f{section.sid}\x1f{'/'.join(norm_headings)}\x1f{norm}".encode()
            ).hexdigest()
            chunks.append(
                Chunk(
                    chunk_id=f"{doc_id[:24]}-{digest[:12]}",
                    doc_id=doc_id,
                    doc_title=title,
                    section_id=section.sid,
                    section_path=headings,
                    norm_section_path=norm_headings,
                    text=body,
                    norm_text=norm,
                    ordinal=len(chunks),
                    page=loaded.page_at(s) if loaded else None,
                    start=s,
                    ocr=loaded.ocr_pages.get(loaded.page_at(s) or 0) if loaded and loaded.ocr_pages else None,
                )
            )

    def visit(section: Section, path: list[Section]) -> None:
        own_end = section.children[0].start if section.children else section.end
        whole = text[section.body_start : section.end].strip()
        if section.kind == "annex" and not whole:
            # "附件：余政办〔2023〕29号.wps": the attachment line is all there is, and it says something
            emit(section, path, section.start, section.end)
            return
        if section.children and len(whole) <= max_chars and section.kind != "root":
            emit(section, path, section.body_start, section.end)
            return
        emit(section, path, section.body_start, own_end)
        for child in section.children:
            visit(child, [*path, child])

    visit(outline.root, [])
    # identical text twice in one document (repeated clauses) must still give distinct ids
    seen: dict[str, int] = {}
    for chunk in chunks:
        if chunk.chunk_id in seen:
            seen[chunk.chunk_id] += 1
            chunk.chunk_id = f"{chunk.chunk_id}-{seen[chunk.chunk_id]}"
        else:
            seen[chunk.chunk_id] = 1
    return chunks


def _windows(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Offsets of consecutive windows of whole sentences, each at most ``max_chars`` long."""
    segment = text[start:end]
    spans = [(start + s, start + e) for s, e in split_sentence_spans(segment)]
    out: list[tuple[int, int]] = []
    cur_s: int | None = None
    cur_e = 0
    for s, e in spans:
        while e - s > max_chars:  # one over-long sentence: cut at the last clause mark inside the cap
            cut = _clause_cut(text, s, max_chars)
            if cur_s is not None:
                out.append((cur_s, cur_e))
                cur_s = None
            out.append((s, cut))
            s = cut
        if cur_s is not None and e - cur_s > max_chars:
            out.append((cur_s, cur_e))
            cur_s = None
        if cur_s is None:
            cur_s = s
        cur_e = e
    if cur_s is not None:
        out.append((cur_s, cur_e))
    return out


def _clause_cut(text: str, start: int, max_chars: int) -> int:
    window = text[start : start + max_chars]
    for i in range(len(window) - 1, max_chars // 3, -1):
        if window[i] in "，,、：:":
            return start + i + 1
    return start + max_chars
