"""The bot's durable state, in the shared state store (``assistant/state.py``): per-thread
history, event de-duplication and the answers behind feedback buttons.

Everything here is thread-safe and shared by every process using the same database, so a
restarted bot, or another replica behind the same Slack app, keeps the thread histories,
never answers a retried event twice, and can still record a click on an older answer. All of
it is bounded: an LRU of threads with at most ``max_turns`` each, de-duplication keys for
``ttl`` seconds, rateable answers for ``ttl`` seconds.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Hashable
from dataclasses import asdict, dataclass

from sqlalchemy import and_, delete, func, insert, select, tuple_

from assistant.models import Answer, Citation, SourceKind
from assistant.state import Database, slack_answers, slack_threads, slack_turns

ThreadKey = tuple[str, str]  # (channel id, thread_ts)


@dataclass
class StoredTurn:
    question_ts: str  # ts of the user's message that asked the question
    question: str
    answer: str  # the answer body (Answer.text), what the follow-up resolver reads


def _in_thread(key: ThreadKey):
    return and_(slack_turns.c.channel == key[0], slack_turns.c.thread_ts == key[1])


class ThreadHistory:
    """Conversation turns keyed by (channel, thread_ts): an LRU of threads, each capped."""

    def __init__(self, db: Database, max_threads: int = 20_000, max_turns: int = 10):
        self.db = db
        self.max_threads = max_threads
        self.max_turns = max_turns

    def _touch(self, conn, key: ThreadKey) -> None:
        now = time.time()
        stmt = self.db.insert_ignore(slack_threads).values(
            channel=key[0], thread_ts=key[1], touched=now
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[slack_threads.c.channel, slack_threads.c.thread_ts],
                set_={"touched": now},
            )
        )

    def turns(self, key: ThreadKey, exclude_ts: str | None = None) -> list[tuple[str, str]]:
        """The thread's earlier (question, answer) pairs, oldest first (without the turn
        asked by message ``exclude_ts``, e.g. the question being re-answered after an edit)."""
        with self.db.engine.begin() as conn:
            rows = conn.execute(
                select(slack_turns.c.question_ts, slack_turns.c.question, slack_turns.c.answer)
                .where(_in_thread(key))
                .order_by(slack_turns.c.id)
            ).all()
            if rows:
                self._touch(conn, key)
        return [(q, a) for ts, q, a in rows if ts != exclude_ts]

    def __contains__(self, key: ThreadKey) -> bool:
        with self.db.engine.connect() as conn:
            found = conn.execute(
                select(slack_threads.c.touched).where(
                    slack_threads.c.channel == key[0], slack_threads.c.thread_ts == key[1]
                )
            ).first()
        return found is not None

    def threads(self, channel: str) -> list[ThreadKey]:
        """The threads of ``channel`` with a history, least recently used first."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(slack_threads.c.channel, slack_threads.c.thread_ts)
                .where(slack_threads.c.channel == channel)
                .order_by(slack_threads.c.touched)
            ).all()
        return [(c, t) for c, t in rows]

    def add(self, key: ThreadKey, question_ts: str, question: str, answer: str) -> None:
        """Append a turn; a turn for the same question message (an edit) is replaced."""
        with self.db.engine.begin() as conn:
            self._touch(conn, key)
            conn.execute(
                delete(slack_turns).where(_in_thread(key), slack_turns.c.question_ts == question_ts)
            )
            conn.execute(
                insert(slack_turns).values(
                    channel=key[0],
                    thread_ts=key[1],
                    question_ts=question_ts,
                    question=question,
                    answer=answer,
                )
            )
            kept = (
                select(slack_turns.c.id)
                .where(_in_thread(key))
                .order_by(slack_turns.c.id.desc())
                .limit(self.max_turns)
            )
            conn.execute(
                delete(slack_turns).where(
                    _in_thread(key), slack_turns.c.id.not_in(select(kept.subquery().c.id))
                )
            )
            excess = conn.execute(select(func.count()).select_from(slack_threads)).scalar_one()
            excess -= self.max_threads
            if excess > 0:
                oldest = conn.execute(
                    select(slack_threads.c.channel, slack_threads.c.thread_ts)
                    .order_by(slack_threads.c.touched)
                    .limit(excess)
                ).all()
                self._drop(conn, [tuple(r) for r in oldest])

    def _drop(self, conn, keys: list[ThreadKey]) -> None:
        if not keys:
            return
        conn.execute(
            delete(slack_turns).where(
                tuple_(slack_turns.c.channel, slack_turns.c.thread_ts).in_(keys)
            )
        )
        conn.execute(
            delete(slack_threads).where(
                tuple_(slack_threads.c.channel, slack_threads.c.thread_ts).in_(keys)
            )
        )

    def find(self, channel: str, question_ts: str) -> tuple[ThreadKey, StoredTurn] | None:
        """The thread and turn a user's message asked, if the bot answered it."""
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(slack_turns).where(
                    slack_turns.c.channel == channel, slack_turns.c.question_ts == question_ts
                )
            ).first()
        if row is None:
            return None
        return (row.channel, row.thread_ts), StoredTurn(row.question_ts, row.question, row.answer)

    def forget_message(self, channel: str, ts: str) -> bool:
        """Drop a deleted message: its turn, or the whole thread when it was the thread's root."""
        with self.db.engine.begin() as conn:
            if (channel, ts) in self._existing(conn, channel, ts):
                self._drop(conn, [(channel, ts)])
                return True
            gone = conn.execute(
                delete(slack_turns).where(
                    slack_turns.c.channel == channel, slack_turns.c.question_ts == ts
                )
            )
            return gone.rowcount > 0

    @staticmethod
    def _existing(conn, channel: str, ts: str) -> set[ThreadKey]:
        rows = conn.execute(
            select(slack_threads.c.channel, slack_threads.c.thread_ts).where(
                slack_threads.c.channel == channel, slack_threads.c.thread_ts == ts
            )
        ).all()
        return {(c, t) for c, t in rows}


