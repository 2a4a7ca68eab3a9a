"""The one grammar of citation labels, used by chunking, answering and checking.

    Art. 27            a whole article
    Art. 27(b)         lettered subparagraph of an article without numbered paragraphs
    Art. 40(21)(a)     numbered paragraph 21, subparagraph (a)
    Conv. preamble     the Convention's preamble
    Res. para. 2       operative paragraph 2 of resolution 79/243
    Res. preamble      the resolution's preamble
    Interp. note 3     interpretative note 3 (annex to the Convention)
    Briefing: Key dates §2   section 2 of a briefing document (prefix from the source)

In answer text labels stand in square brackets: "... [Art. 27(b)]".
"""

from __future__ import annotations

import re

ARTICLE_LABEL = re.compile(r"^Art\. (\d{1,3})((?:\([0-9a-z]+\))*)$")
BRACKETED = re.compile(r"\[([^\[\]\n]{2,80})\]")


def article_label(article: int, paragraph: str | None = None) -> str:
    """``article_label(27, "1(b)") == "Art. 27(1)(b)"``; ``(27, "b") -> "Art. 27(b)"``."""
    if not paragraph:
        return f"Art. {article}"
    head, _, rest = paragraph.partition("(")
    return f"Art. {article}({head})" + (f"({rest}" if rest else "")


def parse_article_label(label: str) -> tuple[int, str | None] | None:
    """Inverse of :func:`article_label`: ``"Art. 27(1)(b)" -> (27, "1(b)")``."""
    m = ARTICLE_LABEL.match(label.strip())
    if not m:
        return None
    parts = re.findall(r"\(([0-9a-z]+)\)", m.group(2))
    if not parts:
        return int(m.group(1)), None
    return int(m.group(1)), parts[0] + "".join(f"({p})" for p in parts[1:])


def labels_in(text: str) -> list[str]:
    """All bracketed labels in an answer text, in order, with repeats."""
    out = []
    for m in BRACKETED.finditer(text):
        for part in m.group(1).split(";"):
            part = part.strip()
            if part:
                out.append(part)
    return out


def label_covers(general: str, specific: str) -> bool:
    """Is ``specific`` ``general`` or a sub-provision of it (Art. 40(21) covers Art. 40(21)(a))?"""
    return specific == general or specific.startswith(general + "(")


def paragraph_within(paragraph: str | None, wanted: str | None) -> bool:
    """Is provision ``paragraph`` inside or around ``wanted`` ("21" holds "21(b)" and vice versa)?
    No ``wanted`` paragraph means the whole article."""
    if not wanted or not paragraph:
        return not wanted or not paragraph
    return (
        paragraph == wanted
        or paragraph.startswith(wanted + "(")
        or wanted.startswith(paragraph + "(")
    )
