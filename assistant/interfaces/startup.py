"""Entry points fail with one clear line, never a traceback: ``assistant <command>`` and
``python app.py`` run their work through :func:`run_entry`, which turns what can go wrong when
starting (offline without a local mirror, a damaged index, bad input, anything unexpected) into
``error: <what> (<fix>)`` on stderr and an exit status. ``-v`` / ``ASSISTANT_DEBUG=1`` adds the
traceback for a bug report."""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

OK, BAD_INPUT, OFFLINE, BROKEN_INDEX, UNEXPECTED, INTERRUPTED = 0, 2, 3, 4, 1, 130


@dataclass
class Failure:
    status: int
    line: str  # one line: what went wrong and what to do


def _first_line(exc: BaseException, limit: int = 160) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _index_dir() -> str:
    try:
        from assistant.settings import Settings

        return str(Settings().chroma_dir)
    except Exception:  # noqa: BLE001 - only for the message
        return ".data/chroma"


def _is_index_error(exc: BaseException) -> bool:
    """Errors of the vector store (Chroma, its SQLite file, its Rust core's panics)."""
    for cls in type(exc).__mro__:
        module = cls.__module__ or ""
        if module.startswith(("chromadb", "pyo3_runtime", "sqlite3")) or cls.__name__ in (
            "PanicException",
            "DatabaseError",
        ):
            return True
    return isinstance(exc, sqlite3.Error)


def describe(exc: BaseException) -> Failure:
    """The one line (and exit status) for an exception that ended an entry point."""
    from assistant.answering.guard import InvalidQuestion
    from assistant.documents.fetch import FetchError
    from assistant.index.embeddings import EmbeddingModelMissing
    from assistant.index.ingest import IndexUnavailable

    if isinstance(exc, KeyboardInterrupt):
        return Failure(INTERRUPTED, "interrupted")
    if isinstance(exc, InvalidQuestion):
        return Failure(BAD_INPUT, str(exc))
    if isinstance(exc, FetchError):
        return Failure(OFFLINE, _first_line(exc, 400))
    if isinstance(exc, (IndexUnavailable, EmbeddingModelMissing)):
        return Failure(BROKEN_INDEX, _first_line(exc, 1000))
    if _is_index_error(exc):
        where = _index_dir()
        return Failure(
            BROKEN_INDEX,
            f"the index in {where} cannot be read ({type(exc).__name__}: {_first_line(exc)}); "
            f"it may be damaged: run `assistant ingest --rebuild`",
        )
    if isinstance(exc, MemoryError):
        return Failure(UNEXPECTED, "out of memory while starting")
    if isinstance(exc, OSError) and exc.filename:
        return Failure(UNEXPECTED, f"cannot use {exc.filename}: {exc.strerror or exc}")
    return Failure(
        UNEXPECTED,
        f"unexpected {type(exc).__name__}: {_first_line(exc)} (run with -v or ASSISTANT_DEBUG=1 "
        "for the traceback)",
    )


def run_entry(work: Callable[[], int | None], *, debug: bool = False) -> int:
    """Run an entry point's work; any failure becomes one ``error: ...`` line and a status."""
    try:
        return int(work() or 0)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - PanicException (Chroma's Rust core) is one
        failure = describe(exc)
        if debug or os.environ.get("ASSISTANT_DEBUG"):
            log.error("traceback", exc_info=exc)
        if failure.status != INTERRUPTED:
            print(f"error: {failure.line}", file=sys.stderr)
        return failure.status
