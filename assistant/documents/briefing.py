"""Briefing material (our Markdown notes, third-party plain-text articles) split into sections."""

from __future__ import annotations

import re

from assistant.models import BriefingDocument, Section

_HEADING_MAX = 70


def parse_markdown(text: str, *, source_id: str, label: str, title: str = "") -> BriefingDocument:
    """``# Title`` then ``## Heading`` sections; HTML comments dropped."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    sections: list[Section] = []
    heading, body = "", []
    for line in text.splitlines():
        if line.startswith("# ") and not title:
            title = line[2:].strip()
        elif line.startswith("## "):
            _flush(sections, heading, body)
            heading, body = line[3:].strip(), []
        elif not line.startswith("# "):
            body.append(line)
    _flush(sections, heading, body)
    return BriefingDocument(source_id=source_id, title=title, label_prefix=label, sections=sections)


def parse_plain_article(
    text: str, *, source_id: str, label: str, title: str = ""
) -> BriefingDocument:
    """A news article as plain text: first line is the title, short unpunctuated lines are headings.

    A trailing line of JSON (classifier metadata some mirrors append) is not part of the article.
    """
    lines = [ln.strip() for ln in text.splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith(("[{", "{"))]
    if not lines:
        return BriefingDocument(source_id=source_id, title=title, label_prefix=label, sections=[])
    title = title or lines[0]
    sections: list[Section] = []
    heading, body = "Introduction", []
    for line in lines[1:]:
        if len(line) <= _HEADING_MAX and not re.search(r"[.!?:;,\"”]$", line):
            _flush(sections, heading, body)
            heading, body = line, []
        else:
            body.append(line)
    _flush(sections, heading, body)
    return BriefingDocument(source_id=source_id, title=title, label_prefix=label, sections=sections)


def _flush(sections: list[Section], heading: str, body: list[str]) -> None:
    text = " ".join(" ".join(body).split())
    if text:
        sections.append(Section(heading=heading or "Overview", text=text))
