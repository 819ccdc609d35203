"""The page's conversations, kept per browser session in SQLite (``data_dir/conversations.sqlite3``).

A browser keeps a random session id (``gr.BrowserState``); its exchanges are stored here, so a reload
shows them again and they can be exported. Nothing else identifies the asker.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from ..sqlite_store import SqliteStore

FILENAME = "conversations.sqlite3"
MAX_TURNS = 200  # per session: older exchanges are dropped when more are added
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session TEXT NOT NULL,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS turns_by_session ON turns (session, id);
"""


class ConversationStore(SqliteStore):
    """Exchanges (question, answer as JSON) by session; one short connection per call, safe across threads."""

    FILENAME = FILENAME
    SCHEMA = _SCHEMA

    def add(self, session: str, question: str, answer: dict[str, Any]) -> None:
        """Keep one exchange; a session keeps its last ``MAX_TURNS``."""
        if not SESSION_ID.match(session):
            raise ValueError("session id must be 32 hex characters")
        with self._connect() as con:
            con.execute("INSERT INTO turns (session, created_at, question, answer) VALUES (?, ?, ?, ?)",
                        (session, time.strftime("%Y-%m-%dT%H:%M:%S"), question, json.dumps(answer, ensure_ascii=False)))
            con.execute("DELETE FROM turns WHERE session = ? AND id NOT IN "
                        "(SELECT id FROM turns WHERE session = ? ORDER BY id DESC LIMIT ?)", (session, session, MAX_TURNS))

    def turns(self, session: str) -> list[tuple[str, dict[str, Any]]]:
        """The session's exchanges, oldest first: (question, answer dict)."""
        if not SESSION_ID.match(session or ""):
            return []
        with self._connect() as con:
            rows = con.execute("SELECT question, answer FROM turns WHERE session = ? ORDER BY id", (session,)).fetchall()
        out = []
        for question, answer in rows:
            try:
                out.append((question, json.loads(answer)))
            except ValueError:  # a damaged row is skipped, not a page that fails to open
                continue
        return out

    def clear(self, session: str) -> None:
        """Forget a session's exchanges (清空对话)."""
        if SESSION_ID.match(session or ""):
            with self._connect() as con:
                con.execute("DELETE FROM turns WHERE session = ?", (session,))


SECRET_FILE = "page-secret"


def browser_secret(data_dir: Path) -> str | None:
    """The key the browser's session id is stored under (``gr.BrowserState`` encrypts it): kept in
    ``data_dir`` so a restart of the service still reads the ids browsers hold. None when it cannot be kept
    (Gradio then picks one per start, and a restart begins new conversations)."""
    path = Path(data_dir) / SECRET_FILE
    try:
        if path.exists():
            secret = path.read_text(encoding="ascii").strip()
            if len(secret) >= 16:
                return secret
        path.parent.mkdir(parents=True, exist_ok=True)
        secret = secrets.token_hex(16)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secret, encoding="ascii")
        tmp.chmod(0o600)
        tmp.replace(path)
        return secret
    except OSError:
        return None
