"""What a provision's text states that a question can ask for: the asked kind of quantity (a
time limit in days, a count, a date), a ground for refusal, a safeguard.

One home for these text patterns. Retrieval lifts the provisions that state what is asked,
the answer's selector reads it as a feature and weighs it in its hand-set fit, and the quote
keeps the sentence that states it; all of them ask here, with the question's kind read once, by
the question analysis (:class:`assistant.analysis.QueryAnalysis`).
"""

from __future__ import annotations

import re

from assistant.analysis import Intent, QueryAnalysis
from assistant.language.quantities import quantities

# What a provision's text states, for the kinds a question can ask for besides a quantity.
KIND_TEXT = {
    Intent.REFUSAL: re.compile(
        r"\b(?:refus\w*|declin\w*|grounds?\b|postpone\w*|not be obliged)", re.I
    ),
    Intent.SAFEGUARD: re.compile(
        r"\b(?:safeguards?|human rights|independent supervision|judicial or other independent "
        r"review|proportionality|fundamental freedoms|protection of personal data|privacy)\b",
        re.I,
    ),
}

# The quantities (kind, unit) that answer a question asking for a unit.
_UNIT_KINDS = {
    "day": {("duration", "day")},
    "month": {("duration", "month")},
    "year": {("duration", "year")},
    "date": {
        ("date", ""),
        ("year", ""),
        ("ordinal", ""),
        ("duration", "day"),
        ("duration", "year"),
    },
    "count": {("number", ""), ("fraction", ""), ("ordinal", "")},
}


def states_asked_quantity(text: str, unit: str | None) -> bool:
    """Does the text state the kind of quantity the question asks for (any quantity when the
    question names no unit)?"""
    found = {(q.kind, q.unit) for q in quantities(text)}
    if unit is None:
        return any(k in ("duration", "date", "ordinal", "number", "fraction") for k, _ in found)
    return bool(found & _UNIT_KINDS.get(unit, set()))


def states_kind(text: str, intent: Intent) -> bool:
    """Does the text state what a question of this kind (refusal, safeguard) asks for?"""
    pattern = KIND_TEXT.get(intent)
    return bool(pattern and pattern.search(text))


def states_asked(text: str, analysis: QueryAnalysis, kind: Intent) -> bool:
    """Does the question ask for this kind (a quantity, a refusal ground, a safeguard), and does
    the text state it (a quantity of the asked unit)?"""
    if not analysis.has(kind):
        return False
    if kind == Intent.QUANTITY:
        return states_asked_quantity(text, analysis.quantity_unit)
    return states_kind(text, kind)


def asked_kinds(analysis: QueryAnalysis) -> list[Intent]:
    """The kinds of :data:`KIND_TEXT` the question asks for."""
    return [intent for intent in KIND_TEXT if analysis.has(intent)]
