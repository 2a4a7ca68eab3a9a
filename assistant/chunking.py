"""Parsed documents -> chunks with metadata (step 2 of the pipeline).

One chunk per provision: each numbered paragraph, or each lettered subparagraph with its
paragraph's lead-in (``chapeau``) and closing words (``tail``); an article without paragraphs
is one chunk. Each preamble recital, resolution paragraph and interpretative note is one chunk;
briefing material gives one per section. Chunks of the official document carry the PDF page(s)
the provision is printed on and the document's official URL (for ``...#page=N`` links).
"""

from __future__ import annotations

import re

from assistant.documents.convention import find_article_references
from assistant.documents.loader import Corpus
from assistant.labels import article_label, recital_label
from assistant.models import Article, BriefingDocument, Chunk, Convention, Resolution, SourceKind

CONVENTION_TITLE = "United Nations Convention against Cybercrime"
RESOLUTION_TITLE = "General Assembly resolution 79/243"
NOTES_TITLE = "Interpretative notes (annex to the Convention)"


def chunk_corpus(corpus: Corpus, convention_origin: str) -> dict[str, list[Chunk]]:
    """Chunks grouped by the manifest source they came from (the unit of re-ingestion)."""
    official = chunk_convention(corpus.convention, convention_origin) + chunk_resolution(
        corpus.resolution, convention_origin
    )
    for c in official:
        c.url = corpus.urls.get(convention_origin, "")
    out: dict[str, list[Chunk]] = {convention_origin: official}
    last_article = max((a.number for a in corpus.convention.articles), default=0)
    for doc in corpus.briefings:
        out[doc.source_id] = chunk_briefing(doc, last_article)
    return out


def chunk_convention(conv: Convention, origin: str) -> list[Chunk]:
    chunks = _recital_chunks(
        conv.preamble, conv.preamble_pages, "convention", "Conv.", CONVENTION_TITLE, origin
    )
    for art in conv.articles:
        chunks.extend(_article_chunks(art, origin))
    for note in conv.notes:
        chunks.append(
            Chunk(
                id=f"notes:{note.number}",
                text=note.text,
                label=f"Interp. note {note.number}",
                source=SourceKind.NOTES,
                document=NOTES_TITLE,
                article=note.articles[0] if note.articles else None,
                article_title=f"Interpretative note on {note.heading}",
                cross_references=list(note.articles),
                origin=origin,
                pages=list(note.pages),
            )
        )
    return _numbered(chunks)


def _recital_chunks(
    preamble: str, pages: list[list[int]], kind: str, doc: str, title: str, origin: str
) -> list[Chunk]:
    """One chunk per recital of a preamble, so that each can be cited alone."""
    recitals = _recitals(preamble)
    pages = pages if len(pages) == len(recitals) else [[] for _ in recitals]
    return [
        Chunk(
            id=f"{kind}:preamble:{i}",
            text=recital,
            label=recital_label(doc, i),
            source=SourceKind(kind),
            document=title,
            paragraph=str(i),
            article_title="Preamble" if kind == "convention" else "Preamble of the resolution",
            cross_references=find_article_references(recital),
            origin=origin,
            pages=list(recital_pages),
        )
        for i, (recital, recital_pages) in enumerate(zip(recitals, pages, strict=True), 1)
    ]


def _article_chunks(art: Article, origin: str) -> list[Chunk]:
    """One chunk per provision: each numbered paragraph, or each of its lettered subparagraphs
    (with the paragraph's lead-in and closing words, which complete every item)."""
    common = dict(
        source=SourceKind.CONVENTION,
        document=CONVENTION_TITLE,
        article=art.number,
        article_title=art.title,
        chapter=art.chapter,
        chapter_title=art.chapter_title,
        cross_references=list(art.cross_references),
        origin=origin,
    )
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
                    pages=list(para.pages),
                    **common,
                )
            )
            continue
        for sub in para.subparagraphs:
            ref = f"{base}({sub.letter})" if base else sub.letter
            ref_id = re.sub(r"[()]+", ":", ref).strip(":")
            out.append(
                Chunk(
                    id=f"convention:art{art.number}:{ref_id}",
                    text=f"({sub.letter}) {sub.text}",
                    label=article_label(art.number, ref),
                    paragraph=ref,
                    chapeau=para.text,
                    tail=para.tail,
                    pages=list(sub.pages),
                    **common,
                )
            )
    return out


def chunk_resolution(res: Resolution, origin: str) -> list[Chunk]:
    chunks = _recital_chunks(
        res.preamble, res.preamble_pages, "resolution", "Res.", RESOLUTION_TITLE, origin
    )
    for p in res.paragraphs:
        chunks.append(
            Chunk(
                id=f"resolution:para{p.number}",
                text=p.text,
                label=f"Res. para. {p.number}",
                source=SourceKind.RESOLUTION,
                document=RESOLUTION_TITLE,
                paragraph=str(p.number),
                article_title=f"Operative paragraph {p.number} (adopted {res.adopted})",
                cross_references=find_article_references(p.text),
                origin=origin,
                pages=list(p.pages),
            )
        )
    return _numbered(chunks)


def chunk_briefing(doc: BriefingDocument, last_article: int) -> list[Chunk]:
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
                source=SourceKind.BRIEFING,
                document=doc.title,
                paragraph=str(i),
                article_title=s.heading,
                cross_references=_article_refs(s.text, last_article),
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


def _article_refs(text: str, last_article: int) -> list[int]:
    """Articles cited in our notes: "Art. 27", "Arts. 7-17", "Arts. 25, 26 and 28"."""
    nums: set[int] = set()
    for m in re.finditer(
        r"\b[Aa]rt(?:icle|s?\.)s?\s+(\d{1,2}(?:\s*(?:[-–,]|and|to)\s*\d{1,2})*)", text
    ):
        found = [int(n) for n in re.findall(r"\d{1,2}", m.group(1))]
        if re.search(r"[-–]|to", m.group(1)) and len(found) == 2 and found[0] < found[1]:
            found = list(range(found[0], found[1] + 1))
        nums.update(found)
    return sorted(n for n in nums if 1 <= n <= last_article)
