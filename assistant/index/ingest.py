"""Incremental, idempotent ingestion: documents -> chunks -> Chroma (content-hashed).

Each chunk's hash covers its text and metadata. Re-running changes nothing; a changed source
re-embeds only its changed chunks and deletes chunks that no longer exist.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass

import chromadb
from tqdm import tqdm

from assistant.chunking import chunk_corpus
from assistant.documents.loader import load_corpus
from assistant.documents.provision_notes import (
    ProvisionNote,
    expanded_text,
    load_declined,
    load_notes,
)
from assistant.documents.sources import load_manifest
from assistant.index.embeddings import make_embeddings
from assistant.index.questions import indexed_questions, question_hash, questions_collection_name
from assistant.index.store import chunk_metadata, make_client
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

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted)

    def __str__(self) -> str:
        return (
            f"{self.added} added, {self.updated} updated, {self.deleted} deleted, "
            f"{self.unchanged} unchanged in {self.seconds:.1f} s"
        )


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


def ingest(
    settings: Settings,
    *,
    progress: bool = True,
    download_missing: bool = True,
    embeddings=None,
    client: chromadb.ClientAPI | None = None,
) -> IngestReport:
    start = time.perf_counter()
    report = IngestReport()
    corpus = load_corpus(settings, download_missing=download_missing, progress=progress)
    convention_origin = next(
        s.id for s in load_manifest(settings.manifest_path) if s.kind == "convention"
    )
    by_origin = chunk_corpus(corpus, convention_origin)
    client = client or make_client(settings)
    collection = open_collection(settings, client)

    stale = collection.get(include=["metadatas"])
    orphan_ids = [
        i
        for i, m in zip(stale["ids"], stale["metadatas"], strict=True)
        if (m or {}).get("origin") not in by_origin
    ]
    if orphan_ids:
        collection.delete(ids=orphan_ids)
        report.deleted += len(orphan_ids)

    notes = load_notes(settings.provisions_dir)
    todo: list[tuple[Record, bool]] = []
    for origin, chunks in by_origin.items():
        records = []
        for c in chunks:
            text = indexed_text(c, notes, settings)
            h = content_hash(c, text)
            records.append(Record(c.id, text, c.text, chunk_metadata(c, h), h))
        todo += _changes(collection, records, {"origin": origin}, report)
    _embed(collection, todo, settings, embeddings, progress, "Embedding chunks", report)

    labels = {c.label for chunks in by_origin.values() for c in chunks}
    unknown = sorted(set(notes) - labels)
    if unknown:
        log.warning("provision notes for labels the index lacks: %s", ", ".join(unknown[:10]))
    declined = load_declined(settings.declined_path)
    questions = [q for q in indexed_questions(notes, declined) if q.declined or q.label in labels]
    qcollection = open_collection(settings, client, questions_collection_name(settings.collection))
    records = [
        Record(
            q.id,
            q.text,
            q.text,
            {"label": q.label, "yes_no": q.yes_no, "declined": q.declined, "hash": h},
            h,
        )
        for q in questions
        for h in [question_hash(q)]
    ]
    todo = _changes(qcollection, records, None, report)
    _embed(qcollection, todo, settings, embeddings, progress, "Embedding questions", report)
    report.seconds = time.perf_counter() - start
    return report


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


def _embed(collection, todo, settings, embeddings, progress, desc, report) -> None:
    """Embed and upsert the changed records, shortest first (batches of similar length pad
    less)."""
    if not todo:
        return
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
    bar.close()
    added = sum(1 for _, new in todo if new)
    report.added += added
    report.updated += len(todo) - added
