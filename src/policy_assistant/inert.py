"""Document text made inert for Markdown readers outside the page (OpenAI-compatible clients, WeCom).

Policy text is data. A document holding ``<img src=…>``, ``[text](url)`` or a bare ``http://`` must not
make a client fetch an image or show a link. (The page has its own, HTML-entity form: ``ui/safe.py``.)
"""

from __future__ import annotations

import re

# CommonMark: a backslash before ASCII punctuation shows the character itself
# (a "]" only where it would close link text: the answer's own [1] markers stay as they are)
_MARKDOWN = re.compile(r"([\\`*_<>~|]|\](?=[(\[:])|!(?=\[))")
_SCHEME_COLON = re.compile(r"(?<=[A-Za-z]):(?=//)")
_WWW = re.compile(r"(?i)\b(www)\.")
# WeCom markdown has no escapes: its syntax characters become their full-width look-alikes
_WECOM = str.maketrans({"<": "＜", ">": "＞", "`": "｀", "*": "＊"})
_WECOM_LINK = re.compile(r"\](?=\()")  # "[text](url)" is WeCom's link; the answer's [1] markers stay
_WECOM_SCHEME = re.compile(r"(?i)\b(https?|ftp)://")


def markdown_inert(text: str) -> str:
    """``text`` for a CommonMark/GFM reader: tags, link and emphasis syntax escaped, URLs not auto-linked."""
    return _WWW.sub(r"\1\\.", _SCHEME_COLON.sub(r"\\:", _MARKDOWN.sub(r"\\\1", text)))


def wecom_inert(text: str) -> str:
    """``text`` for WeCom markdown: no tags (``<font>``), links or emphasis, URLs not auto-linked."""
    text = _WECOM_LINK.sub("］", text.translate(_WECOM))
    return _WWW.sub(r"\1．", _WECOM_SCHEME.sub(lambda m: f"{m.group(1)}：//", text))
