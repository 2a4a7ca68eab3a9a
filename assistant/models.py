"""Typed data that crosses module boundaries.

Documents (parsed structure) -> Chunk (indexed unit) -> Passage (retrieved unit)
-> Answer (with Citation list). Citation labels follow one grammar, see
``assistant.labels``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SourceKind(StrEnum):
    """Where a chunk comes from; the official documents answer, briefing material supports."""

    CONVENTION = "convention"  # the Convention's preamble and articles
    RESOLUTION = "resolution"  # General Assembly resolution 79/243
    NOTES = "notes"  # the interpretative notes annexed to the Convention
    BRIEFING = "briefing"  # our notes and third-party briefings: never official text

    @property
    def official(self) -> bool:
        return self is not SourceKind.BRIEFING


# --- Parsed document structure -------------------------------------------------


@dataclass
class Subparagraph:
    """A lettered subparagraph, e.g. "(b)"; its text keeps any roman items (i), (ii)."""

    letter: str  # "a", "b", ... (no parentheses)
    text: str
    pages: list[int] = field(default_factory=list)  # official PDF pages it is printed on


@dataclass
class Paragraph:
    """A numbered paragraph of an article (``number`` None for an unnumbered body).

    ``text`` is the paragraph's own words up to its first lettered subparagraph
    (the chapeau); ``tail`` holds any words after the last subparagraph.
    """

    number: str | None
    text: str
    subparagraphs: list[Subparagraph] = field(default_factory=list)
    tail: str = ""
    pages: list[int] = field(default_factory=list)  # official PDF pages, subparagraphs included

    def full_text(self) -> str:
        parts = [self.text] + [f"({s.letter}) {s.text}" for s in self.subparagraphs]
        if self.tail:
            parts.append(self.tail)
        return "\n".join(p for p in parts if p)


@dataclass
class Article:
    number: int
    title: str
    chapter: int  # 1..9
    chapter_title: str
    paragraphs: list[Paragraph]
    cross_references: list[int] = field(default_factory=list)  # other articles it cites

    def full_text(self) -> str:
        out = []
        for p in self.paragraphs:
            body = p.full_text()
            out.append(f"{p.number}. {body}" if p.number else body)
        return "\n".join(out)


@dataclass
class Chapter:
    number: int
    roman: str
    title: str
    articles: list[Article]


@dataclass
class InterpretativeNote:
    number: int  # the notes are numbered 1..5 across the annex
    articles: list[int]  # the articles the note interprets
    heading: str  # e.g. "Article 2" or "Articles 23 and 35, with regard to ..."
    text: str
    pages: list[int] = field(default_factory=list)


@dataclass
class Convention:
    preamble: str
    chapters: list[Chapter]
    notes: list[InterpretativeNote]
    preamble_pages: list[list[int]] = field(default_factory=list)  # per recital (one per line)

    @property
    def articles(self) -> list[Article]:
        return [a for c in self.chapters for a in c.articles]

    def article(self, number: int) -> Article | None:
        return next((a for a in self.articles if a.number == number), None)


@dataclass
class ResolutionParagraph:
    number: int
    text: str
    pages: list[int] = field(default_factory=list)


@dataclass
class Resolution:
    symbol: str
    title: str
    adopted: str  # e.g. "24 December 2024"
    preamble: str
    paragraphs: list[ResolutionParagraph]
    preamble_pages: list[list[int]] = field(default_factory=list)  # per recital (one per line)


@dataclass
class Section:
    """A section of a briefing document."""

    heading: str
    text: str


@dataclass
class BriefingDocument:
    source_id: str  # e.g. "briefing:overview"
    title: str
    label_prefix: str  # short source label used in citations, e.g. "Briefing: overview"
    sections: list[Section]
    official: bool = False  # our own notes / third-party: never official text


# --- Index and answer units ------------------------------------------------------


@dataclass
class Chunk:
    """One indexed unit with its metadata (flat, Chroma-compatible)."""

    id: str  # stable, e.g. "convention:art27:b"
    text: str  # the quoted text of the provision
    label: str  # citation label, e.g. "Art. 27(b)"
    source: SourceKind
    document: str  # human title of the document
    article: int | None = None
    paragraph: str | None = None  # e.g. "1(b)", "b", "3"; None when the whole article
    article_title: str = ""
    chapter: int | None = None
    chapter_title: str = ""
    cross_references: list[int] = field(default_factory=list)
    chapeau: str = ""  # lead-in words of the paragraph a subparagraph belongs to
    tail: str = ""  # closing words of that paragraph, which complete every subparagraph
    origin: str = ""  # manifest source id the chunk was made from
    seq: int = 0  # document order within its origin
    pages: list[int] = field(default_factory=list)  # official PDF pages of the provision
    url: str = ""  # the official document (PDF) it is quoted from; "" for briefing material

    def __post_init__(self) -> None:
        self.source = SourceKind(self.source)

    @property
    def link(self) -> str:
        """The official document at the provision's first page (``...#page=13``)."""
        return page_link(self.url, self.pages)

    def search_text(self) -> str:
        """What is embedded and matched lexically: headings, lead-in, provision, closing words."""
        head = f"Article {self.article}. {self.article_title}." if self.article else self.document
        if self.source == SourceKind.BRIEFING:
            head = f"{self.document}: {self.article_title}."
        return " ".join(p for p in (head, self.chapeau, self.text, self.tail) if p)

    def sentence(self) -> str:
        return provision_sentence(self.chapeau, self.text, self.tail)


