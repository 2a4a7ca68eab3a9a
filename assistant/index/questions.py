"""The question index: our plain-language questions, each a pointer to the provision it asks
about (``corpus/provisions/*.toml``). A user's question is matched against them
question-to-question (what the sentence embedding model is good at), and a hit stands for its
provision in the rank fusion. Our two-provision questions (``corpus/pairs.toml``) point to a
pair of provisions; they are kept out of the fusion and read by the answerer (which provision
goes with the one it cites first)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import chromadb
import numpy as np

from assistant.documents.provision_notes import PairQuestion, ProvisionNote

SUFFIX = "-questions"


@dataclass(frozen=True)
class IndexedQuestion:
    id: str
    label: str  # the provision it points to ("" for a question the Convention does not answer)
    text: str
    yes_no: str = ""
    also: str = ""  # a two-provision question's second provision

    @property
    def declined(self) -> bool:
        return not self.label

    @property
    def pair(self) -> bool:
        return bool(self.also)

    @property
    def on_provision(self) -> bool:
        """A question on one provision (what the rank fusion reads)."""
        return not self.declined and not self.pair


def indexed_questions(
    notes: dict[str, ProvisionNote],
    declined: list[str] | None = None,
    pairs: list[PairQuestion] | None = None,
) -> list[IndexedQuestion]:
    """Our questions on each provision, those the Convention does not answer, then those that
    need two provisions."""
    out = []
    for label, note in notes.items():
        for q in note.questions:
            digest = hashlib.sha1(f"{label}\n{q.text}".encode()).hexdigest()[:16]
            out.append(IndexedQuestion(f"q:{digest}", label, q.text, q.yes_no))
    for text in declined or []:
        digest = hashlib.sha1(f"declined\n{text}".encode()).hexdigest()[:16]
        out.append(IndexedQuestion(f"x:{digest}", "", text))
    for pair in pairs or []:
        first, second = pair.labels
        digest = hashlib.sha1(f"{first}\n{second}\n{pair.text}".encode()).hexdigest()[:16]
        out.append(IndexedQuestion(f"p:{digest}", first, pair.text, also=second))
    return out


def question_hash(q: IndexedQuestion) -> str:
    key = f"{q.label}\n{q.text}\n{q.yes_no}\n{q.declined}" + (f"\n{q.also}" if q.also else "")
    return hashlib.sha256(key.encode()).hexdigest()


def questions_collection_name(collection: str) -> str:
    return collection + SUFFIX


class QuestionIndex:
    """Dense search over the indexed questions (lexical search: a LexicalIndex over them).

    The vectors are stored in their Chroma collection and read from it once, then searched
    exactly (a few thousand dot products, well under a millisecond). Chroma's own query with a
    metadata filter (indexed questions vs those the Convention does not answer) is approximate,
    and its result varied from one process to the next: the same question could cite
    different provisions after a restart."""

    def __init__(self, collection: chromadb.Collection, questions: list[IndexedQuestion]):
        self.collection = collection
        self.questions = [q for q in questions if q.on_provision]
        self.declined = [q for q in questions if q.declined]
        self.pairs = [q for q in questions if q.pair]
        self._answered = _Vectors(collection, self.questions)
        self._declined = _Vectors(collection, self.declined)
        self._pairs = _Vectors(collection, self.pairs)

    def dense(self, vector: list[float], k: int) -> list[tuple[IndexedQuestion, float]]:
        """The nearest questions on provisions, with their cosine similarity."""
        return self._answered.nearest(vector, k)

    def nearest_pairs(self, vector: list[float], k: int) -> list[tuple[IndexedQuestion, float]]:
        """The nearest two-provision questions, with their cosine similarity."""
        return self._pairs.nearest(vector, k)

    def nearest_declined(self, vector: list[float]) -> float:
        """Cosine of the nearest question that the Convention does not answer (0 if none)."""
        hits = self._declined.nearest(vector, 1)
        return hits[0][1] if hits else 0.0


class _Vectors:
    """Unit vectors of some indexed questions, read from the collection once (when the index
    is loaded); a question the collection lacks is left out."""

    def __init__(self, collection: chromadb.Collection, questions: list[IndexedQuestion]):
        ids = [q.id for q in questions]
        got = collection.get(ids=ids, include=["embeddings"]) if ids else None
        stored = dict(zip(got["ids"], got["embeddings"], strict=True)) if got else {}
        self._questions = [q for q in questions if q.id in stored]
        m = np.array([stored[q.id] for q in self._questions], dtype=np.float32)
        norms = np.linalg.norm(m, axis=1, keepdims=True) if len(m) else 1.0
        self._matrix = m / np.where(norms == 0, 1.0, norms)

    def nearest(self, vector: list[float], k: int) -> list[tuple[IndexedQuestion, float]]:
        if not self._questions or k <= 0:
            return []
        v = np.asarray(vector, dtype=np.float32)
        sims = self._matrix @ (v / (np.linalg.norm(v) or 1.0))
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.lexsort((top, -sims[top]))]  # best first; ties in index order
        return [(self._questions[i], float(sims[i])) for i in top]
