"""The index manifest: written last by ingestion, it says the index is complete and what it
was built from.

``<data dir>/index/<collection>/manifest.json`` records the embedding model, a fingerprint of
the code that turns documents into chunks and BM25 indexes, each source's fingerprint (the
bytes of the file it was read from) and chunk count, the question index's fingerprint and
count, each Chroma collection's expected row count, a build id (also stored in the
collections' metadata) and the SHA-256 of every snapshot file (:mod:`.snapshot`). No manifest
means an ingestion never finished (it was interrupted: the next start resumes it).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
from pathlib import Path

from pydantic import BaseModel, ValidationError

from assistant.documents.fetch import FetchError
from assistant.documents.loader import locate
from assistant.documents.sources import Source, load_manifest
from assistant.settings import REPO_ROOT, Settings

FILE = "manifest.json"
FORMAT = 1
# What the chunks, their metadata and the BM25 indexes are a function of, besides the sources.
CODE_FILES = [
    "assistant/documents/*.py",
    "assistant/chunking.py",
    "assistant/labels.py",
    "assistant/models.py",
    "assistant/index/store.py",
    "assistant/index/questions.py",
    "assistant/index/lexical.py",
    "assistant/index/snapshot.py",
]
LIBRARIES = ("bm25s", "PyStemmer", "pymupdf")


class SourceEntry(BaseModel):
    fingerprint: str
    chunks: int


class QuestionsEntry(BaseModel):
    fingerprint: str  # the provision notes files
    labels: str  # hash of the set of chunk labels the questions were filtered by
    count: int


class Manifest(BaseModel):
    format: int = FORMAT
    build_id: str
    completed: str  # ISO 8601 time the ingestion finished
    embedding_model: str
    code: str
    sources: dict[str, SourceEntry]
    questions: QuestionsEntry
    collections: dict[str, int]  # Chroma collection -> rows
    files: dict[str, str]  # snapshot file (relative path) -> sha256

    @property
    def chunks(self) -> int:
        return sum(s.chunks for s in self.sources.values())


def path(settings: Settings) -> Path:
    return settings.index_dir / FILE


def read(settings: Settings) -> Manifest | None:
    """The manifest of the last completed ingestion, or None (missing or unreadable)."""
    try:
        return Manifest.model_validate_json(path(settings).read_bytes())
    except (OSError, ValidationError, ValueError):
        return None


def write(settings: Settings, manifest: Manifest) -> None:
    """Atomically: the manifest is there whole or not at all."""
    target = path(settings)
    tmp = target.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(manifest.model_dump_json(indent=1))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    _fsync_dir(target.parent)


def remove(settings: Settings) -> None:
    """Mark the index incomplete (before ingestion changes anything)."""
    target = path(settings)
    if target.exists():
        target.unlink()
        _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- fingerprints ----------------------------------------------------------------------------


def file_hash(file: Path) -> str:
    digest = hashlib.sha256()
    with file.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def code_fingerprint() -> str:
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for pattern in CODE_FILES:
        for file in sorted(REPO_ROOT.glob(pattern)):
            digest.update(file.relative_to(REPO_ROOT).as_posix().encode())
            digest.update(file.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name} {importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(f"{name} missing".encode())
    return digest.hexdigest()


def source_fingerprint(source: Source, settings: Settings) -> str | None:
    """Hash of the file a source would be read from, when it is here without downloading
    (None: not available locally, so it cannot be compared)."""
    try:
        found = locate(source, settings, download_missing=False, progress=False)
    except FetchError:
        return None
    return file_hash(found) if found is not None else None


def source_fingerprints(settings: Settings) -> dict[str, str | None]:
    return {s.id: source_fingerprint(s, settings) for s in load_manifest(settings.manifest_path)}


def questions_fingerprint(settings: Settings) -> str:
    """Our provision notes (summaries and questions), the declined exemplars, the two-provision
    questions, and whether provisions are indexed with their notes: what the question index and
    the expanded provision texts are made of."""
    digest = hashlib.sha256(f"expand {settings.expand_provisions}".encode())
    for path in (settings.declined_path, settings.pairs_path):
        if path.exists():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for file in sorted(settings.provisions_dir.glob("*.toml")):
        digest.update(file.name.encode())
        digest.update(file.read_bytes())
    return digest.hexdigest()


def labels_hash(labels: set[str]) -> str:
    return hashlib.sha256("\n".join(sorted(labels)).encode()).hexdigest()
