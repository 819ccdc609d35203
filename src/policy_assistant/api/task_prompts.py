"""Chat clients' own housekeeping prompts, answered for what they ask rather than as policy questions.

Open WebUI (and clients that copy its templates) send the chat model a ``### Task:`` prompt to name a
chat, tag it or suggest follow-ups, with the conversation inside ``<chat_history>``; a refusal there
would become the chat's title. Its RAG template wraps the user's question in ``<user_query>``.
"""

from __future__ import annotations

import json
import re

_TASK = re.compile(r"###\s*Task:\s*(.*?)(?=\n\s*###|\Z)", re.S | re.I)
_HISTORY = re.compile(r"<chat_history>(.*?)</chat_history>", re.S)
_USER_LINE = re.compile(r"^\s*USER:\s*(.+)$", re.M)
_USER_QUERY = re.compile(r"<user_query>\s*(.*?)\s*</user_query>", re.S)
_LOBE_TITLE = re.compile(r"总结.{0,12}标题|标题.{0,6}总结")
TITLE_CHARS = 16


def unwrap_query(text: str) -> str:
    """The user's question inside a RAG template (``<user_query>…</user_query>``), else ``text``."""
    m = _USER_QUERY.search(text)
    return m.group(1).strip() if m and m.group(1).strip() else text


def task_reply(text: str) -> str | None:
    """The reply to a client's housekeeping prompt (a JSON title, tags or follow-ups), or None for a question."""
    task = _TASK.search(text)
    history = _HISTORY.search(text)
    if task is None and not (history and _LOBE_TITLE.search(text)):
        return None
    asked = (task.group(1) if task else text).lower()
    users = _USER_LINE.findall(history.group(1)) if history else []
    first = users[0].strip() if users else ""
    if "title" in asked or _LOBE_TITLE.search(asked):
        return json.dumps({"title": short_title(first)}, ensure_ascii=False)
    if "tag" in asked:
        return json.dumps({"tags": ["政策问答"]}, ensure_ascii=False)
    if "follow" in asked:
        return json.dumps({"follow_ups": []}, ensure_ascii=False)
    if "quer" in asked:  # search-query generation: the question itself is the query
        return json.dumps({"queries": [users[-1].strip()] if users else []}, ensure_ascii=False)
    return None


def short_title(question: str) -> str:
    """A chat title from its first question: its words without the asking punctuation, at most 16 characters."""
    words = re.sub(r"[?？!！。，,、\s]+", " ", question).strip()
    return (words[:TITLE_CHARS] if words else "政策问答").strip()
