"""Support score: how much of a question's (or a sentence's) content the cited passages carry.

A lexical, IDF-weighted measure (documented in evals/SCHEMA.md): each content term of the claim
weighs its inverse document frequency in the corpus (terms the corpus lacks weigh most); a term
counts as supported when the passages contain it, or when it belongs to a plain-language phrase
of the glossary whose Convention terms the passages contain. Score = supported weight / total.
"""

from __future__ import annotations

import re

from assistant.index.lexical import LexicalIndex
from assistant.models import Passage
from assistant.retrieval.query import glossary_patterns

# A cited sentence counts as supported by its passages at or above this score (the evaluation
# suite's citation precision/recall and the LLM answer verifier use the same threshold).
SUPPORT_THRESHOLD = 0.6

# Words that carry no topic in a question about this treaty.
GENERIC_TERMS = set(
    [
        "convent",
        "treati",
        "cybercrim",
        "un",
        "unit",
        "nation",
        "state",
        "parti",
        "articl",
        "art",
        "say",
        "doe",
        "what",
        "whi",
        "which",
        "how",
        "can",
        "could",
        "would",
        "should",
        "may",
        "might",
        "must",
        "shall",
        "will",
        "tell",
        "explain",
        "provis",
        "requir",
        "allow",
        "rule",
        "mean",
        "anyth",
        "anyon",
        "someth",
        "someon",
        "peopl",
        "person",
        "need",
        "want",
        "know",
        "thing",
        "get",
        "let",
        "countri",
        "govern",
        "law",
        "legal",
        "also",
        "even",
        "actual",
        "realli",
        "pleas",
        "exact",
        "won",
        "doesn",
        "didn",
        "isn",
        "aren",
        "don",
        "did",
        "me",
        "my",
        "you",
        "your",
        "our",
        "him",
        "her",
        "come",
        "happen",
        "think",
        "mani",
        "much",
        "els",
        "simpli",
        "like",
    ]
)


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
    low = claim.lower()
    for pattern, expansion in glossary_patterns():
        m = pattern.search(low)
        if m and set(lexical.terms(expansion)) & have:
            covered |= set(lexical.terms(m.group(0))) & terms
    total = sum(lexical.weight(t) for t in terms)
    return sum(lexical.weight(t) for t in covered) / total


def _known_terms(lexical: LexicalIndex, text: str, terms: set[str]) -> set[str]:
    """Those of ``terms`` (from ``text``) that the official documents contain, or that belong to
    a plain-language phrase of the glossary."""
    known = terms & lexical.official_vocabulary
    low = text.lower()
    for pattern, _ in glossary_patterns():
        m = pattern.search(low)
        if m:
            known |= set(lexical.terms(m.group(0)))
    return known


def unknown_share(lexical: LexicalIndex, question: str) -> float:
    """IDF-weighted share of the question's content terms that the corpus does not know at all
    (after the glossary maps plain words to the Convention's): high for off-topic questions."""
    terms = set(lexical.terms(question)) - GENERIC_TERMS
    if not terms:
        return 0.0
    unknown = terms - _known_terms(lexical, question, terms)
    return sum(lexical.weight(t) for t in unknown) / sum(lexical.weight(t) for t in terms)


_TOPIC_QUESTION = re.compile(
    r"\b(?:does|do|will|would|is there|are there)\b.{0,40}?\b(?:convention|treaty|it|text)\b\s+"
    r"(?:\w+ly\s+)?(?:regulate|cover|address|say anything about|say anything on|set rules? on|"
    r"set requirements? for|require|deal with|mention|ban|govern|establish rules? on)s?\b(.+)",
    re.IGNORECASE,
)


def unknown_topic(lexical: LexicalIndex, question: str) -> str | None:
    """For "does the Convention regulate/cover/require X?" questions: the weightiest term of X
    that the corpus does not know at all, when such terms carry at least 30% of X's weight
    (the text cannot be about X); else None."""
    m = _TOPIC_QUESTION.search(question)
    if not m:
        return None
    topic = m.group(1)
    terms = set(lexical.terms(topic)) - GENERIC_TERMS
    if not terms:
        return None
    unknown = sorted(terms - _known_terms(lexical, topic, terms), key=lexical.weight, reverse=True)
    total = sum(lexical.weight(t) for t in terms)
    if unknown and sum(lexical.weight(t) for t in unknown) >= 0.3 * total:
        return unknown[0]
    return None
