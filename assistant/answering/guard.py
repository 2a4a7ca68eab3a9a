"""Input validation: what is not a question at all (empty, too long, binary) is refused here,
before the pipeline; what a question asks is read by ``assistant/analysis.py``."""

from __future__ import annotations

import re
import unicodedata


class InvalidQuestion(ValueError):
    """The question cannot be processed (empty, too long, binary); the message says why."""


def validate(question: object, *, max_chars: int) -> str:
    """Return the question, whitespace-normalised, or raise :class:`InvalidQuestion`."""
    if isinstance(question, bytes):
        raise InvalidQuestion("The question must be text, not bytes.")
    if not isinstance(question, str):
        raise InvalidQuestion(f"The question must be text, not {type(question).__name__}.")
    if "\x00" in question or any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t" for ch in question
    ):
        raise InvalidQuestion(
            "The question contains control or binary characters; please send plain text."
        )
    if "\ufffd" in question:
        raise InvalidQuestion("The question is not valid text (it contains undecodable bytes).")
    text = " ".join(question.split())
    if not text:
        raise InvalidQuestion(
            "The question is empty. Ask something about the Convention, "
            "e.g. “Can police make a provider hand over subscriber data?”"
        )
    if len(text) > max_chars:
        raise InvalidQuestion(
            f"The question is too long ({len(text):,} characters; the limit is "
            f"{max_chars:,}). Please shorten it."
        )
    if not re.search(r"[^\W\d_]", text):
        raise InvalidQuestion("The question has no words in it. Please ask in plain language.")
    return text
