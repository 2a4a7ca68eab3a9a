"""Clean the PyMuPDF text extraction of a UN document (page furniture, footnotes, artefacts).

The extraction keeps the PDF layout: every page repeats a running header (document
symbol, the resolution title wrapped over four lines, the job number and an ``n/46``
page marker, in two layouts for odd and even pages), footnotes sit at the foot of a
page under a ``____`` rule, and a few words are split by the layout ("th e").

:func:`clean_text` removes all of that and returns the physical lines of the body
(blank lines kept as ``""`` because they carry structure: they separate headings and
list items). Each body line is a :class:`Line`: a ``str`` that also remembers the official
page it is printed on (from the page markers it removed), so the parser can record on which
page(s) each provision appears without the page ever entering the text.
:func:`join_lines` re-joins wrapped lines into prose.
"""

from __future__ import annotations

import re
from collections import Counter

__all__ = [
    "Line",
    "clean_text",
    "fix_split_words",
    "is_page_marker",
    "join_lines",
    "normalize_line",
    "page_of",
]

# A page marker "2/46" on its own line.
PAGE_MARKER = re.compile(r"^(\d{1,3})/(\d{1,3})$")
# Document furniture that may stand alone on a line anywhere (never body text).
SYMBOL_LINE = re.compile(r"^A/RES/\d+/\d+$")
JOB_LINE = re.compile(r"^\d{2}-\d{5}(?: \([A-Z]\))?$")  # "24-24621", "24-24621 (E)"
BARCODE_LINE = re.compile(r"^\*\d{6,}\*$")  # "*2424621*"
FOOTNOTE_RULE = re.compile(r"^_{5,}$")
FOOTNOTE_START = re.compile(r"^(\d{1,2})\s+\S")

# Words split in two by the PDF layout. Conservative: only fragments that are not
# English words on their own ("th", "wh") or known artefacts.
_SPLIT_WORDS = [
    (re.compile(r"\bth e\b"), "the"),
    (re.compile(r"\bTh e\b"), "The"),
    (re.compile(r"\bth at\b"), "that"),
    (re.compile(r"\bth is\b"), "this"),
    (re.compile(r"\bth ey\b"), "they"),
    (re.compile(r"\bth eir\b"), "their"),
    (re.compile(r"\bth ose\b"), "those"),
    (re.compile(r"\bwh ich\b"), "which"),
    (re.compile(r"\bwh ere\b"), "where"),
]

# A running header line is long and repeats on many pages; shorter repeated lines
# ("(a)", "1.") are body structure and are never treated as headers.
_MIN_HEADER_LEN = 25


class Line(str):
    """A cleaned body line; ``page`` is the official page it is printed on (None when the
    text has no page markers). Compares, hashes and joins exactly like its text."""

    page: int | None

    def __new__(cls, text: str, page: int | None = None) -> Line:
        line = super().__new__(cls, text)
        line.page = page
        return line


def page_of(line: str) -> int | None:
    """The page of a cleaned line (None for a plain ``str`` or a text without markers)."""
    return getattr(line, "page", None)


def normalize_line(line: str) -> str:
    """Strip a line and collapse runs of whitespace to one space."""
    return " ".join(line.split())


def fix_split_words(line: str) -> str:
    """Repair known words split by the PDF layout ("th e" -> "the")."""
    for pattern, repl in _SPLIT_WORDS:
        line = pattern.sub(repl, line)
    return line


def is_page_marker(line: str) -> bool:
    """True for a page marker such as "2/46"; "24/7" is not one."""
    m = PAGE_MARKER.match(line)
    return bool(m) and 1 <= int(m.group(1)) <= int(m.group(2))


def _is_furniture(line: str) -> bool:
    return bool(
        is_page_marker(line)
        or SYMBOL_LINE.match(line)
        or JOB_LINE.match(line)
        or BARCODE_LINE.match(line)
    )


