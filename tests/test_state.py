"""The shared state store on both backends: SQLite (the default) and a real PostgreSQL server;
de-duplication that holds across processes, and the import of the former feedback file."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading

import pytest

from assistant.feedback import FeedbackStore
from assistant.interfaces.slack.history import AnswerRegistry, Deduplicator, ThreadHistory
from assistant.models import Answer, Citation
from assistant.settings import Settings
from assistant.state import Database, normalise_url, open_database, redacted
from tests.servers import postgres_server


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request, tmp_path):
    if request.param == "sqlite":
        database = Database(tmp_path / "state.sqlite3")
    else:
        database = Database(request.getfixturevalue("postgres_url"))
        with database.engine.begin() as conn:  # a clean slate per test
            for table in ("feedback", "slack_turns", "slack_threads", "seen_keys", "slack_answers"):
                conn.exec_driver_sql(f"DELETE FROM {table}")
    yield database
    database.close()


def _answer() -> Answer:
    cite = Citation("Art. 27(b)", "convention", 27, "b", "A service provider ... & <data>")
    return Answer("q?", "t [Art. 27(b)]", [cite], [], abstained=False, notice="n")


def test_everything_survives_a_new_connection(db):
    """What one process writes, another (a new engine on the same URL) reads."""
    FeedbackStore(db).record(_answer(), 1, comment="good", user="U1")
    ThreadHistory(db).add(("C1", "1.0"), "1.0", "q1", "a1")
    answer_id = AnswerRegistry(db).put(_answer())
    assert Deduplicator(db).first_time(("event", "Ev1"))
    other = Database(db.url)
    (row,) = FeedbackStore(other).all()
    assert (row.rating, row.comment, row.user, row.citations[0]["label"]) == (
        1,
        "good",
        "U1",
        "Art. 27(b)",
    )
    assert ThreadHistory(other).turns(("C1", "1.0")) == [("q1", "a1")]
    assert AnswerRegistry(other).get(answer_id) == _answer()
    assert AnswerRegistry(other).get("f" * 32) is None
    assert not Deduplicator(other).first_time(("event", "Ev1"))
    other.close()


def test_thread_history_bounded_edits_and_deletes(db):
    h = ThreadHistory(db, max_threads=2, max_turns=3)
    for i in range(5):
        h.add(("C", "1"), f"t{i}", f"q{i}", f"a{i}")
    assert h.turns(("C", "1")) == [("q2", "a2"), ("q3", "a3"), ("q4", "a4")]
    h.add(("C", "1"), "t3", "q3 edited", "a3'")  # an edit replaces its turn
    assert h.turns(("C", "1"), exclude_ts="t4") == [("q2", "a2"), ("q3 edited", "a3'")]
    assert h.find("C", "t3")[0] == ("C", "1") and h.find("C", "zz") is None
    h.add(("C", "2"), "x", "q", "a")
    h.turns(("C", "1"))  # C/1 used more recently than C/2
    h.add(("C", "3"), "y", "q", "a")
    assert h.threads("C") == [("C", "1"), ("C", "3")]  # C/2, least recently used, forgotten
    assert h.forget_message("C", "t2") and [q for q, _ in h.turns(("C", "1"))][0] == "q4"
    assert h.forget_message("C", "1") and ("C", "1") not in h  # the root: the whole thread
    assert not h.forget_message("C", "nothing")


def test_first_time_is_atomic_across_threads(db):
    seen = Deduplicator(db)
    results: list[bool] = []
    barrier = threading.Barrier(12)

    def deliver() -> None:
        barrier.wait()
        results.append(seen.first_time(("event", "EvRACE")))

    threads = [threading.Thread(target=deliver) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 11 + [True]


def _claim(url: str, barrier, out) -> None:  # in a new process: only the state module loaded
    database = Database(url)
    barrier.wait()
    out.put(database.claim('["event", "EvPROC"]', ttl=3600))


def test_first_time_is_atomic_across_processes(db):
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_claim, args=(db.url, barrier, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert sorted(out.get(timeout=5) for _ in procs) == [False, False, False, True]


def test_urls_and_legacy_feedback(tmp_path, monkeypatch):
    assert normalise_url("postgresql://u:secret@h/db") == "postgresql+psycopg://u:secret@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url(tmp_path / "x.db") == f"sqlite:///{tmp_path / 'x.db'}"
    assert "secret" not in redacted("postgresql+psycopg://u:secret@h/db")
    monkeypatch.delenv("ASSISTANT_DATABASE_URL", raising=False)
    settings = Settings(data_dir=tmp_path)
    assert settings.state_url == f"sqlite:///{tmp_path / 'state.sqlite3'}"
    assert "secret" not in repr(Settings(database_url="postgresql://u:secret@h/db"))
    # feedback recorded by an older version in feedback.sqlite3 is carried over, once
    with sqlite3.connect(tmp_path / "feedback.sqlite3") as old:
        old.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created REAL NOT NULL,"
            " interface TEXT NOT NULL, rating INTEGER NOT NULL, comment TEXT NOT NULL DEFAULT '',"
            " question TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL,"
            " abstained INTEGER NOT NULL, user TEXT NOT NULL DEFAULT '')"
        )
        old.execute(
            "INSERT INTO feedback (created, interface, rating, comment, question, answer,"
            " citations, abstained, user) VALUES (1.0, 'web', -1, 'old', 'q', 'a', '[]', 0, '')"
        )
    store = FeedbackStore(open_database(settings))
    store.record(_answer(), 1)
    assert [(r.comment, r.rating) for r in FeedbackStore(open_database(settings)).all()] == [
        ("old", -1),
        ("", 1),
    ]
