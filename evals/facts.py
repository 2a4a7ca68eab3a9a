"""Is a key fact stated in an answer, and cited to a provision that contains it?

A key fact counts as stated when one cited claim of the answer (a stretch of text closed by its
labels, see ``assistant.labels.cited_segments``) states it **and** one of that claim's cited
provisions contains it:

- ``number``, ``duration``, ``ordinal``: the same value (durations with the same unit), however
  written: "ninetieth day" = "90th day" = "90 days"; "fortieth" = "40".
- ``date``: the date (or year) as written, case and punctuation aside.
- ``defined_term``: the term, singular or plural.
- ``phrase`` (the documented lexical check): the phrase itself after normalisation, or every
  content word of it (stemmed) in the claim; or likewise one of the item's ``accept``
  equivalents.

The cited provision contains the fact when its label is (or covers, or is covered by) the
provision the item names for it, or when its quoted text states the fact by the same rules.
"""

from __future__ import annotations

from assistant.labels import cited_segments, labels_overlap
from assistant.language.quantities import quantities
from assistant.models import Answer
from evals.dataset import FactKind, KeyFact
from evals.text import contains_phrase, normalise, stems

_NUMERIC = (FactKind.NUMBER, FactKind.DURATION, FactKind.ORDINAL)


def _states_one(kind: FactKind, fact: str, text: str) -> bool:
    if kind in _NUMERIC:
        wanted = {q.value_key for q in quantities(fact)}
        if wanted:
            return wanted <= {q.value_key for q in quantities(text)}
        return contains_phrase(text, fact)
    if kind == FactKind.DATE:
        return normalise(fact) in normalise(text)
    if kind == FactKind.DEFINED_TERM:
        term = normalise(fact).rstrip("s")
        return contains_phrase(text, term) or contains_phrase(text, term + "s")
    if contains_phrase(text, fact):
        return True
    words = set(stems(fact))
    return bool(words) and words <= set(stems(text))


def states(fact: KeyFact, text: str) -> bool:
    """Does ``text`` state the fact (or one of its accepted equivalents)?"""
    return any(_states_one(fact.kind, t, text) for t in (fact.text, *fact.accept))


def fact_supported(fact: KeyFact, answer: Answer) -> bool:
    quotes = {c.label: c.quote for c in answer.citations}
    for claim, labels in cited_segments(answer.text):
        if not states(fact, claim):
            continue
        for lab in labels:
            if labels_overlap(lab, fact.within) or (
                lab in quotes and _states_one(fact.kind, fact.text, quotes[lab])
            ):
                return True
    return False


def fact_in_text(fact: KeyFact, text: str) -> bool:
    """The fact anywhere in the text, cited or not (for an answerer that cannot cite)."""
    return states(fact, text)
