"""Rule-based follow-up resolution: a question that refers back borrows the previous turn."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.analysis import analyze
from assistant.labels import labels_in

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
    return analyze(question, conversation=True).refers_back


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
