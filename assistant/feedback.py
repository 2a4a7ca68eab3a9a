"""Durable per-answer feedback (thumbs up/down + comment), shared by every interface and every
worker: a table of the shared state store (``assistant/state.py``)."""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import insert, select

from assistant.models import Answer
from assistant.state import Database, feedback

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
    """Feedback in the state store: ``FeedbackStore(db)``, or ``FeedbackStore(path_or_url)``."""

    def __init__(self, db: Database | str | Path):
        self.db = db if isinstance(db, Database) else Database(db)

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
        row = {
            "created": time.time(),
            "interface": interface,
            "rating": rating,
            "comment": (comment or "")[:MAX_COMMENT],
            "question": answer.question,
            "answer": answer.text,
            "citations": cites,
            "abstained": int(answer.abstained),
            "user": user,
        }
        with self.db.engine.begin() as conn:
            return int(conn.execute(insert(feedback).values(row).returning(feedback.c.id)).scalar())

    def all(self) -> list[FeedbackRecord]:
        with self.db.engine.connect() as conn:
            rows = conn.execute(select(feedback).order_by(feedback.c.id)).mappings().all()
        return [
            FeedbackRecord(
                **{k: r[k] for k in ("id", "created", "interface", "rating", "comment")},
                question=r["question"],
                answer=r["answer"],
                citations=json.loads(r["citations"]),
                abstained=bool(r["abstained"]),
                user=r["user"],
            )
            for r in rows
        ]

    def export_jsonl(self, out: Path) -> int:
        records = self.all()
        with Path(out).open("w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(asdict(r), ensure_ascii=False) + "\n")
        return len(records)
