"""The deontic force of a sentence: obligation, permission, prohibition, no obligation.

The Convention writes "shall", "may", "shall not", "is not obliged"; a plain-language summary
or a generated answer writes "must", "can", "must not", "does not have to". Both map onto the
same four categories so that a paraphrase can be checked against the text it rests on.

    >>> sorted(modalities("Each State Party shall adopt such measures"))
    ['obligation']
    >>> sorted(modalities("A country does not have to extradite its nationals"))
    ['no_obligation']
"""

from __future__ import annotations

import re
from enum import StrEnum


class Modality(StrEnum):
    OBLIGATION = "obligation"
    PERMISSION = "permission"
    PROHIBITION = "prohibition"
    NO_OBLIGATION = "no_obligation"


_NOT = r"(?:not|never|n['’]t)"
_OBLIGED = r"(?:required|obliged|obligated|bound|compelled)"

# Order matters: the negative forms are found (and blanked out) before the positive ones.
_PATTERNS: list[tuple[Modality, re.Pattern]] = [
    (
        Modality.NO_OBLIGATION,
        re.compile(
            rf"\b(?:shall|will|is|are|be|being)\s+{_NOT}\s+(?:be\s+)?{_OBLIGED}\b"
            rf"|\b(?:does|do|did)\s*{_NOT}\s+(?:have|need)\s+to\b"
            rf"|\bneed\s+not\b|\bnot\s+{_OBLIGED}\b|\bno\s+(?:obligation|duty|requirement)\b"
            rf"|\bnothing\b[^.;]{{0,80}}\b(?:shall|should|will|is to)\s+be\s+(?:construed|"
            rf"interpreted)\s+(?:as\s+)?(?:requiring|obliging|an obligation)"
            rf"|\b(?:is|are)\s+under\s+no\s+obligation\b|\boptional\b",
            re.IGNORECASE,
        ),
    ),
    (
        Modality.PROHIBITION,
        re.compile(
            rf"\b(?:shall|must|may|can|will)\s*{_NOT}\b|\bcannot\b|\bshall\s+in\s+no\s+case\b"
            rf"|\b(?:is|are)\s+{_NOT}\s+(?:allowed|permitted|authori[sz]ed|entitled)\s+to\b"
            rf"|\b(?:prohibit(?:s|ed|ion)?|forbid(?:s|den)?|bars?|barred)\b"
            rf"|\bnever\b"
            rf"|\bno\s+(?:State|country|State Party|one)\b[^.;]{{0,40}}\b(?:may|shall|can)\b"
            rf"|\bnothing\s+in\s+this\s+(?:Convention|article)\s+shall\b",
            re.IGNORECASE,
        ),
    ),
    (
        Modality.OBLIGATION,
        re.compile(
            rf"\b(?:shall|must|has\s+to|have\s+to|had\s+to|is\s+to|are\s+to)\b"
            rf"|\b(?:is|are|be)\s+{_OBLIGED}\s+to\b|\bobliges?\b|\bobligation\s+to\b"
            rf"|\b(?:requires?|required)\s+(?:each|every|all|the|a|States?|countries)\b",
            re.IGNORECASE,
        ),
    ),
    (
        Modality.PERMISSION,
        re.compile(
            r"\b(?:may|can|could|might)\b|\b(?:is|are)\s+(?:free|allowed|permitted|entitled|"
            r"authori[sz]ed)\s+to\b|\bhas\s+the\s+right\s+to\b|\bhave\s+the\s+right\s+to\b"
            r"|\b(?:is|are)\s+able\s+to\b|\boption\s+(?:to|of)\b|\bat\s+(?:its|their)\s+discretion\b",
            re.IGNORECASE,
        ),
    ),
]


def modalities(text: str) -> set[Modality]:
    """The deontic categories the text expresses (a sentence may carry several)."""
    found: set[Modality] = set()
    rest = text
    for kind, pattern in _PATTERNS:
        if pattern.search(rest):
            found.add(kind)
            rest = pattern.sub(" ", rest)
    return found


def is_negative(kind: Modality) -> bool:
    return kind in (Modality.PROHIBITION, Modality.NO_OBLIGATION)


def unsupported_modalities(claim: str, source: str) -> set[Modality]:
    """Categories the claim expresses that the source does not. Permission in the claim is
    also supported by an obligation in the source (what a State must do, it can do)."""
    have = modalities(source)
    if Modality.OBLIGATION in have:
        have = have | {Modality.PERMISSION}
    return modalities(claim) - have
