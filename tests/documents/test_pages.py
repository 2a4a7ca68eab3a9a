"""Pinpoint pages: every provision of the official document records the PDF page(s) it is
printed on, read from the extraction's ``n/46`` page markers, and never in its text."""

from __future__ import annotations

import re

import pytest

from assistant.chunking import chunk_convention, chunk_resolution
from assistant.documents.cleaning import Line, clean_text, page_of
from assistant.documents.convention import parse_resolution_and_convention
from assistant.models import SourceKind

# Read off the mirror by hand: the first (cover) page has no marker; every other page opens
# with its running header and marker, so a provision is on the page of the last marker before it.
GOLDEN_PAGES = {
    "Res. recital 1": [1],
    "Res. para. 6": [2, 3],  # runs over the page break after "Conference of the States Parties"
    "Conv. recital 3": [3, 4],
    "Art. 1(a)": [5],
    "Art. 2(f)": [5, 6],
    "Art. 27(b)": [16],
    "Art. 68(1)": [45],
    "Interp. note 2": [45, 46],
    "Interp. note 5": [46],
}


@pytest.fixture(scope="module")
def raw(mirror_dir) -> str:
    return next(mirror_dir.glob("A_RES_79_243*.txt")).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def chunks(raw):
    resolution, convention = parse_resolution_and_convention(raw)
    return chunk_resolution(resolution, "src") + chunk_convention(convention, "src")


def test_golden_pages(chunks):
    by_label = {c.label: c for c in chunks}
    assert {label: by_label[label].pages for label in GOLDEN_PAGES} == GOLDEN_PAGES


def _stream(raw: str) -> tuple[str, list[int]]:
    """The raw text's letters and digits (lower case) with the page each is printed on,
    counted independently of the cleaning code: a marker line ``n/46`` opens page n."""
    chars, pages, page = [], [], 1
    for line in raw.splitlines():
        m = re.fullmatch(r"\s*(\d{1,2})/46\s*", line)
        if m:
            page = int(m.group(1))
            continue
        for ch in re.sub(r"[^0-9a-z]", "", line.lower()):
            chars.append(ch)
            pages.append(page)
    return "".join(chars), pages


def _key(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def test_every_provision_starts_and_ends_on_its_recorded_pages(raw, chunks):
    """Each provision's first and last words are found in the raw text, in document order, on
    the first and last of its recorded pages."""
    stream, pages = _stream(raw)
    pos, checked = 0, 0
    official = [c for c in chunks if c.source != SourceKind.BRIEFING]
    # document order: the resolution, then the annexed Convention
    ordered = [c for c in official if c.source == SourceKind.RESOLUTION] + [
        c for c in official if c.source != SourceKind.RESOLUTION
    ]
    for c in ordered:
        assert c.pages, c.label
        text = _key(c.text)
        head, tail = text[:30], text[-16:]  # short: a recital may end across a page break
        start = stream.find(head, pos)
        assert start >= 0, c.label
        end = stream.find(tail, start + len(text) - len(tail))  # page furniture only adds
        assert end >= 0, c.label
        assert pages[start] == c.pages[0], (c.label, pages[start], c.pages)
        assert pages[end + len(tail) - 1] == c.pages[-1], (c.label, c.pages)
        pos = end + len(tail)  # the next provision follows this one
        checked += 1
    assert checked == len(ordered) > 450


def test_pages_never_enter_the_text(chunks):
    for c in chunks:
        assert not re.search(r"\b\d{1,2}/46\b", c.text + c.chapeau + c.tail), c.label


def test_cleaned_lines_carry_their_page():
    raw = "\n".join(
        ["Cover text", "", "A/RES/9/9", "2/3", "", "Second page", "", "3/3", "A/RES/9/9", "Last"]
    )
    lines = [x for x in clean_text(raw) if x]
    assert lines == ["Cover text", "Second page", "Last"]
    assert [page_of(x) for x in lines] == [1, 2, 3]
    assert all(isinstance(x, Line) for x in lines)
    assert page_of("plain str") is None
    assert [page_of(x) for x in clean_text("No markers here")] == [None]
