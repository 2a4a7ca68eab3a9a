"""How much of a question a provision speaks about.

The IDF-weighted share of the question's content terms (stemmed; generic words such as
"convention" or "state" weigh nothing) found in what the provision says: its heading and text,
our plain-language summary of it and the questions we wrote for it. The extractive answerer uses
it to order what it quotes and to decide whether a further provision adds anything to an answer.
(Reranking retrieval candidates by it raised the tuning set's paragraph MRR by 3 points but
lowered the test set's cited-gold rate by 7: not adopted.)
"""

from __future__ import annotations

from assistant.documents.provision_notes import ProvisionNote
from assistant.index.lexical import GENERIC_TERMS, LexicalIndex
from assistant.models import Chunk, Passage


class Coverage:
    def __init__(self, lexical: LexicalIndex, notes: dict[str, ProvisionNote]):
        self.lexical = lexical
        self.notes = notes
        self._vocab: dict[str, frozenset[str]] = {}

    def wanted(self, question: str) -> dict[str, float]:
        """The question's content terms with their weights."""
        return {
            t: self.lexical.weight(t) for t in set(self.lexical.terms(question)) - GENERIC_TERMS
        }

    def vocabulary(self, p: Passage | Chunk) -> frozenset[str]:
        if p.label not in self._vocab:  # a benign race: every thread computes the same set
            note = self.notes.get(p.label)
            plain = f"{note.summary} {' '.join(q.text for q in note.questions)}" if note else ""
            title = p.title if isinstance(p, Passage) else p.article_title
            self._vocab[p.label] = frozenset(self.lexical.terms(f"{title} {p.sentence()} {plain}"))
        return self._vocab[p.label]

    def share(self, p: Passage | Chunk, wanted: dict[str, float]) -> float:
        total = sum(wanted.values())
        if not total:
            return 1.0
        vocab = self.vocabulary(p)
        return sum(w for t, w in wanted.items() if t in vocab) / total

    def gain(self, p: Passage, chosen: list[Passage], wanted: dict[str, float]) -> float:
        """Share of the question that ``p`` covers and none of ``chosen`` does."""
        total = sum(wanted.values())
        if not total:
            return 0.0
        have = frozenset().union(*(self.vocabulary(c) for c in chosen))
        new = sum(w for t, w in wanted.items() if t in self.vocabulary(p) and t not in have)
        return new / total
