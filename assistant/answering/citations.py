"""Citation checking: every label in an answer must name a passage that was supplied."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.labels import BRACKETED, labels_in, looks_like_label
from assistant.models import Citation, Passage


@dataclass
class CheckedText:
    text: str  # the answer with unknown labels removed
    citations: list[Citation]  # one per distinct valid label, in order of first use
    invented: list[str] = field(default_factory=list)  # labels that named no supplied passage


def citation_for(p: Passage) -> Citation:
    return Citation(
        label=p.label,
        source=p.source,
        article=p.article,
        paragraph=p.paragraph,
        quote=p.sentence(),
        pages=list(p.pages),
        url=p.link,
    )


def check(text: str, passages: list[Passage]) -> CheckedText:
    by_label: dict[str, Passage] = {}
    for p in passages:
        by_label.setdefault(p.label, p)
    invented: list[str] = []
    used: list[str] = []

    def keep(m: re.Match) -> str:
        good = []
        for lab in (part.strip() for part in m.group(1).split(";")):
            if lab in by_label:
                good.append(lab)
                if lab not in used:
                    used.append(lab)
            elif lab:
                invented.append(lab)
        return f"[{'; '.join(good)}]" if good else ""

    # Only bracketed groups that look like labels are treated as citations.
    cleaned = BRACKETED.sub(lambda m: keep(m) if looks_like_label(m.group(1)) else m.group(0), text)
    cleaned = re.sub(r"\s+([.,;:])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()
    return CheckedText(cleaned, [citation_for(by_label[lab]) for lab in used], invented)


__all__ = ["CheckedText", "check", "citation_for", "labels_in"]