class Deduplicator:
    """Keys seen within the last ``ttl`` seconds, by any process sharing the store.

    ``first_time(key)`` is atomic: of two concurrent deliveries of the same event (to this
    process or to another replica) exactly one gets True. ``claim(key, lease)`` is the same for
    work that may be interrupted: unless :meth:`done` is called within ``lease`` seconds (the
    process died, e.g. a restart in the middle of an answer), a later delivery may claim it.
    """

    def __init__(self, db: Database, ttl: float = 3600.0, clock: Callable[[], float] = time.time):
        self.db = db
        self.ttl = ttl
        self._clock = clock

    @staticmethod
    def _key(key: Hashable) -> str:
        return json.dumps(list(key) if isinstance(key, tuple) else key, ensure_ascii=False)

    def first_time(self, key: Hashable) -> bool:
        return self.db.claim(self._key(key), ttl=self.ttl, now=self._clock())

    def claim(self, key: Hashable, lease: float) -> bool:
        return self.db.claim(self._key(key), ttl=self.ttl, lease=lease, now=self._clock())

    def done(self, key: Hashable) -> None:
        self.db.release_done(self._key(key))


class AnswerRegistry:
    """Answers by an opaque id, so a feedback button can name the answer it rates (kept for
    ``ttl`` seconds, 90 days by default)."""

    def __init__(self, db: Database, ttl: float = 90 * 86400.0):
        self.db = db
        self.ttl = ttl
        self._puts = 0

    def put(self, answer: Answer) -> str:
        answer_id = uuid.uuid4().hex
        data = {
            "question": answer.question,
            "text": answer.text,
            "citations": [asdict(c) for c in answer.citations],
            "abstained": answer.abstained,
            "notice": answer.notice,
            "resolved_question": answer.resolved_question,
        }
        now = time.time()
        with self.db.engine.begin() as conn:
            conn.execute(
                insert(slack_answers).values(
                    id=answer_id, created=now, answer=json.dumps(data, ensure_ascii=False)
                )
            )
            self._puts += 1
            if self._puts % 100 == 1:
                conn.execute(delete(slack_answers).where(slack_answers.c.created < now - self.ttl))
        return answer_id

    def get(self, answer_id: str) -> Answer | None:
        with self.db.engine.connect() as conn:
            row = conn.execute(
                select(slack_answers.c.answer).where(
                    slack_answers.c.id == answer_id[:64],
                    slack_answers.c.created >= time.time() - self.ttl,
                )
            ).first()
        if row is None:
            return None
        data = json.loads(row.answer)
        cites = [Citation(**c | {"source": SourceKind(c["source"])}) for c in data.pop("citations")]
        return Answer(citations=cites, passages=[], **data)
