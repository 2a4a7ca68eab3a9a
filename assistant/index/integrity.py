"""Is the index whole and current? Checked before anything is served, and by ingestion.

States: ``ready`` (complete and built from the current sources, model and code), ``missing``
(nothing built yet), ``incomplete`` (an ingestion did not finish, or rows or snapshot files are
missing), ``stale`` (complete, but a source, the question notes, the embedding model or the
chunking code changed) and ``corrupt`` (the Chroma store cannot be read). Everything but
``ready`` is repaired by ingestion: resumed (only what is missing is embedded), updated, or,
for a corrupt store, rebuilt from the sources.

The checks cost milliseconds and do not grow with the corpus beyond hashing the snapshot
files: the manifest, SQLite's ``quick_check`` on the embedded store, each collection's row count
and build id, one nearest-neighbour query per collection.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

import chromadb
from chromadb.errors import NotFoundError

from assistant.index import manifest as manifests
from assistant.index import snapshot
from assistant.index.manifest import Manifest
from assistant.index.questions import questions_collection_name
from assistant.settings import Settings

log = logging.getLogger(__name__)
BUILD_ID = "build_id"  # collection metadata key


class IndexState(StrEnum):
    READY = "ready"
    MISSING = "missing"
    INCOMPLETE = "incomplete"
    STALE = "stale"
    CORRUPT = "corrupt"


@dataclass
class IndexStatus:
    state: IndexState
    reason: str
    manifest: Manifest | None = None
    changed_sources: list[str] = field(default_factory=list)  # sources whose files changed

    @property
    def ready(self) -> bool:
        return self.state == IndexState.READY


class StoreCorrupt(RuntimeError):
    """The Chroma store cannot be read."""


_held = threading.local()  # how deep this thread already holds the index lock


@contextlib.contextmanager
def index_lock(settings: Settings) -> Iterator[None]:
    """One check-and-repair (or ingestion) of a data directory's index at a time, across the
    processes of a machine (replicas, workers, ``assistant ingest``): a process that starts
    while another resumes or rebuilds the index waits, then finds it complete instead of
    rewriting it under the other's feet. Re-entrant within a thread."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with open(settings.data_dir / "index.lock", "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        _held.depth = 1
        try:
            yield
        finally:
            _held.depth = 0
            fcntl.flock(fh, fcntl.LOCK_UN)


def collection_names(settings: Settings) -> list[str]:
    return [settings.collection, questions_collection_name(settings.collection)]


_DETAIL_CHARS = 160  # of SQLite's report in the one-line reason


def sqlite_check(settings: Settings) -> str | None:
    """SQLite's quick integrity check of the embedded store (None: fine or not local)."""
    db = settings.chroma_dir / "chroma.sqlite3"
    if settings.chroma_host or not db.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
            rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as exc:
        return f"{db.name}: {exc}"
    problems = [r[0] for r in rows if r[0] != "ok"]
    if not problems:
        return None
    detail = " ".join(problems[0].replace("*** in database main ***", " ").split())
    if len(detail) > _DETAIL_CHARS:  # a page list can run to kilobytes: the fix must still show
        detail = detail[: _DETAIL_CHARS - 1] + "…"
    return f"{db.name}: {detail}"


def probe(client: chromadb.ClientAPI, name: str, dimension: int = 384) -> tuple[int, dict]:
    """Row count and metadata of a collection, after reading a row and querying it (raises
    StoreCorrupt when the store fails; KeyError-like errors when the collection is absent)."""
    try:
        collection = client.get_collection(name)
    except NotFoundError as exc:
        raise LookupError(name) from exc
    except Exception as exc:  # noqa: BLE001 - any failure to read the store
        raise StoreCorrupt(f"collection {name}: {exc}") from exc
    try:
        count = collection.count()
        if count:
            collection.get(limit=1, include=["documents", "metadatas"])
            collection.query(
                query_embeddings=[[1.0] + [0.0] * (dimension - 1)],
                n_results=1,
                include=["distances"],
            )
    except Exception as exc:  # noqa: BLE001 - any failure to read the store
        raise StoreCorrupt(f"collection {name}: {exc}") from exc
    return count, dict(collection.metadata or {})


