"""Structure-aware parser of resolution 79/243 and the annexed Convention against Cybercrime.

Input is the PyMuPDF text extraction of the official PDF (layout line breaks, running
headers, page markers, a footnote). :mod:`assistant.documents.cleaning` removes the
page furniture; this module recognises the structure on the cleaned lines:

* the resolution: symbol, title, adoption date, preamble, numbered operative paragraphs;
* the Convention: preamble, chapters, articles (title, numbered paragraphs, lettered
  subparagraphs with any roman items kept inside, chapeau and tail), cross-references;
* the interpretative notes annexed to the Convention.

Every cleaned line knows its official page (:class:`~assistant.documents.cleaning.Line`);
each provision records the pages of the lines it was built from (``pages``), never in its text.

Numbered paragraphs and lettered subparagraphs are only accepted in sequence (1, 2, 3 /
a, b, c) and only where a new item can begin (start of the body, after a blank line
or after a line that ends a clause), so a wrapped reference such as
"paragraph 1 (a) of this article" is never taken for a new item.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from assistant.documents.cleaning import clean_text, join_lines, page_of
from assistant.models import (
    Article,
    Chapter,
    Convention,
    InterpretativeNote,
    Paragraph,
    Resolution,
    ResolutionParagraph,
    Subparagraph,
)

__all__ = [
    "ParseError",
    "find_article_references",
    "parse_convention_file",
    "parse_resolution_and_convention",
]

ROMANS = ["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv"]

ARTICLE_HEADING = re.compile(r"^Article (\d{1,3})\.?$")  # "Article 13." has a stray full stop
CHAPTER_HEADING = re.compile(r"^Chapter ([IVXLC]+)$")
NUMBER_MARKER = re.compile(r"^(\d{1,3})\.(?:\s+(.*))?$")
LETTER_MARKER = re.compile(r"^\(([a-z]{1,4})\)(?:\s+(.*))?$")
# A line that ends a clause, after which a new list item may begin.
CLAUSE_END = re.compile(r"(?:[.;:]|;\s*(?:and|or))$")
NOTE_HEADING = re.compile(r"^Articles? \d")
RES_SYMBOL = re.compile(r"\bA/RES/\d+/\d+\b")
RES_TITLE_START = re.compile(r"^\d+/\d+\.\s+(.*)$")  # "79/243. United Nations ..."
ADOPTED = re.compile(
    r"Resolution adopted by the General Assembly\s+on\s+(\d{1,2} [A-Z][a-z]+ \d{4})"
)
DATE_LINE = re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}$")


class ParseError(ValueError):
    """The text does not have the expected structure."""


# --- small helpers ---------------------------------------------------------------


def _roman_to_int(roman: str) -> int:
    values = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
    total = 0
    for i, ch in enumerate(roman):
        v = values[ch]
        if i + 1 < len(roman) and values[roman[i + 1]] > v:
            total -= v
        else:
            total += v
    return total


def _pages(lines: list[str]) -> list[int]:
    """Sorted official pages of some cleaned lines."""
    return sorted({p for p in map(page_of, lines) if p is not None})


def _blocks(lines: list[str]) -> list[tuple[str, list[int]]]:
    """Blank-separated blocks, each re-joined into one line of prose, with its pages."""
    out: list[tuple[str, list[int]]] = []
    cur: list[str] = []
    for line in [*lines, ""]:
        if line:
            cur.append(line)
        elif cur:
            out.append((join_lines(cur), _pages(cur)))
            cur = []
    return out


def _recitals(
    blocks: list[tuple[str, list[int]]], closing: bool = False
) -> list[tuple[str, list[int]]]:
    """A preamble's recitals, numbered as the text numbers them: the opening formula ("The
    General Assembly,", "The States Parties to the present Convention,") is not a recital but
    the subject of the first, and the closing formula ("Have agreed as follows:") ends the last.
    """

    def join(a: tuple[str, list[int]], b: tuple[str, list[int]]) -> tuple[str, list[int]]:
        return f"{a[0]} {b[0]}", sorted(set(a[1]) | set(b[1]))

    out = list(blocks)
    if len(out) >= 2:
        out[:2] = [join(out[0], out[1])]
    if closing and len(out) >= 2:
        out[-2:] = [join(out[-2], out[-1])]
    return out


def _find(lines: list[str], pred, start: int = 0, stop: int | None = None) -> int:
    stop = len(lines) if stop is None else stop
    for i in range(start, stop):
        if pred(lines[i]):
            return i
    return -1


def _next_letter(letter: str | None) -> str:
    return "a" if letter is None else chr(ord(letter) + 1)


def _next_roman(roman: str | None) -> str:
    if roman is None:
        return "i"
    idx = ROMANS.index(roman) + 1
    return ROMANS[idx] if idx < len(ROMANS) else ""


# --- cross-references ------------------------------------------------------------

_ART_WORD = re.compile(r"\b[Aa]rticles?\s+(?=\d)")
_NUM = re.compile(r"(\d{1,3})((?:\s*\([a-z0-9]{1,5}\))*)")
_PARA_QUAL = re.compile(r",?\s*paragraphs?\s+\d{1,3}(?:\s*\([a-z0-9]{1,5}\))*")
_SEP = re.compile(r"\s*(,\s*and|,\s*or|,|and|or|to)\s+(?=\d)")
_OTHER_INSTRUMENT = re.compile(
    # only paragraph qualifiers may stand between the article number(s) and "of"
    r"^(?:\s|,|\band\b|\bor\b|\b(?:sub)?paragraphs?\b|\d{1,3}|\([a-z0-9]{1,5}\))*of\s+"
    r"(?:that\s+(?:[Cc]onvention|[Pp]rotocol|[Ii]nstrument|[Tt]reaty)"
    r"|the\s+(?![Cc]onvention\b(?!\s+(?:on|against|for|of|relating)\b))"
    r"(?:present\s+[Cc]onvention\b)?(?!present\b)[A-Z])"
)


def find_article_references(text: str, *, max_article: int = 68) -> list[int]:
    """Sorted unique article numbers cited in ``text``.

    Understands "article 24", "articles 23 and 35", "articles 7 to 11" (inclusive
    range), "articles 57, paragraph 5 (g), 61 and 62" and "article 2 (e)". References
    to articles of another instrument ("article 46 of the United Nations Convention
    against Corruption", "article 51 of the Charter") are ignored.
    """
    found: set[int] = set()
    for m in _ART_WORD.finditer(text):
        pos = m.end()
        nums: list[int] = []
        pending_range = False
        while True:
            nm = _NUM.match(text, pos)
            if not nm:
                break
            n = int(nm.group(1))
            if pending_range and nums and nums[-1] < n <= nums[-1] + 200:
                nums.extend(range(nums[-1] + 1, n + 1))
            else:
                nums.append(n)
            pos = nm.end()
            pq = _PARA_QUAL.match(text, pos)
            if pq and _SEP.match(text, pq.end()):
                pos = pq.end()
            sm = _SEP.match(text, pos)
            if not sm:
                break
            pending_range = sm.group(1) == "to"
            pos = sm.end()
        if not nums or _OTHER_INSTRUMENT.match(text[pos : pos + 120]):
            continue
        found.update(n for n in nums if 1 <= n <= max_article)
    return sorted(found)


# --- article bodies --------------------------------------------------------------


@dataclass
class _Sub:
    letter: str
    segments: list[list[str]] = field(default_factory=lambda: [[]])
    kinds: list[str] = field(default_factory=lambda: ["text"])  # text | roman | after
    roman: str | None = None  # last roman item opened inside this subparagraph
    pages: set[int] = field(default_factory=set)

    def add(self, kind: str, first: str) -> None:
        self.segments.append([first])
        self.kinds.append(kind)

    def text(self) -> str:
        return _segments_text(self.segments)


def _segments_text(segments: list[list[str]]) -> str:
    return "\n".join(t for t in (join_lines(s) for s in segments) if t)


@dataclass
class _Para:
    number: str | None
    chapeau: list[list[str]] = field(default_factory=lambda: [[]])
    subs: list[_Sub] = field(default_factory=list)
    tail: list[list[str]] = field(default_factory=list)
    roman: str | None = None  # roman items directly in the chapeau (no letters)
    pages: set[int] = field(default_factory=set)  # of the chapeau and tail lines

    def note_page(self, page: int | None) -> None:
        """Record the page of the line just read on the item it went to."""
        if page is None:
            return
        if self.subs and not self.tail:
            self.subs[-1].pages.add(page)
        else:
            self.pages.add(page)

    def build(self) -> Paragraph:
        tail = list(self.tail)
        for i, sub in enumerate(self.subs):
            # Words that follow a clause-ending ";": after the last subparagraph they
            # are the paragraph's tail ("...; in the territory of that State Party.");
            # after roman items (of an earlier subparagraph) they close that
            # subparagraph (own line); otherwise they simply continue the text.
            j = len(sub.segments) - 1
            while j > 0:
                if sub.kinds[j] == "after":
                    last = i == len(self.subs) - 1 and j == len(sub.segments) - 1
                    # A tail completes the chapeau's sentence: none without a chapeau.
                    if last and not self.tail and _segments_text(self.chapeau):
                        tail.insert(0, sub.segments.pop(j))
                        sub.kinds.pop(j)
                    elif sub.kinds[j - 1] != "roman":
                        sub.segments[j - 1].extend(sub.segments.pop(j))
                        sub.kinds.pop(j)
                j -= 1
        return Paragraph(
            number=self.number,
            text=_segments_text(self.chapeau),
            subparagraphs=[
                Subparagraph(letter=s.letter, text=s.text(), pages=sorted(s.pages))
                for s in self.subs
            ],
            tail=_segments_text(tail),
            pages=sorted(self.pages.union(*(s.pages for s in self.subs))),
        )


def _parse_body(lines: list[str]) -> list[Paragraph]:
    """Numbered paragraphs / lettered subparagraphs of one article body (or note)."""
    paras: list[_Para] = []
    prev = ""  # last non-blank line
    prev_blank = True
    at_start = True  # nothing but markers so far on this item

    def current() -> _Para:
        if not paras:
            paras.append(_Para(number=None))
        return paras[-1]

    for raw in lines:
        if not raw:
            prev_blank = True
            continue
        rest = raw
        can_open = at_start or prev_blank or bool(CLAUSE_END.search(prev))
        while rest:
            nm = NUMBER_MARKER.match(rest)
            if nm and can_open:
                n = int(nm.group(1))
                expected = 1 if not paras else None
                if paras and paras[-1].number is not None:
                    expected = int(paras[-1].number) + 1
                if n == expected and (n != 1 or not paras):
                    paras.append(_Para(number=str(n)))
                    rest = nm.group(2) or ""
                    at_start = True
                    continue
            lm = LETTER_MARKER.match(rest)
            if lm and can_open:
                token = lm.group(1)
                para = current()
                sub = para.subs[-1] if para.subs else None
                if para.tail:
                    sub = None
                # Roman item inside the current subparagraph (or the chapeau).
                holder_roman = sub.roman if sub else para.roman
                holder_text = join_lines(sub.segments[-1]) if sub else join_lines(para.chapeau[-1])
                roman_ok = token == _next_roman(holder_roman) and (
                    holder_roman is not None or holder_text.endswith(":") or holder_text == ""
                )
                if roman_ok and (sub is not None or para.chapeau != [[]]):
                    if sub:
                        sub.roman = token
                        sub.add("roman", f"({token})")
                    else:
                        para.roman = token
                        para.chapeau.append([f"({token})"])
                    rest = lm.group(2) or ""
                    at_start = True
                    continue
                if token == _next_letter(para.subs[-1].letter if para.subs else None) and not (
                    para.tail
                ):
                    para.subs.append(_Sub(letter=token))
                    rest = lm.group(2) or ""
                    at_start = True
                    continue
            break
        if rest:
            para = current()
            sub = para.subs[-1] if para.subs else None
            if para.tail:
                para.tail[-1].append(rest)
            elif sub is not None:
                if prev_blank and CLAUSE_END.search(prev) and not at_start:
                    # Words after the last subparagraph, after a real gap: the tail.
                    para.tail.append([rest])
                elif prev.endswith(";") and not at_start:
                    # Words after a clause-ending ";": closing words of a subparagraph
                    # after its roman items, or the paragraph's tail (see _Para.build).
                    sub.roman = None
                    sub.add("after", rest)
                else:
                    sub.segments[-1].append(rest)
            else:
                if para.roman and prev.endswith(";") and not at_start:
                    para.roman = None
                    para.chapeau.append([rest])
                else:
                    para.chapeau[-1].append(rest)
            at_start = False
        if paras:
            paras[-1].note_page(page_of(raw))
        prev = raw
        prev_blank = False
    return [p.build() for p in paras]


def _title_and_body(lines: list[str]) -> tuple[str, list[str]]:
    """Heading title (first non-blank lines up to a blank or a list marker) and the rest."""
    i = 0
    while i < len(lines) and not lines[i]:
        i += 1
    title: list[str] = []
    while i < len(lines) and lines[i]:
        if title and (NUMBER_MARKER.match(lines[i]) or LETTER_MARKER.match(lines[i])):
            break
        title.append(lines[i])
        i += 1
    return join_lines(title), lines[i:]


# --- the documents ---------------------------------------------------------------


def _parse_resolution(lines: list[str], raw: str, annex: int) -> Resolution:
    sym = RES_SYMBOL.search(raw)
    symbol = sym.group(0) if sym else ""

    ga = _find(lines, lambda x: x == "The General Assembly,", 0, annex)
    if ga < 0:
        raise ParseError('resolution: "The General Assembly," not found')

    title_start = _find(lines, lambda x: bool(RES_TITLE_START.match(x)), 0, ga)
    title = ""
    if title_start >= 0:
        first = RES_TITLE_START.match(lines[title_start]).group(1)
        title = join_lines([first, *lines[title_start + 1 : ga]])

    front = join_lines(lines[:ga])
    am = ADOPTED.search(front)
    adopted = am.group(1) if am else ""

    # Operative paragraphs: "1." ... up to the plenary meeting line (or the annex).
    end = _find(lines, lambda x: x.endswith("plenary meeting"), ga, annex)
    end = annex if end < 0 else end
    if not adopted and end < annex:
        dl = _find(lines, lambda x: bool(DATE_LINE.match(x)), end, annex)
        adopted = lines[dl] if dl >= 0 else ""
    first = _find(lines, lambda x: bool(re.match(r"^1\.(\s|$)", x)), ga + 1, end)
    if first < 0:
        raise ParseError("resolution: operative paragraph 1 not found")
    paragraphs = [
        ResolutionParagraph(
            number=int(p.number), text=p.full_text().replace("\n", " "), pages=p.pages
        )
        for p in _parse_body(lines[first:end])
        if p.number is not None
    ]
    recitals = _recitals(_blocks(lines[ga:first]))
    return Resolution(
        symbol=symbol,
        title=title,
        adopted=adopted,
        preamble="\n".join(text for text, _ in recitals),
        paragraphs=paragraphs,
        preamble_pages=[pages for _, pages in recitals],
    )


def _parse_notes(lines: list[str]) -> list[InterpretativeNote]:
    """Interpretative notes: headings "Article 2" / "Articles 23 and 35, ...", notes 1..n."""
    notes: list[InterpretativeNote] = []
    heading = ""
    articles: list[int] = []
    i = 0
    current: list[str] | None = None
    pages: set[int] = set()  # of the current note's lines

    def flush() -> None:
        if current is not None and notes:
            notes[-1].text = join_lines(current)
            notes[-1].pages = sorted(pages)

    prev = ""
    while i < len(lines):
        line = lines[i]
        if NOTE_HEADING.match(line) and (i == 0 or not lines[i - 1]):
            head: list[str] = []
            while i < len(lines) and lines[i]:
                head.append(lines[i])
                i += 1
            flush()
            current = None
            heading = join_lines(head)
            lead = heading.split(",")[0]
            articles = find_article_references(lead, max_article=999)
            continue
        nm = NUMBER_MARKER.match(line)
        if (
            nm
            and int(nm.group(1)) == len(notes) + 1
            and (not prev or CLAUSE_END.search(prev) or current is None)
        ):
            flush()
            notes.append(
                InterpretativeNote(
                    number=int(nm.group(1)), articles=list(articles), heading=heading, text=""
                )
            )
            current = [nm.group(2)] if nm.group(2) else []
            pages = set(_pages([line]))
        elif line and current is not None:
            current.append(line)
            pages.update(_pages([line]))
        prev = line
        i += 1
    flush()
    return notes


def _parse_convention(lines: list[str]) -> Convention:
    start = _find(lines, lambda x: x.startswith("The States Parties to the present Convention"))
    if start < 0:
        raise ParseError("convention: preamble not found")
    agreed = _find(lines, lambda x: x.startswith("Have agreed as follows"), start)
    if agreed < 0:
        raise ParseError('convention: "Have agreed as follows:" not found')
    recitals = _recitals(_blocks(lines[start : agreed + 1]), closing=True)

    witness = _find(lines, lambda x: x.startswith("IN WITNESS WHEREOF"), agreed)
    body_end = witness if witness >= 0 else len(lines)

    chapters: list[Chapter] = []
    articles_lines: list[tuple[int, Chapter, list[str]]] = []
    i = agreed + 1
    cur_chapter: Chapter | None = None
    cur_article: list[str] | None = None
    expected_article = 1
    while i < body_end:
        line = lines[i]
        cm = CHAPTER_HEADING.match(line)
        am = ARTICLE_HEADING.match(line)
        if cm and _roman_to_int(cm.group(1)) == len(chapters) + 1:
            title, rest = _title_and_body(lines[i + 1 : body_end])
            # the chapter title ends at its blank line; continue after it
            consumed = len(lines[i + 1 : body_end]) - len(rest)
            cur_chapter = Chapter(
                number=len(chapters) + 1, roman=cm.group(1), title=title, articles=[]
            )
            chapters.append(cur_chapter)
            cur_article = None
            i += 1 + consumed
            continue
        if am and int(am.group(1)) == expected_article and cur_chapter is not None:
            cur_article = []
            articles_lines.append((expected_article, cur_chapter, cur_article))
            expected_article += 1
            i += 1
            continue
        if cur_article is not None:
            cur_article.append(line)
        i += 1

    for number, chapter, body in articles_lines:
        title, rest = _title_and_body(body)
        paragraphs = _parse_body(rest)
        art = Article(
            number=number,
            title=title,
            chapter=chapter.number,
            chapter_title=chapter.title,
            paragraphs=paragraphs,
        )
        art.cross_references = [n for n in find_article_references(art.full_text()) if n != number]
        chapter.articles.append(art)

    notes: list[InterpretativeNote] = []
    if witness >= 0:
        annex = _find(lines, lambda x: x == "Annex", witness)
        if annex >= 0:
            _, rest = _title_and_body(lines[annex + 1 :])
            notes = _parse_notes(rest)
    return Convention(
        preamble="\n".join(text for text, _ in recitals),
        chapters=chapters,
        notes=notes,
        preamble_pages=[pages for _, pages in recitals],
    )


def parse_resolution_and_convention(raw: str) -> tuple[Resolution, Convention]:
    """Parse the full text extraction of A/RES/79/243 (resolution + annexed Convention)."""
    lines = clean_text(raw)
    annex = _find(lines, lambda x: x == "Annex")
    if annex < 0:
        raise ParseError("the annexed Convention was not found")
    resolution = _parse_resolution(lines, raw, annex)
    convention = _parse_convention(lines[annex:])
    return resolution, convention


def parse_convention_file(path: str | Path) -> tuple[Resolution, Convention]:
    """Read a ``.txt`` extraction, or a ``.json`` file with the text in field ``text``."""
    path = Path(path)
    content = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(content)
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise ParseError(f"{path}: JSON has no string field 'text'")
        content = data["text"]
    return parse_resolution_and_convention(content)
