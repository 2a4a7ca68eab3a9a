"""The shared state store: one SQL database for everything that must outlive a process and be
seen by every worker or replica: answer feedback, Slack thread history, the Slack event
de-duplication keys and the answers behind Slack's feedback buttons.

Selected by ``ASSISTANT_DATABASE_URL``: SQLite (``<data dir>/state.sqlite3``) by default, which
several processes on one machine can share; PostgreSQL when the URL says so
(``postgresql://user:pass@host/db``, driven by psycopg 3), for replicas on several machines.
The schema is created on first use (every process may race to do so; that is safe).
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from pathlib import Path

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

metadata = MetaData()

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("created", Float, nullable=False),
    Column("interface", String(32), nullable=False),  # "web", "slack", "api", ...
    Column("rating", Integer, CheckConstraint("rating IN (-1, 1)"), nullable=False),
    Column("comment", Text, nullable=False, server_default=""),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", Text, nullable=False),  # JSON list of {label, source, article, ...}
    Column("abstained", Integer, nullable=False),
    Column("user", String(255), nullable=False, server_default=""),  # opaque id, never a token
)

slack_turns = Table(  # one (question, answer) turn of a Slack thread
    "slack_turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("channel", String(64), nullable=False),
    Column("thread_ts", String(32), nullable=False),
    Column("question_ts", String(32), nullable=False),  # the user's message that asked
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    UniqueConstraint("channel", "thread_ts", "question_ts"),
    Index("ix_slack_turns_message", "channel", "question_ts"),
)

slack_threads = Table(  # when each thread was last used (least recently used ones go first)
    "slack_threads",
    metadata,
    Column("channel", String(64), primary_key=True),
    Column("thread_ts", String(32), primary_key=True),
    Column("touched", Float, nullable=False, index=True),
)

seen_keys = Table(  # de-duplication: event ids, messages, edits, button clicks
    "seen_keys",
    metadata,
    Column("key", String(512), primary_key=True),
    Column("claimed", Float, nullable=False, index=True),
    Column("done", Boolean, nullable=False, default=False),
)

slack_answers = Table(  # the answer a feedback button rates, by the id the button carries
    "slack_answers",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("created", Float, nullable=False, index=True),
    Column("answer", Text, nullable=False),  # JSON: question, text, citations, ...
)


def normalise_url(url: str | Path) -> str:
    """A path means an SQLite file; ``postgres://`` and ``postgresql://`` use psycopg 3."""
    if isinstance(url, Path) or "://" not in str(url):
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    url = str(url)
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def redacted(url: str) -> str:
    """The URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


class Database:
    """An SQLAlchemy engine over the state store, its schema created on first use.

    Thread-safe (a connection pool); every process opens its own. Writes on SQLite take the
    database's write lock at the start of the transaction (``BEGIN IMMEDIATE``, WAL journal),
    so concurrent writers from several processes wait for each other instead of failing.
    """

    def __init__(self, url: str | Path):
        self.url = normalise_url(url)
        self._claims = 0
        self.dialect = make_url(self.url).get_backend_name()
        if self.dialect == "sqlite":
            database = make_url(self.url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(self.url, connect_args={"timeout": 30})
            _sqlite_transactions(self.engine)
        else:
            self.engine = create_engine(self.url, pool_pre_ping=True, pool_size=10)
        self._create_schema()

    def __repr__(self) -> str:
        return f"Database({redacted(self.url)!r})"

    def _create_schema(self) -> None:
        for attempt in range(5):  # several processes may create the tables at once
            try:
                with self.engine.begin() as conn:
                    if self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(794243)"))
                    metadata.create_all(conn)
                return
            except DBAPIError:
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))

    def insert_ignore(self, table: Table):
        """``INSERT ... ON CONFLICT DO NOTHING`` (etc.) in this database's dialect."""
        return (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(table)

    # --- de-duplication ----------------------------------------------------------------------

    def claim(
        self, key: str, *, ttl: float, lease: float | None = None, now: float | None = None
    ) -> bool:
        """True for exactly one caller per ``key`` in every process sharing the store.

        A key is claimed again once ``ttl`` seconds have passed, or, when ``lease`` is given,
        once ``lease`` seconds have passed without :meth:`release_done` (its claimant died
        before finishing, e.g. a restart in the middle of an answer)."""
        now = time.time() if now is None else now
        stale = seen_keys.c.claimed < now - ttl
        if lease is not None:
            stale = stale | (~seen_keys.c.done & (seen_keys.c.claimed < now - lease))
        key = _key_id(key)
        stmt = self.insert_ignore(seen_keys).values(key=key, claimed=now, done=False)
        stmt = stmt.on_conflict_do_update(
            index_elements=[seen_keys.c.key],
            set_={"claimed": now, "done": False},
            where=stale,
        )
        with self.engine.begin() as conn:
            won = conn.execute(stmt.returning(seen_keys.c.key)).first() is not None
            self._claims += 1
            if won and self._claims % 100 == 1:  # now and then, forget keys past their ttl
                conn.execute(seen_keys.delete().where(seen_keys.c.claimed < now - ttl))
        return won

    def release_done(self, key: str) -> None:
        """Mark a claimed key's work as finished (it is then never claimed again in its ttl)."""
        with self.engine.begin() as conn:
            conn.execute(
                seen_keys.update().where(seen_keys.c.key == _key_id(key)).values(done=True)
            )

    def close(self) -> None:
        self.engine.dispose()


def _key_id(key: str) -> str:
    """A de-duplication key as stored: itself, or its SHA-256 when long (e.g. an edited
    question's text)."""
    return key if len(key) <= 200 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy's recipe for real SQLite transactions (pysqlite's own are not): no implicit
    BEGIN from the driver, ``BEGIN IMMEDIATE`` from SQLAlchemy, WAL so readers never block."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def open_database(settings) -> Database:
    """The state store the settings select (``ASSISTANT_DATABASE_URL``, default SQLite in the
    data directory; feedback from the former ``feedback.sqlite3`` is imported once)."""
    db = Database(settings.state_url)
    if not settings.database_url.get_secret_value():
        import_legacy_feedback(db, settings.data_dir / "feedback.sqlite3")
    return db


def import_legacy_feedback(db: Database, legacy: Path) -> int:
    """Copy the rows of the former ``feedback.sqlite3`` into a new, empty store (once)."""
    if not legacy.exists():
        return 0
    with db.engine.connect() as conn:
        if conn.execute(select(feedback.c.id).limit(1)).first() is not None:
            return 0
    with sqlite3.connect(legacy) as old:
        cols = [c.name for c in feedback.columns]
        try:
            quoted = ", ".join(f'"{c}"' for c in cols)
            rows = old.execute(f"SELECT {quoted} FROM feedback").fetchall()
        except sqlite3.DatabaseError:
            return 0
    if rows:
        with db.engine.begin() as conn:
            conn.execute(insert(feedback), [dict(zip(cols, r, strict=True)) for r in rows])
        log.warning("imported %d feedback record(s) from %s", len(rows), legacy)
    return len(rows)
