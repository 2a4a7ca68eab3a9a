"""Rule-based follow-up resolution: a question that refers back borrows the previous turn."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from assistant.analysis import analyze
from assistant.labels import labels_in

Turn = tuple[str, str]


@dataclass
class Followup:
    question: str  # the new question as asked
    context: str = ""  # the earlier question it refers back to ("" when standalone)
    boost_labels: list[str] = field(default_factory=list)  # provisions the earlier answer cited
    standalone: str = ""  # the follow-up rewritten as a question of its own ("" when not)

    @property
    def is_followup(self) -> bool:
        return bool(self.context)

    @property
    def resolved(self) -> str:
        if self.standalone:
            return self.standalone
        return (
            f"{self.question} (following up on: {self.context})" if self.context else self.question
        )


def refers_back(question: str, earlier: str = "") -> bool:
    return analyze(question, conversation=True, earlier=earlier).refers_back


# "And what about content data?", "What about for traffic data?", "And for personal data?",
# "Can they do the same for content data?", "Is it the same for stored data?", "Does that apply
# to content data too?"
_ELLIPTICAL = re.compile(
    r"^\s*(?:(?:and|or|but|also|so)\s+)?(?:(?:what|how)\s+about|(?:the\s+)?same\s+for)\s+"
    r"(?:for\s+|with\s+)?(?P<topic>[^?]+?)\s*\??\s*$"
    r"|^\s*(?:and|or)\s+(?:for|with|of)\s+(?P<topic2>[^?]+?)\s*\??\s*$"
    r"|^\s*(?:(?:and|but|so)\s+)?(?:can|could|may|might|must|do|does|will|would|should)\s+"
    r"(?:they|it|we|you|he|she|police|the\s+\w+)\s+(?:do|apply|use|get|have)\s+"
    r"(?:the\s+same(?:\s+thing)?|that|this|it)\s+(?:for|to|with|on)\s+(?P<topic3>[^?]+?)"
    r"(?:\s+(?:too|as\s+well))?\s*\??\s*$"
    r"|^\s*(?:(?:and|but|so)\s+)?(?:is|are|does|do)\s+(?:it|that|this|the\s+same(?:\s+rule)?)\s+"
    r"(?:the\s+same\s+|also\s+)?(?:for|with|apply\s+to|hold\s+for|go\s+for)\s+"
    r"(?P<topic4>[^?]+?)(?:\s+(?:too|as\s+well))?\s*\??\s*$",
    re.I,
)
_FUNCTION_WORDS = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "for",
        "to",
        "over",
        "any",
        "all",
        "such",
        "their",
        "its",
        "his",
        "her",
        "our",
        "my",
        "your",
        "this",
        "that",
        "these",
        "those",
        "and",
        "or",
        "with",
        "on",
        "in",
        "by",
        "from",
        "about",
    ]
)


def rewrite(question: str, earlier: str, terms: Iterable[str]) -> str:
    """An elliptical follow-up that names only a new topic, as the earlier question about that
    topic: the earlier question's term of the same kind (a defined term, or a phrase with the
    same head word) replaced by the new one. "" when the follow-up is not of that form or the
    earlier question has no such term."""
    m = _ELLIPTICAL.match(question)
    if not m:
        return ""
    topic = next(t for t in m.groupdict().values() if t).strip(" .,;:")
    topic = re.sub(r"^(?:the|a|an)\s+", "", topic, flags=re.I)
    if not 1 <= len(topic.split()) <= 4:
        return ""
    terms = sorted(terms, key=len, reverse=True)
    new = next((t for t in terms if re.search(rf"\b{re.escape(t)}\b", topic, re.I)), None)
    if new is None:
        new = _by_modifier(topic, earlier, terms)
    if new is None:
        return ""
    for old in terms:
        if old.lower() != new.lower() and re.search(rf"\b{re.escape(old)}\b", earlier, re.I):
            return re.sub(rf"\b{re.escape(old)}\b", new, earlier, count=1, flags=re.I)
    head = new.split()[-1]
    m = re.search(rf"\b([\w-]+)\s+{re.escape(head)}\b", earlier, re.I)
    if m and m.group(1).lower() not in _FUNCTION_WORDS and m.group(0).lower() != new.lower():
        return earlier[: m.start()] + new + earlier[m.end() :]
    return ""


def _by_modifier(topic: str, earlier: str, terms: list[str]) -> str | None:
    """The defined term a loosely worded topic stands for: "the content of calls" is "content
    data" when the earlier question asked about "traffic data" (a term of the same head word)
    and the topic has the word that tells the two apart."""
    words = {w.lower() for w in re.findall(r"[\w-]+", topic)}
    for t in terms:
        parts = t.lower().split()
        if len(parts) < 2 or parts[0] not in words:
            continue
        if any(
            o.lower() != t.lower()
            and o.lower().split()[-1] == parts[-1]
            and re.search(rf"\b{re.escape(o)}\b", earlier, re.I)
            for o in terms
        ):
            return t
    return None


def resolve(question: str, history: list[Turn] | None, terms: Iterable[str] = ()) -> Followup:
    """Only questions that refer back are rewritten; others stand alone. An elliptical one
    ("and what about content data?") becomes the earlier question about its new topic when the
    defined ``terms`` make that possible."""
    if not history or not refers_back(question, history[-1][0]):
        return Followup(question)
    prev_q, prev_a = history[-1]
    context = prev_q
    # A chain of follow-ups: carry the last standalone question along.
    for q, _ in reversed(history[:-1]):
        if not refers_back(prev_q, q):
            break
        context, prev_q = f"{q} {context}", q
    return Followup(
        question,
        context=context,
        boost_labels=labels_in(prev_a or ""),
        standalone=rewrite(question, prev_q, terms),
    )
