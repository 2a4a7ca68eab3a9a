"""The question index's dense search: exact, and the same in every process."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

QUESTION = (
    "Does the cybercrime treaty let governments listen in on people's online calls and "
    "messages live? Is there any limit on which crimes that's for, or on how far it can go?"
)


def _brute_force(
    collection, vector, declined: bool, k: int, pairs: bool = False
) -> list[tuple[str, float]]:
    got = collection.get(where={"declined": declined}, include=["embeddings", "metadatas"])
    keep = [i for i, m in enumerate(got["metadatas"]) if bool((m or {}).get("also")) == pairs]
    m = np.array([got["embeddings"][i] for i in keep], dtype=np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    sims = m @ (np.asarray(vector, dtype=np.float32) / np.linalg.norm(vector))
    order = np.argsort(-sims, kind="stable")[:k]
    return [(got["ids"][keep[i]], float(sims[i])) for i in order]


def test_nearest_questions_are_the_exact_ones_best_first(bot):
    bot.ensure_ready()
    index = bot.retriever.questions
    for text in (QUESTION, "Can police make a provider hand over subscriber data?", "x"):
        vector = bot.retriever.embed(text)
        got = index.dense(vector, 120)
        want = _brute_force(index.collection, vector, False, 120)
        assert [q.id for q, _ in got] == [i for i, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)
        assert all(not q.declined for q, _ in got)
        best_declined = _brute_force(index.collection, vector, True, 1)[0][1]
        assert abs(index.nearest_declined(vector) - best_declined) < 1e-5


def test_two_provision_questions_are_searched_apart(bot):
    """Our two-provision questions are not pointers of the rank fusion (neither its dense nor its
    lexical question search returns them); their own search is exact, best first."""
    bot.ensure_ready()
    index = bot.retriever.questions
    assert index.pairs and all(q.also and q.also != q.label for q in index.pairs)
    vector = bot.retriever.embed(QUESTION)
    assert not any(q.pair for q, _ in index.dense(vector, 10**6))
    assert not any(q.pair for q, _ in bot.retriever.question_lexical.search(QUESTION, 10**6))
    got = index.nearest_pairs(vector, 10)
    want = _brute_force(index.collection, vector, False, 10, pairs=True)
    assert [q.id for q, _ in got] == [i for i, _ in want]
    assert np.allclose([s for _, s in got], [s for _, s in want], atol=1e-5)


def test_fewer_questions_than_asked_for_and_none_asked(bot):
    bot.ensure_ready()
    index = bot.retriever.questions
    vector = bot.retriever.embed(QUESTION)
    assert len(index.dense(vector, 10**6)) == len(index.questions)
    assert index.dense(vector, 0) == []


def test_a_question_cites_the_same_provisions_in_every_process(index_dir, mirror_dir):
    """Chroma's filtered query varied from process to process; two fresh processes must
    answer alike."""
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from assistant import Assistant\n"
        "from assistant.settings import Settings\n"
        f"s = Settings(source_dir=Path({str(mirror_dir)!r}), data_dir=Path({str(index_dir)!r}))\n"
        "bot = Assistant(s, progress=False).ensure_ready()\n"
        "r = bot.pipeline.until_gate(sys.argv[1], []).retrieval\n"
        "print(json.dumps([[p.label, round(p.score, 9)] for p in r.candidates]))\n"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code, QUESTION], capture_output=True, text=True, check=True
        ).stdout
        for _ in range(3)
    }
    assert len(runs) == 1