def _running_title_lines(lines: list[str], n_pages: int) -> set[str]:
    """Long lines repeated on at least half of the pages: the wrapped running title."""
    counts = Counter(x for x in lines if len(x) >= _MIN_HEADER_LEN)
    threshold = max(3, n_pages // 2)
    return {x for x, c in counts.items() if c >= threshold}


def _header_blocks(lines: list[str]) -> list[tuple[int, int]]:
    """Spans [start, end) of running-header blocks, each around one page marker.

    A block is the page marker plus adjacent furniture and running-title lines (each
    title line at most once per block; a blank line inside the block is skipped only
    when more header follows it), plus one blank line on each side: the page break.
    Any further blank lines are real paragraph gaps and stay.
    """
    markers = [i for i, x in enumerate(lines) if is_page_marker(x)]
    titles = _running_title_lines(lines, len(markers) + 1)

    def kind(x: str) -> str | None:
        if SYMBOL_LINE.match(x):
            return "symbol"
        if JOB_LINE.match(x):
            return "job"
        if x in titles:
            return x
        return None

    blocks = []
    for m in markers:
        used: set[str] = set()

        def take(j: int, step: int, used: set[str] = used) -> bool:
            k = kind(lines[j])
            if k is not None and k not in used:
                used.add(k)
                return True
            if lines[j] == "":
                nxt = j + step
                if 0 <= nxt < len(lines):
                    k2 = kind(lines[nxt])
                    return k2 is not None and k2 not in used
            return False

        start = m
        while start - 1 >= 0 and take(start - 1, -1):
            start -= 1
        if start - 1 >= 0 and lines[start - 1] == "":
            start -= 1
        end = m + 1
        while end < len(lines) and take(end, 1):
            end += 1
        if end < len(lines) and lines[end] == "":
            end += 1
        blocks.append((start, end))
    return blocks


def _line_pages(lines: list[str], blocks: list[tuple[int, int]]) -> list[int | None]:
    """The page of every raw line. Each page of the extraction opens with its running header
    (the ``n/46`` marker inside it), so a line belongs to the page of the last header block
    that starts at or before it; lines before the first header are on the page before it
    (the cover page, which has no marker)."""
    starts = []
    for start, end in blocks:
        number = next(
            (int(PAGE_MARKER.match(x).group(1)) for x in lines[start:end] if is_page_marker(x)),
            None,
        )
        if number is not None:
            starts.append((start, number))
    if not starts:
        return [None] * len(lines)
    starts.sort()
    pages: list[int | None] = []
    current, k = max(1, starts[0][1] - 1), 0
    for i in range(len(lines)):
        while k < len(starts) and starts[k][0] <= i:
            current = starts[k][1]
            k += 1
        pages.append(current)
    return pages


def clean_text(raw: str) -> list[Line]:
    """Body lines of the extraction, without page furniture and footnotes.

    Returns physical lines, whitespace-normalized, with blank lines as ``""``; runs of
    blank lines are collapsed to one. Removes running headers (both page layouts, also
    when a page break falls mid-sentence), page markers, the job number and barcode,
    footnote blocks (the ``____`` rule to the end of its page) and the footnote marks
    they explain ("Convention.1" -> "Convention."), and repairs known split words. Every
    line is a :class:`Line` carrying its official page number.
    """
    lines = [normalize_line(x) for x in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    drop = [False] * len(lines)
    blocks = _header_blocks(lines)
    pages = _line_pages(lines, blocks)
    for start, end in blocks:
        for i in range(start, end):
            drop[i] = True

    # Footnotes: from the rule to the start of the next page header (or the end).
    block_starts = sorted(s for s, _ in blocks)
    footnote_numbers: set[str] = set()
    for i, x in enumerate(lines):
        if drop[i] or not FOOTNOTE_RULE.match(x):
            continue
        stop = next((s for s in block_starts if s > i), len(lines))
        for j in range(i, stop):
            m = FOOTNOTE_START.match(lines[j])
            if m and not drop[j]:
                footnote_numbers.add(m.group(1))
            drop[j] = True

    out: list[Line] = []
    for i, x in enumerate(lines):
        if drop[i] or _is_furniture(x):
            continue
        x = fix_split_words(x)
        for n in footnote_numbers:
            # A footnote mark is glued to the end of a word or punctuation: "Convention.1".
            x = re.sub(rf"(?<=[A-Za-z.,;:”’)]){n}(?=\s|$)", "", x)
        x = x.rstrip() if x.strip() else ""
        if x == "" and (not out or out[-1] == ""):
            continue
        out.append(Line(x, pages[i]))
    while out and out[-1] == "":
        out.pop()
    return out


def join_lines(lines: list[str]) -> str:
    """Re-join wrapped lines into one string of prose.

    Lines are joined with a single space, except after a line-final hyphen that follows
    a letter ("Secretary-" + "General"): the hyphen is real in this text (UN documents
    do not hyphenate words at line ends), so it is kept and no space is added.
    Blank lines are ignored.
    """
    text = ""
    for line in lines:
        line = line.strip()
        if not line:
            continue
        if not text:
            text = line
        elif re.search(r"[A-Za-z]-$", text) and line[0].isalnum():
            text += line
        else:
            text += " " + line
    return re.sub(r" {2,}", " ", text)
