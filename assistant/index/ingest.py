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
from assistant.documents.sources import load_manifest
from assistant.index.embeddings import make_embeddings
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


def content_hash(chunk: Chunk) -> str:
    payload = json.dumps([chunk.search_text(), asdict(chunk)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def open_collection(settings: Settings, client: chromadb.ClientAPI) -> chromadb.Collection:
    """The collection, recreated when it was built with another embedding model."""
    model_id = settings.embedding_model_id
    try:
        existing = client.get_collection(settings.collection)
        if (existing.metadata or {}).get("embedding_model") != model_id:
            log.warning("index was built with another embedding model; rebuilding")
            client.delete_collection(settings.collection)
    except Exception:  # noqa: BLE001 - chroma raises different types for "not found"
        pass
    return client.get_or_create_collection(
        settings.collection,
        embedding_function=None,
        metadata={"embedding_model": model_id},
        configuration={"hnsw": {"space": "cosine"}},
    )


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
    known_origins = set(by_origin)
    orphan_ids = [
        i
        for i, m in zip(stale["ids"], stale["metadatas"], strict=True)
        if (m or {}).get("origin") not in known_origins
    ]
    if orphan_ids:
        collection.delete(ids=orphan_ids)
        report.deleted += len(orphan_ids)

    todo: list[tuple[Chunk, str, bool]] = []  # chunk, hash, is_new
    for origin, chunks in by_origin.items():
        existing = collection.get(where={"origin": origin}, include=["metadatas"])
        old = {
            i: (m or {}).get("hash")
            for i, m in zip(existing["ids"], existing["metadatas"], strict=True)
        }
        ids = {c.id for c in chunks}
        if len(ids) != len(chunks):
            raise ValueError(f"duplicate chunk ids in source {origin}")
        gone = [i for i in old if i not in ids]
        if gone:
            collection.delete(ids=gone)
            report.deleted += len(gone)
        for c in chunks:
            h = content_hash(c)
            if old.get(c.id) == h:
                report.unchanged += 1
            else:
                todo.append((c, h, c.id not in old))

    if todo:
        embeddings = embeddings or make_embeddings(settings)
        bar = tqdm(total=len(todo), desc="Embedding chunks", unit="chunk", disable=not progress)
        for i in range(0, len(todo), BATCH):
            batch = todo[i : i + BATCH]
            vectors = embeddings.embed_documents([c.search_text() for c, _, _ in batch])
            collection.upsert(
                ids=[c.id for c, _, _ in batch],
                embeddings=vectors,
                documents=[c.text for c, _, _ in batch],
                metadatas=[chunk_metadata(c, h) for c, h, _ in batch],
            )
            bar.update(len(batch))
        bar.close()
        report.added = sum(1 for _, _, new in todo if new)
        report.updated = len(todo) - report.added
    report.seconds = time.perf_counter() - start
    return report
