"""The one sentence splitter: for the official text (quotes) and for answers (verification).

Sentences end at ".", "!" or "?" followed by a capital, a bracket or a quote, and at line
breaks before a capital or a bullet (one recital per line); in the official text (``legal``)
also at ";" (clauses of a list), whose item pieces then join back. Citation labels written
after a full stop stay
with the sentence before them ("... data. [Art. 27(b)] Next ..."); list bullets are dropped;
roman items ("(ii) ...") and fragments shorter than ``min_chars`` join the sentence before.
"""

from __future__ import annotations

import re

_END = re.compile(r"(?<=[.!?])\s+(?=[\[(“\"'A-Z])|\n+(?=\s*(?:[-*•]\s|\d{1,2}[.)]\s|[A-Z“(]))")
_LEGAL_END = re.compile(r"(?<=[.!?;])\s+(?=[\[(“\"'A-Z])|\n+(?=\s*[A-Z“(])")
_LEADING_LABELS = re.compile(r"^((?:\[[^\[\]\n]{2,80}\]\s*)+)(.*)$", re.S)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")
_ROMAN_ITEM = re.compile(r"^\((?:[ivx]+|[a-z])\)")
_LABEL_START = re.compile(r"\[\s*(?:Art\b|Article|Conv\.|Res\.|Interp\.|Briefing|UNIS|Note)")


def split_sentences(text: str, *, min_chars: int = 0, legal: bool = False) -> list[str]:
    """Sentences of ``text``, whitespace collapsed. ``legal``: the official text, where a piece
    opening with an item marker ("(ii)", "(b)") continues the sentence before it."""
    out: list[str] = []
    for raw in (_LEGAL_END if legal else _END).split(text):
        piece = " ".join(_BULLET.sub("", raw).split())
        m = _LEADING_LABELS.match(piece)
        if m and out and _LABEL_START.match(m.group(1).lstrip()):
            out[-1] += " " + m.group(1).strip()
            piece = m.group(2).strip()
        if not piece:
            continue
        if out and (len(piece) < min_chars or (legal and _ROMAN_ITEM.match(piece))):
            out[-1] += " " + piece
        else:
            out.append(piece)
    return out
