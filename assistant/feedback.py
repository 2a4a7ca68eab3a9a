"""Durable per-answer feedback (thumbs up/down + comment) in SQLite, shared by every interface."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.models import Answer

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created REAL NOT NULL,
    interface TEXT NOT NULL,          -- "web", "slack", "api", ...
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,          -- JSON list of {label, source, article, paragraph, quote}
    abstained INTEGER NOT NULL,
    user TEXT NOT NULL DEFAULT ''     -- opaque id (e.g. a Slack user id); never a token
)
"""
MAX_COMMENT = 2000


@dataclass
class FeedbackRecord:
    id: int
    created: float
    interface: str
    rating: int
    comment: str
    question: str
    answer: str
    citations: list[dict]
    abstained: bool
    user: str


class FeedbackStore:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as db:
            db.execute(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=10)

    def record(
        self,
        answer: Answer,
        rating: int,
        *,
        comment: str = "",
        interface: str = "web",
        user: str = "",
    ) -> int:
        """Store one rating (+1 helpful, -1 not helpful) of ``answer``; returns its id."""
        if rating not in (-1, 1):
            raise ValueError("rating must be +1 (helpful) or -1 (not helpful)")
        cites = json.dumps([asdict(c) for c in answer.citations], ensure_ascii=False)
        with self._lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created, interface, rating, comment, question, answer,"
                " citations, abstained, user) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    time.time(),
                    interface,
                    rating,
                    (comment or "")[:MAX_COMMENT],
                    answer.question,
                    answer.text,
                    cites,
                    int(answer.abstained),
                    user,
                ),
            )
            return int(cur.lastrowid)

    def all(self) -> list[FeedbackRecord]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, created, interface, rating, comment, question, answer,"
                " citations, abstained, user FROM feedback ORDER BY id"
            ).fetchall()
        return [
            FeedbackRecord(
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), bool(r[8]), r[9]
            )
            for r in rows
        ]

    def export_jsonl(self, out: Path) -> int:
        records = self.all()
        with Path(out).open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
        return len(records)
