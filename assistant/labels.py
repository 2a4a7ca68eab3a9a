"""The one grammar of citation labels, used by chunking, answering and checking.

    Art. 27            a whole article
    Art. 27(b)         lettered subparagraph of an article without numbered paragraphs
    Art. 40(21)(a)     numbered paragraph 21, subparagraph (a)
    Conv. recital 3    the third recital of the Convention's preamble
    Conv. preamble     the Convention's preamble as a whole (covers every recital)
    Res. para. 2       operative paragraph 2 of resolution 79/243
    Res. recital 3     the third recital of the resolution's preamble
    Res. preamble      the resolution's preamble as a whole
    Interp. note 3     interpretative note 3 (annex to the Convention)
    Briefing: Key dates §2   section 2 of a briefing document (prefix from the source)
    UNIS briefing §2   section 2 of the UN Information Service's news briefing
    Briefing           (evaluation gold only) the UNIS news briefing as a whole

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


PREAMBLES = {"Conv. preamble": "Conv. recital ", "Res. preamble": "Res. recital "}
UNIS_PREFIX = "UNIS briefing"


def recital_label(document: str, number: int) -> str:
    """``recital_label("Conv.", 3) == "Conv. recital 3"``."""
    return f"{document} recital {number}"


LABEL_START = r"(?:Art\.|Article|Conv\.|Res\.|Interp\.|Briefing|UNIS|Note)"
_GROUP = rf"\[\s*{LABEL_START}[^\[\]\n]{{0,78}}\]"
_CLAIM = re.compile(rf"((?:(?!{_GROUP}).)+?)((?:\s*{_GROUP})+)", re.DOTALL)


def looks_like_label(text: str) -> bool:
    """Is a bracketed text a citation label (not "[sic]" or "[emphasis added]")?"""
    return bool(re.match(rf"\s*{LABEL_START}", text))


def cited_segments(text: str) -> list[tuple[str, list[str]]]:
    """An answer cut into claims: each stretch of text with the label groups that close it.

    >>> cited_segments("Yes. States must act [Art. 27(b)]. It may refuse [Art. 40(21)].")
    [('Yes. States must act', ['Art. 27(b)']), ('It may refuse', ['Art. 40(21)'])]

    Text after the last label group is not a cited claim and is not returned."""
    return [(m.group(1).strip(" \t\n.;,:"), labels_in(m.group(2))) for m in _CLAIM.finditer(text)]


def label_covers(general: str, specific: str) -> bool:
    """Is ``specific`` ``general`` or a sub-provision of it (Art. 40(21) covers Art. 40(21)(a);
    Conv. preamble covers Conv. recital 3; Briefing covers UNIS briefing §2)?"""
    if specific == general or specific.startswith(general + "("):
        return True
    if general in PREAMBLES:
        return specific.startswith(PREAMBLES[general])
    return general == "Briefing" and specific.startswith(UNIS_PREFIX)


def labels_overlap(a: str, b: str) -> bool:
    """Does either label cover the other (the same provision at different depths)?"""
    return label_covers(a, b) or label_covers(b, a)


def unit_of(label: str) -> str:
    """The unit a label belongs to for article-level counting: ``Art. 27(b) -> Art. 27``;
    a recital -> its preamble; the UNIS briefing -> ``Briefing``; our own notes -> ``notes``;
    anything else is its own unit (``Res. para. 5``, ``Interp. note 3``)."""
    parsed = parse_article_label(label)
    if parsed:
        return f"Art. {parsed[0]}"
    for preamble, prefix in PREAMBLES.items():
        if label == preamble or label.startswith(prefix):
            return preamble
    if label == "Briefing" or label.startswith(UNIS_PREFIX):
        return "Briefing"
    if label.startswith("Briefing:"):
        return "notes"
    return label


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
