"""Ingestion into a real Chroma store with the real embedding model."""

from __future__ import annotations

import json
import shutil

import pytest

from assistant.index.ingest import ingest, open_collection
from assistant.index.questions import questions_collection_name
from assistant.index.store import make_client
from assistant.settings import REPO_ROOT, Settings


@pytest.fixture()
def own_corpus(tmp_path, mirror_dir):
    """A private copy of corpus/ (manifest + our notes) that a test may edit."""
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO_ROOT / "corpus", corpus)
    return Settings(source_dir=mirror_dir, data_dir=tmp_path / "data", corpus_dir=corpus)


def _collection(settings):
    return open_collection(settings, make_client(settings))


def _questions(settings):
    return open_collection(
        settings, make_client(settings), questions_collection_name(settings.collection)
    )


def test_ingest_is_idempotent_and_incremental(own_corpus):
    first = ingest(own_corpus, progress=False)
    assert first.added > 400 and first.updated == first.deleted == 0
    coll = _collection(own_corpus)
    questions = _questions(own_corpus)
    assert coll.count() > 400 and questions.count() > 3 * 400
    assert coll.count() + questions.count() == first.added
    before = coll.get(include=["metadatas"])
    hashes = dict(zip(before["ids"], [m["hash"] for m in before["metadatas"]], strict=True))

    again = ingest(own_corpus, progress=False)
    assert not again.changed and again.unchanged == first.added

    # Edit one section of one briefing note and drop another: only those chunks change.
    notes = own_corpus.corpus_dir / "briefing" / "key-dates.md"
    text = notes.read_text()
    sections = text.split("\n## ")
    sections[1] = sections[1].rstrip() + " An added sentence for the test.\n"
    del sections[2]
    notes.write_text("\n## ".join(sections))
    third = ingest(own_corpus, progress=False)
    assert third.changed
    after = coll.get(include=["metadatas"])
    changed = [
        i
        for i, m in zip(after["ids"], after["metadatas"], strict=True)
        if hashes.get(i) != m["hash"]
    ]
    removed = set(hashes) - set(after["ids"])
    assert changed and all(i.startswith("briefing:key-dates") for i in changed)
    assert len(removed) == 1 and removed.pop().startswith("briefing:key-dates")
    assert third.deleted == 1 and third.added == 0

    # A question added to our question index is embedded, and so is its provision (indexed
    # with its questions); nothing else changes.
    notes = next((own_corpus.corpus_dir / "provisions").glob("*.toml"))
    text = notes.read_text()
    marker = "questions = [\n"
    notes.write_text(text.replace(marker, marker + '  { q = "A new test question?" },\n', 1))
    fourth = ingest(own_corpus, progress=False)
    assert (fourth.added, fourth.updated, fourth.deleted) == (1, 1, 0)


def test_chroma_never_embeds_by_itself(index_dir, mirror_dir):
    """The collection has no embedding function of Chroma's: querying by text must fail
    rather than silently download Chroma's default model."""
    settings = Settings(source_dir=mirror_dir, data_dir=index_dir)
    coll = _collection(settings)
    assert coll.metadata["embedding_model"] == settings.embedding_model_id
    with pytest.raises(Exception):  # noqa: B017 - chroma's error type varies by version
        coll.query(query_texts=["subscriber information"], n_results=1)


def test_chunk_metadata_on_the_real_corpus(index_dir, mirror_dir):
    settings = Settings(source_dir=mirror_dir, data_dir=index_dir)
    got = _collection(settings).get(include=["metadatas", "documents"])
    meta = dict(zip(got["ids"], got["metadatas"], strict=True))
    docs = dict(zip(got["ids"], got["documents"], strict=True))
    art27b = meta["convention:art27:b"]
    assert art27b["label"] == "Art. 27(b)"
    assert art27b["article"] == 27 and art27b["paragraph"] == "b"
    assert art27b["article_title"] == "Production order"
    assert art27b["chapter"] == 4
    assert art27b["chapter_title"] == "Procedural measures and law enforcement"
    assert "subscriber information" in docs["convention:art27:b"]
    assert meta["convention:art65:1"]["label"] == "Art. 65(1)"
    assert meta["resolution:para12"]["label"] == "Res. para. 12"
    assert meta["notes:3"]["label"] == "Interp. note 3"
    articles = {
        m["article"] for m in meta.values() if m["source"] == "convention" and "article" in m
    }
    assert articles == set(range(1, 69))
    assert any(i.startswith("briefing:") for i in meta)
    # Every provision of Article 3 records its cross-references to Articles 23 and 35.
    assert all(
        {23, 35} <= set(json.loads(m["cross_references"]))
        for m in meta.values()
        if m.get("article") == 3 and m["source"] == "convention"
    )
