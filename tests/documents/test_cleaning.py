"""Unit tests of the page-furniture cleaning, on small synthetic documents."""

from __future__ import annotations

from assistant.documents.cleaning import (
    clean_text,
    fix_split_words,
    is_page_marker,
    join_lines,
    normalize_line,
)

SYMBOL = "A/RES/99/999"
JOB = "99-99999"
TITLE = [
    "Example Agreement on Testing Things; Improving the Quality ",
    "Of Synthetic Documents Used in Unit Tests",
]


def header(page: int, pages: int) -> list[str]:
    """A running header in the two layouts of the real extraction (even / odd pages)."""
    if page % 2 == 0:
        return ["", f"{SYMBOL} ", *TITLE, " ", JOB, f"{page}/{pages} ", " "]
    return ["", *TITLE, SYMBOL, " ", f"{page}/{pages}", f"{JOB} ", " "]


def document(pages: list[list[str]]) -> str:
    lines = [
        "United Nations ",
        SYMBOL,
        " ",
        "General Assembly ",
        f"{JOB} (E) ",
        "*9999999* ",
        " ",
    ]
    for i, body in enumerate(pages, 1):
        if i > 1:
            lines += header(i, len(pages))
        lines += body
    return "\n".join(lines)


PAGES = [
    ["Article 1 ", " ", "1. ", "The parties agree that the sky is blue and that the "],
    ["grass is green in spring. ", "2. ", "The Secretary-", "General shall keep records. "],
    ["(a) ", "First item; ", " ", "(b) ", "Second item. ", " "],
    [" ", "Closing words signed this Agreement.1  ", "__________________ ", " ", "1  A note. "],
]


def test_running_headers_removed_in_both_layouts():
    lines = clean_text(document(PAGES))
    text = "\n".join(lines)
    assert SYMBOL not in text
    assert JOB not in text
    assert "*9999999*" not in text
    assert "Synthetic Documents" not in text
    assert "Testing Things" not in text
    assert not any(is_page_marker(x) for x in lines)


def test_page_break_mid_sentence_joins_up():
    lines = clean_text(document(PAGES))
    i = lines.index("The parties agree that the sky is blue and that the")
    assert lines[i + 1] == "grass is green in spring."
    assert join_lines(lines[i : i + 2]) == (
        "The parties agree that the sky is blue and that the grass is green in spring."
    )


def test_front_page_furniture_removed_but_heading_kept():
    lines = clean_text(document(PAGES))
    assert lines[:2] == ["United Nations", ""]
    assert "General Assembly" in lines


def test_footnote_block_and_mark_removed():
    lines = clean_text(document(PAGES))
    assert "Closing words signed this Agreement." in lines
    assert not any("A note" in x or x.startswith("___") for x in lines)
    assert lines[-1] == "Closing words signed this Agreement."


def test_real_gap_at_page_break_kept_as_one_blank():
    lines = clean_text(document(PAGES))
    i = lines.index("Second item.")
    # page 3 ends with a blank line and page 4 starts with one: a real paragraph gap
    assert lines[i + 1] == ""
    assert lines[i + 2] == "Closing words signed this Agreement."
    assert all(not (a == "" and b == "") for a, b in zip(lines, lines[1:], strict=False))


def test_title_words_in_body_are_not_a_header():
    pages = [list(p) for p in PAGES]
    pages[1] = ["grass is green in spring. ", TITLE[1] + " and more words. "]
    lines = clean_text(document(pages))
    assert TITLE[1] + " and more words." in lines


def test_24_7_is_not_a_page_marker():
    assert not is_page_marker("24/7")
    assert is_page_marker("2/46")
    assert is_page_marker("46/46")
    lines = clean_text("Designate a point of contact available\n24/7\nfor assistance.")
    assert "24/7" in lines


def test_split_words_repaired_conservatively():
    assert fix_split_words("participation in th e offences") == "participation in the offences"
    assert fix_split_words("Th e parties") == "The parties"
    # real short words are never glued together
    assert fix_split_words("in a way to be") == "in a way to be"
    assert fix_split_words("the e-mail") == "the e-mail"


def test_join_lines_keeps_real_hyphens():
    assert join_lines(["the Secretary-", "General of the United Nations"]) == (
        "the Secretary-General of the United Nations"
    )
    assert join_lines(["at its seventy-", "eighth session"]) == "at its seventy-eighth session"
    assert join_lines(["one", "", "two ", "  three"]) == "one two three"
    assert join_lines([]) == ""


def test_normalize_line():
    assert normalize_line("  a   b \t c  ") == "a b c"
    assert normalize_line("   ") == ""
