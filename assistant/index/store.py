"""The persistent Chroma collection (embedded store, or a Chroma server via CHROMA_HOST)."""

from __future__ import annotations

import contextlib
import json

import chromadb
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from assistant.models import Chunk
from assistant.settings import Settings

LIST_FIELDS = ("cross_references", "pages")


def make_client(settings: Settings) -> chromadb.ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_host:
        return chromadb.HttpClient(
            host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
        )
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def forget_store(settings: Settings) -> None:
    """Stop and forget this process's Chroma system for the embedded store (before the store's
    files are replaced: Chroma shares one system per path within a process)."""
    system = SharedSystemClient._identifier_to_system.pop(str(settings.chroma_dir), None)
    SharedSystemClient._identifier_to_refcount.pop(str(settings.chroma_dir), None)
    if system is not None:
        with contextlib.suppress(Exception):  # a damaged store may fail to stop cleanly
            system.stop()


def chunk_metadata(chunk: Chunk, content_hash: str) -> dict:
    """Flat Chroma metadata (no None values; lists as JSON)."""
    meta = {
        "label": chunk.label,
        "source": str(chunk.source),
        "document": chunk.document,
        "article_title": chunk.article_title,
        "chapter_title": chunk.chapter_title,
        "chapeau": chunk.chapeau,
        "tail": chunk.tail,
        "origin": chunk.origin,
        "seq": chunk.seq,
        "cross_references": json.dumps(chunk.cross_references),
        "pages": json.dumps(chunk.pages),
        "url": chunk.url,
        "hash": content_hash,
    }
    for key in ("article", "paragraph", "chapter"):
        value = getattr(chunk, key)
        if value is not None:
            meta[key] = value
    return meta


def chunk_from_record(chunk_id: str, text: str, meta: dict) -> Chunk:
    return Chunk(
        id=chunk_id,
        text=text,
        label=meta["label"],
        source=meta["source"],
        document=meta.get("document", ""),
        article=meta.get("article"),
        paragraph=meta.get("paragraph"),
        article_title=meta.get("article_title", ""),
        chapter=meta.get("chapter"),
        chapter_title=meta.get("chapter_title", ""),
        cross_references=json.loads(meta.get("cross_references") or "[]"),
        chapeau=meta.get("chapeau", ""),
        tail=meta.get("tail", ""),
        origin=meta.get("origin", ""),
        seq=meta.get("seq", 0),
        pages=json.loads(meta.get("pages") or "[]"),
        url=meta.get("url", ""),
    )
