"""Incremental, idempotent, resumable ingestion: documents -> chunks -> Chroma
(content-hashed) -> snapshot (catalog + BM25) -> manifest, written last.

Each chunk's hash covers its text and metadata. Re-running with nothing changed only checks
the index (:mod:`.integrity`); a changed source re-embeds only its changed chunks and deletes
chunks that no longer exist, and sources whose files are unchanged are not compared again. An
interrupted run leaves no manifest: the next run (or the next start) resumes it, embedding only
the rows that are missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import chromadb
from tqdm import tqdm

from assistant.chunking import chunk_corpus
from assistant.documents.fetch import FetchError
from assistant.documents.loader import load_corpus
from assistant.documents.provision_notes import (
    ProvisionNote,
    expanded_text,
    load_declined,
    load_notes,
    load_pairs,
)
from assistant.documents.sources import load_manifest
from assistant.index import manifest as manifests
from assistant.index import snapshot
from assistant.index.embeddings import make_embeddings
from assistant.index.integrity import (
    BUILD_ID,
    IndexState,
    check,
    index_lock,
    open_client,
    reset_store,
)
from assistant.index.manifest import Manifest, QuestionsEntry, SourceEntry, file_hash
from assistant.index.questions import indexed_questions, question_hash, questions_collection_name
from assistant.index.store import chunk_metadata
from assistant.models import Chunk
from assistant.settings import Settings

log = logging.getLogger(__name__)
BATCH = 64


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    seconds: float = 0.0
    state: str = ""  # the index's state before (integrity.IndexState)
    reason: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def __str__(self) -> str:
        done = (
            f"{self.added} added, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged in {self.seconds:.1f} s"
        )
        if self.state in ("", "ready", "missing"):
            return done
        return f"{done} (the index was {self.state}: {self.reason})"


def indexed_text(chunk: Chunk, notes: dict[str, ProvisionNote], settings: Settings) -> str:
    """What is embedded and matched lexically for a chunk: its search text, expanded with our
    summary and questions when ``ASSISTANT_EXPAND_PROVISIONS`` is on."""
    if settings.expand_provisions:
        return expanded_text(chunk.search_text(), notes.get(chunk.label))
    return chunk.search_text()


def content_hash(chunk: Chunk, text: str) -> str:
    payload = json.dumps([text, asdict(chunk)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def open_collection(
    settings: Settings, client: chromadb.ClientAPI, name: str | None = None
) -> chromadb.Collection:
    """A collection (the chunks', or ``name``), recreated when it was built with another
    embedding model."""
    name = name or settings.collection
    model_id = settings.embedding_model_id
    try:
        existing = client.get_collection(name)
        if (existing.metadata or {}).get("embedding_model") != model_id:
            log.warning("index %s was built with another embedding model; rebuilding", name)
            client.delete_collection(name)
    except Exception:  # noqa: BLE001 - chroma raises different types for "not found"
        pass
    return client.get_or_create_collection(
        name,
        embedding_function=None,
        metadata={"embedding_model": model_id},
        configuration={"hnsw": {"space": "cosine"}},
    )


@dataclass
class Record:
    """One row to keep in a collection: what to embed, what to store, its content hash."""

    id: str
    embed: str
    document: str
    metadata: dict
    hash: str


Progress = Callable[[str, int, int], None]  # (stage, done, total)


_REPAIR = {
    IndexState.READY: "rebuilding it",
    IndexState.INCOMPLETE: "resuming the ingestion",
    IndexState.STALE: "updating it",
    IndexState.CORRUPT: "rebuilding it from the sources",
}


class IndexUnavailable(RuntimeError):
    """The index cannot be made whole here and now; the message (one line) names the fix."""


def ingest(
    settings: Settings,
    *,
    progress: bool = True,
    download_missing: bool = True,
    embeddings=None,
    client: chromadb.ClientAPI | None = None,
    rebuild: bool = False,
    on_progress: Progress | None = None,
) -> IngestReport:
    """Make the index whole and current: nothing to do when it is (checked in milliseconds);
    resume an interrupted ingestion (only what is missing is embedded); update what changed;
    rebuild a damaged store (or, with ``rebuild``, any store) from the sources. The manifest
    is written last."""
    with index_lock(settings):  # one repair at a time per data directory (replicas, workers)
        return _ingest(
            settings,
            progress=progress,
            download_missing=download_missing,
            embeddings=embeddings,
            client=client,
            rebuild=rebuild,
            on_progress=on_progress,
        )


def _ingest(
    settings: Settings,
    *,
    progress: bool,
    download_missing: bool,
    embeddings,
    client: chromadb.ClientAPI | None,
    rebuild: bool,
    on_progress: Progress | None,
) -> IngestReport:
    start = time.perf_counter()
    notify = on_progress or (lambda stage, done, total: None)
    client = client or open_client(settings)
    status = check(settings, client)
    if status.ready and not rebuild:
        found = status.manifest
        return IngestReport(
            unchanged=found.chunks + found.questions.count,
            seconds=time.perf_counter() - start,
            state=status.state,
            reason=status.reason,
        )
    notify("loading", 0, 0)
    try:
        corpus = load_corpus(settings, download_missing=download_missing, progress=progress)
    except FetchError as exc:
        if status.state in (IndexState.STALE, IndexState.MISSING) and not rebuild:
            raise  # nothing to repair: the fetch error itself says what to do
        corrupt = status.state == IndexState.CORRUPT
        fix = "assistant ingest --rebuild" if corrupt else "assistant ingest"
        raise IndexUnavailable(
            f"the index is {status.state} ({status.reason}) and the sources to "
            f"{'rebuild' if corrupt else 'build'} it are not "
            f"available ({exc}): set ASSISTANT_SOURCE_DIR to a local mirror of the official "
            f"documents (or go online) and run `{fix}`"
        ) from exc
    if status.state != IndexState.MISSING:
        log.warning("index %s (%s): %s", status.state, status.reason, _REPAIR[status.state])
    previous = status.manifest if status.state == IndexState.STALE and not rebuild else None
    if rebuild or status.state == IndexState.CORRUPT:
        client = reset_store(settings, client)
    report = IngestReport(state=status.state, reason=status.reason)
    manifests.remove(settings)
    convention_origin = next(
        s.id for s in load_manifest(settings.manifest_path) if s.kind == "convention"
    )
    by_origin = chunk_corpus(corpus, convention_origin)
    fingerprints = {sid: file_hash(Path(path)) for sid, path in corpus.origins.items()}
    collection = open_collection(settings, client)
    _delete_gone_sources(collection, set(by_origin), previous, report)

    def unchanged(origin: str) -> bool:
        """Skip comparing a source chunk by chunk: its file (and the Convention's, which
        briefing chunks refer to) is what the last complete ingestion read."""
        if previous is None or previous.embedding_model != settings.embedding_model_id:
            return False
        if previous.code != manifests.code_fingerprint():
            return False
        if previous.questions.fingerprint != q_fingerprint:  # the expansion texts changed
            return False
        return all(
            sid in previous.sources and previous.sources[sid].fingerprint == fingerprints[sid]
            for sid in {origin, convention_origin}
        )

    notes = load_notes(settings.provisions_dir)
    q_fingerprint = manifests.questions_fingerprint(settings)
    records: list[Record] = []
    todo: list[tuple[Record, bool]] = []
    for origin, chunks in by_origin.items():
        mine = []
        for c in chunks:
            text = indexed_text(c, notes, settings)
            h = content_hash(c, text)
            mine.append(Record(c.id, text, c.text, chunk_metadata(c, h), h))
        records += mine
        if unchanged(origin) and previous.sources[origin].chunks == len(mine):
            report.unchanged += len(mine)
        else:
            todo += _changes(collection, mine, {"origin": origin}, report)
    embeddings = _embed(
        collection, todo, settings, embeddings, progress, "Embedding chunks", report, notify
    )

    labels = {c.label for chunks in by_origin.values() for c in chunks}
    unknown = sorted(set(notes) - labels)
    if unknown:
        log.warning("provision notes for labels the index lacks: %s", ", ".join(unknown[:10]))
    declined = load_declined(settings.declined_path)
    questions = [
        q
        for q in indexed_questions(notes, declined, load_pairs(settings.pairs_path))
        if q.declined or (q.label in labels and (not q.pair or q.also in labels))
    ]
    qcollection = open_collection(settings, client, questions_collection_name(settings.collection))
    qrecords = [
        Record(
            q.id,
            q.text,
            q.text,
            {
                "label": q.label,
                "yes_no": q.yes_no,
                "declined": q.declined,
                "also": q.also,
                "hash": h,
            },
            h,
        )
        for q in questions
        for h in [question_hash(q)]
    ]
    q_labels = manifests.labels_hash(labels)
    if (
        previous is not None
        and previous.questions.fingerprint == q_fingerprint
        and previous.questions.labels == q_labels
        and previous.questions.count == len(qrecords)
        and previous.embedding_model == settings.embedding_model_id
    ):
        report.unchanged += len(qrecords)
    else:
        todo = _changes(qcollection, qrecords, None, report)
        _embed(
            qcollection, todo, settings, embeddings, progress, "Embedding questions", report, notify
        )
    notify("stored", 0, 0)

    files = snapshot.write(
        settings.index_dir,
        [(r.id, r.document, r.metadata) for r in records],
        questions,
        texts={r.id: r.embed for r in records},
    )
    notify("snapshot", 0, 0)
    build_id = uuid.uuid4().hex
    expected = {collection.name: len(records), qcollection.name: len(qrecords)}
    for coll in (collection, qcollection):
        coll.modify(metadata={**(coll.metadata or {}), BUILD_ID: build_id})
        if coll.count() != expected[coll.name]:
            raise RuntimeError(
                f"collection {coll.name} holds {coll.count()} rows, expected {expected[coll.name]}"
            )
    sizes = Counter(r.metadata["origin"] for r in records)
    manifests.write(
        settings,
        Manifest(
            build_id=build_id,
            completed=datetime.now(UTC).isoformat(timespec="seconds"),
            embedding_model=settings.embedding_model_id,
            code=manifests.code_fingerprint(),
            sources={
                sid: SourceEntry(fingerprint=fp, chunks=sizes.get(sid, 0))
                for sid, fp in fingerprints.items()
            },
            questions=QuestionsEntry(
                fingerprint=q_fingerprint, labels=q_labels, count=len(qrecords)
            ),
            collections=expected,
            files=files,
        ),
    )
    notify("complete", 0, 0)
    report.seconds = time.perf_counter() - start
    return report


def _delete_gone_sources(collection, origins: set[str], previous, report: IngestReport) -> None:
    """Delete the chunks of sources no longer in the manifest (the last complete ingestion
    says which sources there were; without it, every row's origin is read)."""
    if previous is not None:
        gone = [sid for sid in previous.sources if sid not in origins]
        ids = [i for sid in gone for i in collection.get(where={"origin": sid}, include=[])["ids"]]
    else:
        stale = collection.get(include=["metadatas"])
        ids = [
            i
            for i, m in zip(stale["ids"], stale["metadatas"], strict=True)
            if (m or {}).get("origin") not in origins
        ]
    if ids:
        collection.delete(ids=ids)
        report.deleted += len(ids)


def _changes(
    collection: chromadb.Collection, records: list[Record], where: dict | None, report
) -> list[tuple[Record, bool]]:
    """Records whose content changed (with ``True`` when new); deletes rows no longer there."""
    existing = (
        collection.get(where=where, include=["metadatas"])
        if where
        else collection.get(include=["metadatas"])
    )
    old = {
        i: (m or {}).get("hash")
        for i, m in zip(existing["ids"], existing["metadatas"], strict=True)
    }
    ids = {r.id for r in records}
    if len(ids) != len(records):
        raise ValueError(f"duplicate ids in {collection.name} ({where})")
    gone = [i for i in old if i not in ids]
    if gone:
        collection.delete(ids=gone)
        report.deleted += len(gone)
    todo = []
    for r in records:
        if old.get(r.id) == r.hash:
            report.unchanged += 1
        else:
            todo.append((r, r.id not in old))
    return todo


def _embed(collection, todo, settings, embeddings, progress, desc, report, notify):
    """Embed and upsert the changed records, shortest first (batches of similar length pad
    less); returns the embeddings used (made on first need)."""
    if not todo:
        return embeddings
    embeddings = embeddings or make_embeddings(settings)
    todo = sorted(todo, key=lambda t: len(t[0].embed))
    bar = tqdm(total=len(todo), desc=desc, unit="row", disable=not progress)
    for i in range(0, len(todo), BATCH):
        batch = [r for r, _ in todo[i : i + BATCH]]
        collection.upsert(
            ids=[r.id for r in batch],
            embeddings=embeddings.embed_documents([r.embed for r in batch]),
            documents=[r.document for r in batch],
            metadatas=[r.metadata for r in batch],
        )
        bar.update(len(batch))
        notify(desc, min(i + BATCH, len(todo)), len(todo))
    bar.close()
    added = sum(1 for _, new in todo if new)
    report.added += added
    report.updated += len(todo) - added
    return embeddings
