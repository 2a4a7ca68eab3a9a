"""Input validation: what is not a question at all (empty, too long, binary) is refused here,
before the pipeline; what a question asks is read by ``assistant/analysis.py``."""

from __future__ import annotations

import re
import unicodedata


class InvalidQuestion(ValueError):
    """The question cannot be processed (empty, too long, binary); the message says why."""


def check_text(value: object, *, what: str = "The text", max_chars: int | None = None) -> str:
    """``value`` if it is plain, valid text, else :class:`InvalidQuestion` saying why.

    The one check every interface applies to free text it accepts (questions, earlier turns,
    feedback comments): text, not bytes; no lone surrogates (``"\\ud800"``: not Unicode, and
    not encodable as UTF-8), no undecodable bytes (U+FFFD) and no control characters other than
    tab and line breaks; at most ``max_chars`` characters."""
    if isinstance(value, bytes):
        raise InvalidQuestion(f"{what} must be text, not bytes.")
    if not isinstance(value, str):
        raise InvalidQuestion(f"{what} must be text, not {type(value).__name__}.")
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value) or "\ufffd" in value:
        raise InvalidQuestion(
            f"{what} is not valid Unicode text (it contains undecodable bytes or lone "
            "surrogates); please send plain UTF-8 text."
        )
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise InvalidQuestion(
            f"{what} contains control or binary characters; please send plain text."
        )
    if max_chars is not None and len(value) > max_chars:
        raise InvalidQuestion(
            f"{what} is too long ({len(value):,} characters; the limit is {max_chars:,})."
        )
    return value


def validate(question: object, *, max_chars: int) -> str:
    """Return the question, whitespace-normalised, or raise :class:`InvalidQuestion`."""
    if isinstance(question, bytes):
        raise InvalidQuestion("The question must be text, not bytes.")
    if not isinstance(question, str):
        raise InvalidQuestion(f"The question must be text, not {type(question).__name__}.")
    check_text(question, what="The question")
    if any(unicodedata.category(ch) == "Co" for ch in question):
        raise InvalidQuestion(
            "The question contains control or binary characters; please send plain text."
        )
    text = " ".join(question.split())
    if not text:
        raise InvalidQuestion(
            "The question is empty. Ask something about the Convention, "
            "e.g. “Can the police force a company to hand over subscriber information?”"
        )
    if len(text) > max_chars:
        raise InvalidQuestion(
            f"The question is too long ({len(text):,} characters; the limit is "
            f"{max_chars:,}). Please shorten it."
        )
    if not re.search(r"[^\W\d_]", text):
        raise InvalidQuestion("The question has no words in it. Please ask in plain language.")
    return text
