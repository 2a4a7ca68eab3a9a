"""What starting up loads instead of reading back and re-indexing the whole store.

Ingestion writes, beside the Chroma store (``<data dir>/index/<collection>/``): the catalog of
chunks (each as the id, text and metadata stored in Chroma) and the indexed questions
(``catalog.json``), and both BM25 indexes (``lexical-chunks/``, ``lexical-questions/``).
Loading them costs no Chroma read and no tokenisation, so start-up time does not grow with
the corpus the way a full ``collection.get`` and a BM25 build do. The manifest
(:mod:`.manifest`) holds each file's SHA-256; a file that does not match is not loaded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from assistant.index.catalog import Catalog
from assistant.index.lexical import LexicalIndex
from assistant.index.questions import IndexedQuestion
from assistant.index.store import chunk_from_record
from assistant.models import Chunk

CATALOG = "catalog.json"
CHUNKS_LEXICAL = "lexical-chunks"
QUESTIONS_LEXICAL = "lexical-questions"


@dataclass
class Snapshot:
    catalog: Catalog
    lexical: LexicalIndex[Chunk]
    questions: list[IndexedQuestion]
    question_lexical: LexicalIndex[IndexedQuestion]


def write(
    directory: Path,
    records: list[tuple[str, str, dict]],
    questions: list[IndexedQuestion],
    texts: dict[str, str] | None = None,
) -> dict[str, str]:
    """Write the snapshot of the chunk records (id, text, Chroma metadata) and the questions;
    ``texts`` (chunk id -> text) is what BM25 matches for a chunk (its expanded text; default
    its search text). The questions' BM25 index holds only questions on one provision (not the
    declined exemplars nor the two-provision questions). Returns {file: sha256} for the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    catalog = Catalog([chunk_from_record(*r) for r in records])
    order = {c.id: i for i, c in enumerate(catalog.chunks)}
    records = sorted(records, key=lambda r: order[r[0]])
    payload = {
        "chunks": [list(r) for r in records],
        "questions": [[q.id, q.label, q.text, q.yes_no, q.also] for q in questions],
    }
    (directory / CATALOG).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    chunk_texts = [texts[c.id] for c in catalog.chunks] if texts else None
    on_provisions = [q for q in questions if q.on_provision]
    for name, index in (
        (CHUNKS_LEXICAL, LexicalIndex(catalog.chunks, texts=chunk_texts)),
        (QUESTIONS_LEXICAL, LexicalIndex(on_provisions, texts=[q.text for q in on_provisions])),
    ):
        shutil.rmtree(directory / name, ignore_errors=True)
        index.save(directory / name)
    return files_hashes(directory)


def files_hashes(directory: Path) -> dict[str, str]:
    out = {}
    for file in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = file.relative_to(directory).as_posix()
        if rel.startswith((CATALOG, CHUNKS_LEXICAL + "/", QUESTIONS_LEXICAL + "/")):
            out[rel] = hashlib.sha256(file.read_bytes()).hexdigest()
    return out


def load(directory: Path) -> Snapshot:
    """The snapshot as written (raises OSError/ValueError/KeyError when it is not whole)."""
    raw = json.loads((directory / CATALOG).read_text(encoding="utf-8"))
    chunks = [chunk_from_record(i, text, meta) for i, text, meta in raw["chunks"]]
    catalog = Catalog(chunks)
    if [c.id for c in catalog.chunks] != [c.id for c in chunks]:
        raise ValueError("catalog order changed")
    questions = [IndexedQuestion(*q) for q in raw["questions"]]
    return Snapshot(
        catalog=catalog,
        lexical=LexicalIndex.load(directory / CHUNKS_LEXICAL, catalog.chunks),
        questions=questions,
        question_lexical=LexicalIndex.load(
            directory / QUESTIONS_LEXICAL, [q for q in questions if q.on_provision]
        ),
    )