def page_link(url: str, pages: list[int]) -> str:
    """``url`` opened at the first of ``pages`` (PDF open parameter ``#page=N``)."""
    return f"{url}#page={pages[0]}" if url and pages else url


def pages_text(pages: list[int]) -> str:
    """ "p. 13", "pp. 13-14" ("" without pages)."""
    if not pages:
        return ""
    return f"p. {pages[0]}" if len(pages) == 1 else f"pp. {pages[0]}-{pages[-1]}"


def provision_sentence(chapeau: str, text: str, tail: str) -> str:
    """A provision as a self-contained quotation: the lead-in, the item, the closing words."""
    parts = [" ".join(chapeau.split())] if chapeau else []
    parts.append(" ".join(text.split()))
    if tail:
        parts.append(" ".join(tail.split()))
    return " … ".join(parts) if len(parts) > 1 else parts[0]


@dataclass
class Passage:
    """A retrieved unit, as returned by ``Assistant.retrieve``."""

    id: str
    text: str
    label: str
    source: SourceKind
    document: str
    article: int | None
    paragraph: str | None
    title: str  # article title (or section heading for briefing material)
    chapter: int | None
    chapter_title: str
    score: float
    cross_references: list[int] = field(default_factory=list)
    chapeau: str = ""
    tail: str = ""
    similarity: float = 0.0  # cosine similarity to the question (0 when outside the dense top)
    question_similarity: float = 0.0  # best cosine of the question to one of our questions on it
    question_support: float = 0.0  # mean cosine to the (up to) three closest of our questions on it
    matched_question: str = ""  # that question of the question index
    yes_no: str = ""  # its recorded yes/no answer, if any
    pages: list[int] = field(default_factory=list)  # official PDF pages of the provision
    url: str = ""  # the official document it is quoted from

    @property
    def link(self) -> str:
        """The official document at the provision's first page."""
        return page_link(self.url, self.pages)

    @property
    def unit_key(self) -> tuple:
        """What counts as one result: an article of the Convention, else one provision label."""
        return (
            (self.source, self.article)
            if self.source == SourceKind.CONVENTION and self.article is not None
            else (self.source, self.label)
        )

    def sentence(self) -> str:
        """The provision as a self-contained quotation (lead-in, item, closing words)."""
        return provision_sentence(self.chapeau, self.text, self.tail)


@dataclass
class Citation:
    label: str  # e.g. "Art. 27(b)"
    source: SourceKind
    article: int | None
    paragraph: str | None
    quote: str  # the exact text of the cited passage
    pages: list[int] = field(default_factory=list)  # official PDF pages it is printed on
    url: str = ""  # the official PDF at that page (``...#page=13``); "" for briefing material


@dataclass
class Answer:
    question: str
    text: str  # answer body with inline labels like [Art. 7(1)]
    citations: list[Citation]
    passages: list[Passage]
    abstained: bool
    notice: str = ""  # why it abstained / refused, or other user-facing notes
    resolved_question: str = ""  # the question after follow-up resolution

    def format(self) -> str:
        """Answer body plus a "Sources" list quoting each cited passage."""
        lines = [self.text]
        if self.citations:
            lines += ["", "Sources:"]
            for c in self.citations:
                where = f" ({pages_text(c.pages)})" if c.pages else ""
                lines.append(f"[{c.label}]{where} {c.quote}")
        return "\n".join(lines)
