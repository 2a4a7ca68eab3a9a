"""Rule-based follow-up resolution: a question that refers back borrows the previous turn."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.labels import labels_in

_THIS_DOC = re.compile(r"\b(this|the)\s+(convention|treaty|instrument|agreement|text)\b", re.I)
_REFERS_BACK = re.compile(
    r"^\s*(and|also|so|but|then|plus|or|what about|how about|what if|same for|why)\b"
    r"|\b(it|its|that|this|those|these|they|them|their|such|the same|above|former|latter|"
    r"there|he|she|him|her)\b",
    re.I,
)

Turn = tuple[str, str]


@dataclass
class Followup:
    question: str  # the new question as asked
    context: str = ""  # the earlier question it refers back to ("" when standalone)
    boost_labels: list[str] = field(default_factory=list)  # provisions the earlier answer cited

    @property
    def is_followup(self) -> bool:
        return bool(self.context)

    @property
    def resolved(self) -> str:
        return (
            f"{self.question} (following up on: {self.context})" if self.context else self.question
        )


def refers_back(question: str) -> bool:
    words = len(re.findall(r"\w+", question))
    return bool(_REFERS_BACK.search(_THIS_DOC.sub(" ", question))) or words <= 3


def resolve(question: str, history: list[Turn] | None) -> Followup:
    """Only questions that refer back are rewritten; others stand alone."""
    if not history or not refers_back(question):
        return Followup(question)
    prev_q, prev_a = history[-1]
    context = prev_q
    # A chain of follow-ups: carry the last standalone question along.
    for q, _ in reversed(history[:-1]):
        if not refers_back(prev_q):
            break
        context, prev_q = f"{q} {context}", q
    return Followup(question, context=context, boost_labels=labels_in(prev_a or ""))
