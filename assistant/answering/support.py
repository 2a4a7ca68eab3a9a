"""Support score: how much of a question's (or a sentence's) content the cited passages carry.

A lexical, IDF-weighted measure (documented in evals/SCHEMA.md): each content term of the claim
weighs its inverse document frequency in the corpus (terms the corpus lacks weigh most); a term
counts as supported when the passages contain it. Score = supported weight / total.
"""

from __future__ import annotations

from assistant.index.lexical import GENERIC_TERMS, LexicalIndex
from assistant.models import Passage

# A cited sentence counts as supported by its passages at or above this score (the evaluation
# suite's citation precision/recall and the LLM answer verifier use the same threshold).
SUPPORT_THRESHOLD = 0.6


def passage_terms(lexical: LexicalIndex, passages: list[Passage]) -> set[str]:
    text = " ".join(f"{p.title} {p.chapeau} {p.text}" for p in passages)
    return set(lexical.terms(text))


def support(
    lexical: LexicalIndex, claim: str, passages: list[Passage], *, drop_generic: bool = True
) -> float:
    terms = set(lexical.terms(claim))
    if drop_generic:
        terms -= GENERIC_TERMS
    if not terms:
        return 1.0
    have = passage_terms(lexical, passages)
    covered = terms & have
    total = sum(lexical.weight(t) for t in terms)
    return sum(lexical.weight(t) for t in covered) / total
