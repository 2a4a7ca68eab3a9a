"""The question index: our plain-language questions, each a pointer to the provision it asks
about (``corpus/provisions/*.toml``). A user's question is matched against them
question-to-question (what the sentence embedding model is good at), and a hit stands for its
provision in the rank fusion."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import chromadb

from assistant.documents.provision_notes import ProvisionNote

SUFFIX = "-questions"


@dataclass(frozen=True)
class IndexedQuestion:
    id: str
    label: str  # the provision it points to ("" for a question the Convention does not answer)
    text: str
    yes_no: str = ""

    @property
    def declined(self) -> bool:
        return not self.label


def indexed_questions(
    notes: dict[str, ProvisionNote], declined: list[str] | None = None
) -> list[IndexedQuestion]:
    """Our questions on each provision, then those the Convention does not answer."""
    out = []
    for label, note in notes.items():
        for q in note.questions:
            digest = hashlib.sha1(f"{label}\n{q.text}".encode()).hexdigest()[:16]
            out.append(IndexedQuestion(f"q:{digest}", label, q.text, q.yes_no))
    for text in declined or []:
        digest = hashlib.sha1(f"declined\n{text}".encode()).hexdigest()[:16]
        out.append(IndexedQuestion(f"x:{digest}", "", text))
    return out


def question_hash(q: IndexedQuestion) -> str:
    return hashlib.sha256(f"{q.label}\n{q.text}\n{q.yes_no}\n{q.declined}".encode()).hexdigest()


def questions_collection_name(collection: str) -> str:
    return collection + SUFFIX


class QuestionIndex:
    """Dense search over the indexed questions (lexical search: a LexicalIndex over them)."""

    def __init__(self, collection: chromadb.Collection, questions: list[IndexedQuestion]):
        self.collection = collection
        self.questions = [q for q in questions if not q.declined]
        self.declined = [q for q in questions if q.declined]
        self.by_id = {q.id: q for q in questions}

    def dense(self, vector: list[float], k: int) -> list[tuple[IndexedQuestion, float]]:
        """The nearest questions on provisions."""
        return self._query(vector, k, len(self.questions), {"declined": False})

    def nearest_declined(self, vector: list[float]) -> float:
        """Cosine of the nearest question that the Convention does not answer (0 if none)."""
        hits = self._query(vector, 1, len(self.declined), {"declined": True})
        return hits[0][1] if hits else 0.0

    def _query(self, vector, k, size, where) -> list[tuple[IndexedQuestion, float]]:
        if not size:
            return []
        got = self.collection.query(
            query_embeddings=[vector], n_results=min(k, size), where=where, include=["distances"]
        )
        out = []
        for qid, dist in zip(got["ids"][0], got["distances"][0], strict=True):
            q = self.by_id.get(qid)
            if q is not None:
                out.append((q, 1.0 - float(dist)))
        return out
