"""👍/👎 feedback on answers, kept with the question and the answer in SQLite (``data_dir/feedback.sqlite3``)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from .models import Answer
from .sqlite_store import SqliteStore

FILENAME = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered INTEGER,
    citations TEXT NOT NULL DEFAULT '[]',
    index_version TEXT,
    source TEXT NOT NULL DEFAULT 'page',
    comment TEXT
)
"""


@dataclass
class FeedbackEntry:
    """One stored rating."""

    id: int
    created_at: str
    rating: int  # 1 = 👍, -1 = 👎
    question: str
    answer: str
    answered: bool | None
    citations: list[dict[str, Any]]
    index_version: str | None
    source: str
    comment: str | None


class FeedbackStore(SqliteStore):
    """A small SQLite table; safe to call from many threads (one short connection per call)."""

    FILENAME = FILENAME
    SCHEMA = _SCHEMA

    def record(
        self,
        question: str,
        answer: Answer | str,
        liked: bool,
        *,
        index_version: str | None = None,
        source: str = "page",
        comment: str | None = None,
    ) -> int:
        """Store one rating.

        Args:
            question: the question as asked.
            answer: the Answer (its text and citations are stored) or the answer text shown.
            liked: True for 👍, False for 👎.
            index_version: the index version that answered, when known.
            source: where the rating came from (page, api, wecom).
            comment: optional free text.

        Returns:
            The new row id.
        """
        if isinstance(answer, Answer):
            text, answered = answer.answer, answer.answered
            citations = json.dumps([c.model_dump() for c in answer.citations], ensure_ascii=False)
        else:
            text, answered, citations = answer, None, "[]"
        with self._connect() as conn:
            cur = conn.execute(
                "INSERT INTO feedback (created_at, rating, question, answer, answered, citations, index_version,"
                " source, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    1 if liked else -1,
                    question,
                    text,
                    None if answered is None else int(answered),
                    citations,
                    index_version,
                    source,
                    comment,
                ),
            )
            return int(cur.lastrowid or 0)

    def set_comment(self, entry_id: int, comment: str) -> bool:
        """Say why (👎 with a reason): the comment of a stored rating; False when there is no such rating."""
        with self._connect() as conn:
            cur = conn.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip()[:1000], entry_id))
            return cur.rowcount > 0

    def entries(self, limit: int = 100) -> list[FeedbackEntry]:
        """The latest ratings, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT id, created_at, rating, question, answer, answered, citations, index_version, source, comment"
                " FROM feedback ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            FeedbackEntry(
                id=r[0], created_at=r[1], rating=r[2], question=r[3], answer=r[4],
                answered=None if r[5] is None else bool(r[5]), citations=json.loads(r[6]),
                index_version=r[7], source=r[8], comment=r[9],
            )
            for r in rows
        ]

    def counts(self) -> dict[str, int]:
        """Number of 👍 (``up``) and 👎 (``down``) ratings."""
        with self._connect() as conn:
            up, down = conn.execute(
                "SELECT COALESCE(SUM(rating = 1), 0), COALESCE(SUM(rating = -1), 0) FROM feedback"
            ).fetchone()
        return {"up": int(up), "down": int(down)}
