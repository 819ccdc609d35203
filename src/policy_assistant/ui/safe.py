"""Text from documents, made inert for the page's Markdown/HTML renderer.

Gradio renders chat messages and Markdown blocks as Markdown with HTML allowed, and links are
clickable. Document text is data: ``<img src=…>`` must show as characters and fetch nothing, and a
``[link](…)`` or a bare ``http://`` in a document must not become a link. Everything is written as HTML
entities, which Markdown leaves alone and the browser shows as the original characters.
"""

from __future__ import annotations

import html
import re

from ..inert import markdown_inert

# Markdown syntax characters that could make structure (links, images, emphasis, code, tables, headings)
_MARKDOWN = str.maketrans({ch: f"&#{ord(ch)};" for ch in "[]()*_`~|#!\\{}"})
_SCHEME = re.compile(r"(?i)\b(https?|ftp|mailto|javascript|data|file)(:)")
_WWW = re.compile(r"(?i)\bwww\.")


def shown(text: str) -> str:
    """``text`` as inert HTML/Markdown: tags, entities, link syntax and bare URLs are escaped."""
    out = html.escape(text, quote=True).translate(_MARKDOWN)
    out = _SCHEME.sub(lambda m: f"{m.group(1)}&#58;", out)
    return _WWW.sub("www&#46;", out)


def shown_lines(text: str) -> str:
    """:func:`shown`, with newlines as ``<br>``."""
    return shown(text).replace("\n", "<br>")


def inert_md(text: str) -> str:
    """``text`` for a chat message: backslash-escaped Markdown (tags, links, emphasis and URLs inert), so the
    message copies as readable text rather than HTML entities."""
    return markdown_inert(text).replace("$", "\\$")
