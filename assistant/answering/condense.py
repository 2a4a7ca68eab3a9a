"""Follow-up condensing with an LLM: a question that refers back to the conversation is
rewritten as a standalone question (prompt ``prompts/condense.md``) and retrieval uses that.

Only questions the rule-based resolver (:mod:`assistant.answering.followup`) sees as referring
back are sent to the model; standalone questions are never rewritten. Any model failure or an
unusable rewrite falls back to the rule-based resolution.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from assistant.answering.followup import Followup, Turn, resolve
from assistant.answering.llm import LLMClient, LLMUnavailable, render

log = logging.getLogger(__name__)

_PREFIX = re.compile(r"^\s*(?:standalone question|question|rewritten question)\s*:\s*", re.I)
_TURNS = 3  # earlier turns shown to the model
_ANSWER_CHARS = 600  # of each earlier answer


def format_history(history: list[Turn]) -> str:
    lines = []
    for q, a in history[-_TURNS:]:
        answer = " ".join(a.split())
        if len(answer) > _ANSWER_CHARS:
            answer = answer[:_ANSWER_CHARS].rsplit(" ", 1)[0] + " …"
        lines += [f"User: {q}", f"Assistant: {answer}"]
    return "\n".join(lines)


def clean_rewrite(text: str, question: str) -> str:
    """The model's standalone question, or "" when the reply is not a usable question."""
    line = next((x for x in text.strip().splitlines() if x.strip()), "")
    line = _PREFIX.sub("", line).strip().strip("\"“”'`*").strip()
    words = len(re.findall(r"\w+", line))
    if words < 3 or len(line) > 2 * len(question) + 300 or line.lower() == question.lower():
        return ""
    return line


class LLMCondenser:
    """``condense(question, history) -> Followup``, the pipeline's follow-up step."""

    def __init__(self, client: LLMClient, rules: Callable[..., Followup] = resolve):
        self.client = client
        self.rules = rules  # the rule-based reading it starts from (and falls back to)

    def __call__(self, question: str, history: list[Turn] | None) -> Followup:
        f = self.rules(question, history)
        if not f.is_followup:
            return f
        try:
            reply = self.client.invoke(
                render("condense", history=format_history(history or []), question=question)
            )
        except LLMUnavailable as e:
            log.info("follow-up condenser unavailable (%s): rule-based resolution", e.reason)
            return f
        standalone = clean_rewrite(reply, question)
        if not standalone:
            return f
        return Followup(f.question, f.context, f.boost_labels, standalone=standalone)
