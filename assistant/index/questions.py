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
    label: str  # the provision it points to
    text: str
    yes_no: str = ""


def indexed_questions(notes: dict[str, ProvisionNote]) -> list[IndexedQuestion]:
    out = []
    for label, note in notes.items():
        for q in note.questions:
            digest = hashlib.sha1(f"{label}\n{q.text}".encode()).hexdigest()[:16]
            out.append(IndexedQuestion(f"q:{digest}", label, q.text, q.yes_no))
    return out


def question_hash(q: IndexedQuestion) -> str:
    return hashlib.sha256(f"{q.label}\n{q.text}\n{q.yes_no}".encode()).hexdigest()


def questions_collection_name(collection: str) -> str:
    return collection + SUFFIX


class QuestionIndex:
    """Dense search over the indexed questions (lexical search: a LexicalIndex over them)."""

    def __init__(self, collection: chromadb.Collection, questions: list[IndexedQuestion]):
        self.collection = collection
        self.questions = questions
        self.by_id = {q.id: q for q in questions}

    def dense(self, vector: list[float], k: int) -> list[tuple[IndexedQuestion, float]]:
        if not self.questions:
            return []
        got = self.collection.query(
            query_embeddings=[vector], n_results=min(k, len(self.questions)), include=["distances"]
        )
        out = []
        for qid, dist in zip(got["ids"][0], got["distances"][0], strict=True):
            q = self.by_id.get(qid)
            if q is not None:
                out.append((q, 1.0 - float(dist)))
        return out
