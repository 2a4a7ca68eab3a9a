"""A golden reference of the parsed structure: every provision's label, chapter, paragraph and
subparagraph counts, cross-references and a SHA-256 of its normalised text, and of each
article, chapter and note heading (hashes only, never the Convention's words).
``python -m tests.documents.golden --write SOURCE`` writes it from a source file;
``structure_diff`` lists what a parse changes against it."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from assistant.labels import article_label
from assistant.models import Convention, Resolution

GOLDEN = Path(__file__).with_name("golden_structure.json")


def _hash(text: str) -> str:
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:20]


def structure(resolution: Resolution, convention: Convention) -> dict:
    articles, provisions = {}, {}
    for a in convention.articles:
        articles[str(a.number)] = {
            "title": _hash(a.title),
            "chapter": a.chapter,
            "paragraphs": sum(1 for p in a.paragraphs if p.number),
            "subparagraphs": sum(len(p.subparagraphs) for p in a.paragraphs),
            "cross_references": a.cross_references,
        }
        for p in a.paragraphs:
            if p.subparagraphs:
                for s in p.subparagraphs:
                    ref = f"{p.number}({s.letter})" if p.number else s.letter
                    provisions[article_label(a.number, ref)] = _hash(
                        f"{p.text} ({s.letter}) {s.text} {p.tail}"
                    )
            else:
                provisions[article_label(a.number, p.number)] = _hash(p.full_text())
    recitals = [r for r in convention.preamble.splitlines() if r.strip()]
    for i, r in enumerate(recitals, 1):
        provisions[f"Conv. recital {i}"] = _hash(r)
    res_recitals = [r for r in resolution.preamble.splitlines() if r.strip()]
    for i, r in enumerate(res_recitals, 1):
        provisions[f"Res. recital {i}"] = _hash(r)
    from assistant.documents.convention import find_article_references

    resolution_refs = {}
    for p in resolution.paragraphs:
        provisions[f"Res. para. {p.number}"] = _hash(p.text)
        resolution_refs[f"Res. para. {p.number}"] = find_article_references(p.text)
    notes = {}
    for n in convention.notes:
        provisions[f"Interp. note {n.number}"] = _hash(n.text)
        notes[f"Interp. note {n.number}"] = {"articles": n.articles, "heading": _hash(n.heading)}
    return {
        "articles": articles,
        "chapters": [_hash(c.title) for c in convention.chapters],
        "resolution": {"paragraphs": len(resolution.paragraphs), "references": resolution_refs},
        "notes": notes,
        "provisions": provisions,
    }


def structure_diff(got: dict, want: dict) -> list[str]:
    """Human-readable differences, e.g. ``Art. 27(b): text hash differs``."""
    out = []
    for key in ("chapters", "notes"):
        if got[key] != want[key]:
            out.append(f"{key} differ")
    if got["resolution"] != want["resolution"]:
        out.append("resolution paragraphs or their references differ")
    for number, meta in want["articles"].items():
        mine = got["articles"].get(number)
        if mine is None:
            out.append(f"Article {number} missing")
            continue
        for field, value in meta.items():
            if mine.get(field) != value:
                out.append(f"Article {number}: {field} {mine.get(field)!r} != {value!r}")
    for label, digest in want["provisions"].items():
        if label not in got["provisions"]:
            out.append(f"{label} missing")
        elif got["provisions"][label] != digest:
            out.append(f"{label}: text hash differs")
    out += [f"{label} unexpected" for label in got["provisions"] if label not in want["provisions"]]
    return out


if __name__ == "__main__":
    from assistant.documents.convention import parse_convention_file

    if len(sys.argv) != 3 or sys.argv[1] != "--write":
        sys.exit("usage: python -m tests.documents.golden --write SOURCE_FILE")
    res, conv = parse_convention_file(sys.argv[2])
    GOLDEN.write_text(json.dumps(structure(res, conv), indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
