"""原文查看: the cited section of a document, opened at the quoted passage and highlighted.

The section's passages are shown in document order with the heading path; the passage the answer
quotes is marked (``<mark id="pa-hl">``) and scrolled into view. All document text is escaped.
"""

from __future__ import annotations

import html

from ..index.snapshot import Snapshot
from ..models import Citation

SCROLL_JS = "() => { const m = document.getElementById('pa-hl'); if (m) m.scrollIntoView({block: 'center'}); }"
MAX_SECTION_CHARS = 12_000  # a long section shows the passages around the quoted one
EMPTY = "<div class='pa-doc-empty'>点击对话中的回答或来源，即可在此查看原文并定位到引用段落。</div>"


def _esc(text: str) -> str:
    return html.escape(text, quote=True).replace("\n", "<br>")


def passage_html(snapshot: Snapshot, citation: Citation, number: int = 1) -> str:
    """The section holding the cited passage, with the passage highlighted (HTML, document text escaped)."""
    where = snapshot.chunk_by_id.get(citation.chunk_id or "")
    if where is None:
        return (f"<div class='pa-doc'><div class='pa-doc-title'>[{number}] 《{_esc(citation.title.strip('《》'))}》</div>"
                f"<p><mark id='pa-hl'>{_esc(citation.quote)}</mark></p></div>")
    cited = snapshot.chunks[where]
    section = [c for c in snapshot.chunks if c.doc_id == cited.doc_id and c.section_id == cited.section_id]
    if sum(len(c.text) for c in section) > MAX_SECTION_CHARS:
        i = section.index(cited)
        section = section[max(0, i - 3): i + 4]
    quote = citation.quote.rstrip("…").strip("“”")
    parts = []
    for c in section:
        if c.chunk_id != cited.chunk_id:
            parts.append(f"<p>{_esc(c.text)}</p>")
            continue
        at = c.text.find(quote) if quote else -1
        if at >= 0:
            body = _esc(c.text[:at]) + f"<mark id='pa-hl'>{_esc(quote)}</mark>" + _esc(c.text[at + len(quote):])
        else:
            body = f"<mark id='pa-hl'>{_esc(c.text)}</mark>"
        parts.append(f"<p>{body}</p>")
    path = " › ".join(cited.section_path) or "正文"
    page = f" · {citation.where()}" if citation.page else ""
    return (f"<div class='pa-doc'><div class='pa-doc-title'>[{number}] 《{_esc(cited.doc_title.strip('《》'))}》</div>"
            f"<div class='pa-doc-path'>{_esc(path)}{page}</div>{''.join(parts)}</div>")