def check(
    settings: Settings, client: chromadb.ClientAPI | None, *, sources: bool = True
) -> IndexStatus:
    """The index's state with a one-line reason. ``client`` None means it could not be opened
    (the store is corrupt). ``sources`` False skips comparing the source files."""
    found = manifests.read(settings)
    problem = sqlite_check(settings)
    if problem or client is None:
        return IndexStatus(IndexState.CORRUPT, f"the index store is damaged ({problem})", found)
    counts, build_ids = {}, {}
    for name in collection_names(settings):
        try:
            counts[name], meta = probe(client, name)
            build_ids[name] = meta.get(BUILD_ID)
        except LookupError:
            counts[name] = None
        except StoreCorrupt as exc:
            return IndexStatus(IndexState.CORRUPT, f"the index store is damaged ({exc})", found)
    if found is None:
        if not any(counts.values()):
            return IndexStatus(IndexState.MISSING, "no index has been built yet")
        stored = counts[settings.collection] or 0
        return IndexStatus(
            IndexState.INCOMPLETE,
            f"an ingestion did not finish ({stored} chunks stored, no completion record)",
        )
    for name, expected in found.collections.items():
        if counts.get(name) != expected:
            return IndexStatus(
                IndexState.INCOMPLETE,
                f"collection {name} holds {counts.get(name) or 0} of {expected} rows",
                found,
            )
        if build_ids.get(name) != found.build_id:
            return IndexStatus(
                IndexState.INCOMPLETE, f"collection {name} is not the one recorded", found
            )
    wrong = _bad_files(settings, found)
    if wrong:
        return IndexStatus(IndexState.INCOMPLETE, f"snapshot file {wrong} is missing or changed")
    if found.format != manifests.FORMAT or found.code != manifests.code_fingerprint():
        return IndexStatus(IndexState.STALE, "the chunking code changed", found)
    if found.embedding_model != settings.embedding_model_id:
        return IndexStatus(
            IndexState.STALE,
            f"the index was built with {found.embedding_model}, "
            f"not the configured {settings.embedding_model_id}",
            found,
        )
    if found.questions.fingerprint != manifests.questions_fingerprint(settings):
        return IndexStatus(IndexState.STALE, "the provision notes changed", found)
    if sources:
        now = manifests.source_fingerprints(settings)
        changed = [
            sid
            for sid, fp in now.items()
            if sid not in found.sources or (fp is not None and fp != found.sources[sid].fingerprint)
        ]
        changed += [sid for sid in found.sources if sid not in now]
        if changed:
            return IndexStatus(
                IndexState.STALE, f"sources changed: {', '.join(changed)}", found, changed
            )
    return IndexStatus(
        IndexState.READY,
        f"complete: {found.chunks} chunks, {found.questions.count} questions",
        found,
    )


def _bad_files(settings: Settings, found: Manifest) -> str | None:
    directory = settings.index_dir
    for rel, digest in found.files.items():
        file = directory / rel
        if not file.is_file() or manifests.file_hash(file) != digest:
            return rel
    if not any(rel == snapshot.CATALOG for rel in found.files):
        return snapshot.CATALOG
    return None


def open_client(settings: Settings) -> chromadb.ClientAPI | None:
    """The Chroma client, or None when the store cannot even be opened."""
    from assistant.index.store import make_client

    try:
        return make_client(settings)
    except Exception as exc:  # noqa: BLE001 - chroma's errors for a damaged store vary
        log.debug("cannot open the index store: %s", exc)
        return None


def reset_store(settings: Settings, client: chromadb.ClientAPI | None) -> chromadb.ClientAPI:
    """Drop the index (collections, snapshot, manifest) and return a client on an empty store.
    An embedded store that cannot be opened or read is moved aside as ``chroma.damaged``."""
    from assistant.index.store import forget_store, make_client

    shutil.rmtree(settings.index_dir, ignore_errors=True)
    if client is not None:
        try:
            for name in collection_names(settings):
                with contextlib.suppress(NotFoundError):
                    client.delete_collection(name)
            if not sqlite_check(settings):
                return client
        except Exception as exc:  # noqa: BLE001 - a damaged store cannot delete either
            log.warning("cannot drop the collections (%s): discarding the store", exc)
    if settings.chroma_host:
        raise StoreCorrupt(
            f"the Chroma server at {settings.chroma_host}:{settings.chroma_port} cannot drop "
            "the index collections: repair or recreate them on the server"
        )
    forget_store(settings)
    aside = settings.chroma_dir.with_name("chroma.damaged")
    shutil.rmtree(aside, ignore_errors=True)
    if settings.chroma_dir.exists():
        settings.chroma_dir.rename(aside)
        log.warning("moved the damaged store aside to %s", aside)
    return make_client(settings)
