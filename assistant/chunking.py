"""Parsed documents -> chunks with metadata (step 2 of the pipeline).

One chunk per article paragraph; a paragraph with lettered subparagraphs gives one chunk per
subparagraph (its lead-in kept as ``chapeau``); small articles stay whole. The resolution gives
one chunk per operative paragraph, the interpretative notes one per note, briefing material one
per section.
"""

from __future__ import annotations

import re

from assistant.documents.loader import Corpus
from assistant.labels import article_label
from assistant.models import Article, BriefingDocument, Chunk, Convention, Resolution

CONVENTION_TITLE = "United Nations Convention against Cybercrime"
RESOLUTION_TITLE = "General Assembly resolution 79/243"
NOTES_TITLE = "Interpretative notes (annex to the Convention)"
SMALL_ARTICLE_CHARS = 420  # an article shorter than this is one chunk
PREAMBLE_CHUNK_CHARS = 900


def chunk_corpus(corpus: Corpus, convention_origin: str) -> dict[str, list[Chunk]]:
    """Chunks grouped by the manifest source they came from (the unit of re-ingestion)."""
    out: dict[str, list[Chunk]] = {
        convention_origin: chunk_convention(corpus.convention, convention_origin)
        + chunk_resolution(corpus.resolution, convention_origin)
    }
    for doc in corpus.briefings:
        out[doc.source_id] = chunk_briefing(doc)
    return out


def chunk_convention(conv: Convention, origin: str) -> list[Chunk]:
    chunks: list[Chunk] = []
    for i, recital in enumerate(_group(_recitals(conv.preamble), PREAMBLE_CHUNK_CHARS), 1):
        chunks.append(
            Chunk(
                id=f"convention:preamble:{i}",
                text=recital,
                label="Conv. preamble",
                source="convention",
                document=CONVENTION_TITLE,
                article_title="Preamble",
                origin=origin,
            )
        )
    for art in conv.articles:
        chunks.extend(_article_chunks(art, origin))
    for note in conv.notes:
        chunks.append(
            Chunk(
                id=f"notes:{note.number}",
                text=note.text,
                label=f"Interp. note {note.number}",
                source="notes",
                document=NOTES_TITLE,
                article=note.articles[0] if note.articles else None,
                article_title=f"Interpretative note on {note.heading}",
                cross_references=list(note.articles),
                origin=origin,
            )
        )
    return _numbered(chunks)


def _article_chunks(art: Article, origin: str) -> list[Chunk]:
    common = dict(
        source="convention",
        document=CONVENTION_TITLE,
        article=art.number,
        article_title=art.title,
        chapter=art.chapter,
        chapter_title=art.chapter_title,
        cross_references=list(art.cross_references),
        origin=origin,
    )
    whole = art.full_text()
    if len(whole) <= SMALL_ARTICLE_CHARS:
        return [
            Chunk(
                id=f"convention:art{art.number}",
                text=whole,
                label=article_label(art.number),
                **common,
            )
        ]
    out = []
    for para in art.paragraphs:
        base = para.number
        if not para.subparagraphs:
            key = base or "body"
            out.append(
                Chunk(
                    id=f"convention:art{art.number}:{key}",
                    text=para.full_text(),
                    label=article_label(art.number, base),
                    paragraph=base,
                    **common,
                )
            )
            continue
        last = len(para.subparagraphs) - 1
        for j, sub in enumerate(para.subparagraphs):
            ref = f"{base}({sub.letter})" if base else sub.letter
            text = f"({sub.letter}) {sub.text}"
            if j == last and para.tail:
                text += f" {para.tail}"
            ref_id = re.sub(r"[()]+", ":", ref).strip(":")
            out.append(
                Chunk(
                    id=f"convention:art{art.number}:{ref_id}",
                    text=text,
                    label=article_label(art.number, ref),
                    paragraph=ref,
                    chapeau=para.text,
                    **common,
                )
            )
    return out


def chunk_resolution(res: Resolution, origin: str) -> list[Chunk]:
    chunks = [
        Chunk(
            id=f"resolution:preamble:{i}",
            text=t,
            label="Res. preamble",
            source="resolution",
            document=RESOLUTION_TITLE,
            article_title="Preamble of the resolution",
            origin=origin,
        )
        for i, t in enumerate(_group(_recitals(res.preamble), PREAMBLE_CHUNK_CHARS), 1)
    ]
    for p in res.paragraphs:
        chunks.append(
            Chunk(
                id=f"resolution:para{p.number}",
                text=p.text,
                label=f"Res. para. {p.number}",
                source="resolution",
                document=RESOLUTION_TITLE,
                paragraph=str(p.number),
                article_title=f"Operative paragraph {p.number} (adopted {res.adopted})",
                cross_references=_article_refs(p.text),
                origin=origin,
            )
        )
    return _numbered(chunks)


def chunk_briefing(doc: BriefingDocument) -> list[Chunk]:
    chunks, seen = [], set()
    for i, s in enumerate(doc.sections, 1):
        slug = _slug(s.heading)
        slug = f"{slug}-{i}" if slug in seen else slug
        seen.add(slug)
        chunks.append(
            Chunk(
                id=f"{doc.source_id}:{slug}",
                text=s.text,
                label=f"{doc.label_prefix} §{i}",
                source="briefing",
                document=doc.title,
                paragraph=str(i),
                article_title=s.heading,
                cross_references=_article_refs(s.text),
                origin=doc.source_id,
            )
        )
    return _numbered(chunks)


def _slug(heading: str) -> str:
    """Stable id part from a section heading (ids survive sections added before it)."""
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")[:60] or "section"


def _numbered(chunks: list[Chunk]) -> list[Chunk]:
    for i, c in enumerate(chunks):
        c.seq = i
    return chunks


def _recitals(preamble: str) -> list[str]:
    """A preamble's recitals (the parser puts one per line)."""
    return [p.strip() for p in preamble.splitlines() if p.strip()]


def _group(parts: list[str], limit: int) -> list[str]:
    out: list[str] = []
    for p in parts:
        if out and len(out[-1]) + len(p) < limit:
            out[-1] += "\n" + p
        else:
            out.append(p)
    return out


def _article_refs(text: str) -> list[int]:
    """Articles cited in our notes: "Art. 27", "Arts. 7-17", "Arts. 25, 26 and 28"."""
    nums: set[int] = set()
    for m in re.finditer(
        r"\b[Aa]rt(?:icle|s?\.)s?\s+(\d{1,2}(?:\s*(?:[-–,]|and|to)\s*\d{1,2})*)", text
    ):
        found = [int(n) for n in re.findall(r"\d{1,2}", m.group(1))]
        if re.search(r"[-–]|to", m.group(1)) and len(found) == 2 and found[0] < found[1]:
            found = list(range(found[0], found[1] + 1))
        nums.update(found)
    return sorted(n for n in nums if 1 <= n <= 68)
