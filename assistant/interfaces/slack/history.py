"""Bounded in-memory state of the bot: per-thread history, event dedup, answers to rate.

Everything here is thread-safe (Bolt runs listeners on a thread pool) and bounded, so a
long-running bot never grows without limit. The state is per process: a restart forgets
thread histories (follow-ups then start afresh) and pending feedback buttons.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from assistant.models import Answer

ThreadKey = tuple[str, str]  # (channel id, thread_ts)


@dataclass
class StoredTurn:
    question_ts: str  # ts of the user's message that asked the question
    question: str
    answer: str  # the answer body (Answer.text), what the follow-up resolver reads


class ThreadHistory:
    """Conversation turns keyed by (channel, thread_ts): an LRU of threads, each capped."""

    def __init__(self, max_threads: int = 2000, max_turns: int = 10):
        self.max_threads = max_threads
        self.max_turns = max_turns
        self._threads: OrderedDict[ThreadKey, list[StoredTurn]] = OrderedDict()
        self._lock = threading.Lock()

    def turns(self, key: ThreadKey, exclude_ts: str | None = None) -> list[tuple[str, str]]:
        """The thread's earlier (question, answer) pairs, oldest first (without the turn
        asked by message ``exclude_ts``, e.g. the question being re-answered after an edit)."""
        with self._lock:
            stored = self._threads.get(key)
            if stored is None:
                return []
            self._threads.move_to_end(key)
            return [(t.question, t.answer) for t in stored if t.question_ts != exclude_ts]

    def __contains__(self, key: ThreadKey) -> bool:
        with self._lock:
            return key in self._threads

    def add(self, key: ThreadKey, question_ts: str, question: str, answer: str) -> None:
        """Append a turn; a turn for the same question message (an edit) is replaced."""
        with self._lock:
            stored = self._threads.setdefault(key, [])
            self._threads.move_to_end(key)
            stored[:] = [t for t in stored if t.question_ts != question_ts]
            stored.append(StoredTurn(question_ts, question, answer))
            del stored[: -self.max_turns]
            while len(self._threads) > self.max_threads:
                self._threads.popitem(last=False)

    def find(self, channel: str, question_ts: str) -> tuple[ThreadKey, StoredTurn] | None:
        """The thread and turn a user's message asked, if the bot answered it."""
        with self._lock:
            for key, stored in self._threads.items():
                if key[0] != channel:
                    continue
                for turn in stored:
                    if turn.question_ts == question_ts:
                        return key, turn
        return None

    def forget_message(self, channel: str, ts: str) -> bool:
        """Drop a deleted message: its turn, or the whole thread when it was the thread's root."""
        with self._lock:
            if self._threads.pop((channel, ts), None) is not None:
                return True
            for key, stored in self._threads.items():
                if key[0] != channel:
                    continue
                kept = [t for t in stored if t.question_ts != ts]
                if len(kept) != len(stored):
                    stored[:] = kept
                    return True
        return False


class TTLSet:
    """Keys seen within the last ``ttl`` seconds (at most ``max_size`` of them).

    ``first_time(key)`` is atomic: of two concurrent deliveries of the same event exactly one
    gets True.
    """

    def __init__(
        self,
        ttl: float = 3600.0,
        max_size: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._seen: OrderedDict[Hashable, float] = OrderedDict()
        self._lock = threading.Lock()

    def first_time(self, key: Hashable) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at <= self.ttl and len(self._seen) < self.max_size:
                    break
                del self._seen[oldest]
            if key in self._seen:
                return False
            self._seen[key] = now
            return True


class AnswerRegistry:
    """Recent answers by an opaque id, so a feedback button can name the answer it rates."""

    def __init__(self, max_size: int = 5000):
        self.max_size = max_size
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, answer: Answer) -> str:
        answer_id = uuid.uuid4().hex
        with self._lock:
            self._answers[answer_id] = answer
            while len(self._answers) > self.max_size:
                self._answers.popitem(last=False)
        return answer_id

    def get(self, answer_id: str) -> Answer | None:
        with self._lock:
            return self._answers.get(answer_id)
