"""Parser tests on the real text extraction of A/RES/79/243 (read from the mirror)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.documents.convention import (
    find_article_references,
    parse_convention_file,
    parse_resolution_and_convention,
)
from assistant.models import Convention, Resolution

TEXT_FILE = "A_RES_79_243_text__derived_from_json.txt"
JSON_FILE = "A_RES_79_243_extracted__wannli_un-docs-downloader.json"

CHAPTERS = {
    1: ("I", "General provisions", range(1, 7)),
    2: ("II", "Criminalization", range(7, 22)),
    3: ("III", "Jurisdiction", range(22, 23)),
    4: ("IV", "Procedural measures and law enforcement", range(23, 35)),
    5: ("V", "International cooperation", range(35, 53)),
    6: ("VI", "Preventive measures", range(53, 54)),
    7: ("VII", "Technical assistance and information exchange", range(54, 57)),
    8: ("VIII", "Mechanism of implementation", range(57, 59)),
    9: ("IX", "Final provisions", range(59, 69)),
}

# Short titles read from the parse; every article's title (the long ones too) is checked by its
# hash against tests/documents/golden_structure.json, so no long run of the text is kept here.
TITLES = {
    1: "Statement of purpose",
    2: "Use of terms",
    3: "Scope of application",
    7: "Illegal access",
    11: "Misuse of devices",
    17: "Laundering of proceeds of crime",
    22: "Jurisdiction",
    24: "Conditions and safeguards",
    27: "Production order",
    28: "Search and seizure of stored electronic data",
    35: "General principles of international cooperation",
    37: "Extradition",
    41: "24/7 network",
    53: "Preventive measures",
    57: "Conference of the States Parties to the Convention",
    64: "Signature, ratification, acceptance, approval and accession",
    65: "Entry into force",
    67: "Denunciation",
    68: "Depositary and languages",
}

# Page furniture that must never reach parsed text.
NOISE = [
    re.compile(r"A/RES/79/243"),
    re.compile(r"24-24621"),
    re.compile(r"\b\d{1,2}/46\b"),
    re.compile(r"\*2424621\*"),
    re.compile(r"_{3,}"),
    re.compile(r"\bth e\b"),
    re.compile(r"It is noted that interpretative notes"),
    re.compile(r"Distr\.: General"),
]
# The Convention's full title is legitimately quoted in the resolution (preamble and
# paragraphs 1 and 2), never in the annexed Convention's own provisions or notes.
RUNNING_TITLE = re.compile(r"Strengthening International Cooperation|Serious Crimes")


@pytest.fixture(scope="session")
def source_path(mirror_dir: Path) -> Path:
    for name in (TEXT_FILE, JSON_FILE):
        if (mirror_dir / name).is_file():
            return mirror_dir / name
    pytest.skip(f"neither {TEXT_FILE} nor {JSON_FILE} in mirror {mirror_dir}")


@pytest.fixture(scope="session")
def parsed(source_path: Path) -> tuple[Resolution, Convention]:
    return parse_convention_file(source_path)


@pytest.fixture(scope="session")
def resolution(parsed) -> Resolution:
    return parsed[0]


@pytest.fixture(scope="session")
def convention(parsed) -> Convention:
    return parsed[1]


def convention_texts(conv: Convention) -> list[tuple[str, str]]:
    """Every piece of Convention text with a readable locator."""
    out = [("preamble", conv.preamble)]
    for ch in conv.chapters:
        out.append((f"chapter {ch.number} title", ch.title))
    for art in conv.articles:
        out.append((f"art {art.number} title", art.title))
        for p in art.paragraphs:
            where = f"art {art.number}({p.number})"
            out += [(where, p.text), (where + " tail", p.tail)]
            out += [(f"{where}({s.letter})", s.text) for s in p.subparagraphs]
    out += [(f"note {n.number}", n.text) for n in conv.notes]
    out += [(f"note {n.number} heading", n.heading) for n in conv.notes]
    return out


# --- articles and chapters ---------------------------------------------------------


def test_exactly_68_articles_in_order(convention):
    assert [a.number for a in convention.articles] == list(range(1, 69))


def test_nine_chapters_with_titles(convention):
    got = {c.number: (c.roman, c.title) for c in convention.chapters}
    assert got == {n: (roman, title) for n, (roman, title, _) in CHAPTERS.items()}


@pytest.mark.parametrize("number", sorted(TITLES))
def test_article_titles(convention, number):
    assert convention.article(number).title == TITLES[number]


def test_every_article_has_a_clean_title(convention):
    for art in convention.articles:
        assert art.title[:1].isupper() or art.title[:1].isdigit(), art.number
        assert not art.title.endswith((".", ",", ";", ":")), art.number
        assert len(art.title) < 120, art.number


def test_every_article_in_its_chapter(convention):
    for number, (_, title, articles) in CHAPTERS.items():
        chapter = convention.chapters[number - 1]
        assert [a.number for a in chapter.articles] == list(articles)
        for art in chapter.articles:
            assert art.chapter == number
            assert art.chapter_title == title


def test_paragraph_numbering_contiguous(convention):
    for art in convention.articles:
        numbers = [p.number for p in art.paragraphs]
        assert numbers, art.number
        if numbers == [None]:
            continue
        assert numbers == [str(i) for i in range(1, len(numbers) + 1)], art.number


def test_subparagraph_lettering_contiguous(convention):
    for art in convention.articles:
        for p in art.paragraphs:
            letters = [s.letter for s in p.subparagraphs]
            assert letters == [chr(ord("a") + i) for i in range(len(letters))], (art.number, p)


def test_no_empty_provisions(convention):
    for art in convention.articles:
        for p in art.paragraphs:
            assert p.text or p.subparagraphs, (art.number, p.number)
            for s in p.subparagraphs:
                assert s.text, (art.number, p.number, s.letter)


@pytest.mark.parametrize("number", [1, 2, 3, 10, 13, 20, 27, 32, 38, 46, 48, 51])
def test_unnumbered_bodies(convention, number):
    paragraphs = convention.article(number).paragraphs
    assert len(paragraphs) == 1
    assert paragraphs[0].number is None


def test_article_2_definitions(convention):
    (body,) = convention.article(2).paragraphs
    assert body.text == "For the purposes of this Convention:"
    assert [s.letter for s in body.subparagraphs] == list("abcdefghijklmno")
    subs = {s.letter: s.text for s in body.subparagraphs}
    # (i) is the letter i ("Property"), not a roman item of (h)
    assert subs["i"].startswith("“Property” shall mean")
    assert subs["h"].startswith("“Serious crime” shall mean")
    # roman items stay inside their subparagraph, one per line
    e_lines = subs["e"].split("\n")
    assert e_lines[0].startswith("“Service provider” shall mean")
    assert [x[:4] for x in e_lines[1:]] == ["(i) ", "(ii)"]
    f_lines = subs["f"].split("\n")
    assert [x.split(" ")[0] for x in f_lines[1:]] == ["(i)", "(ii)", "(iii)"]
    assert subs["o"].startswith("“Emergency” shall mean")


def test_article_27_unnumbered_with_two_subparagraphs(convention):
    (body,) = convention.article(27).paragraphs
    assert body.number is None
    assert body.text.startswith("Each State Party shall adopt")
    assert body.text.endswith("to order:")
    assert [s.letter for s in body.subparagraphs] == ["a", "b"]


def test_article_65_two_paragraphs(convention):
    art = convention.article(65)
    assert [p.number for p in art.paragraphs] == ["1", "2"]
    assert art.paragraphs[0].text.startswith("This Convention shall enter into force")


def test_article_40_long_numbering_and_paragraph_without_chapeau(convention):
    art = convention.article(40)
    assert [p.number for p in art.paragraphs] == [str(i) for i in range(1, 33)]
    p12 = art.paragraphs[11]
    assert p12.text == ""  # "12. (a) ..." has no lead-in
    assert [s.letter for s in p12.subparagraphs] == list("abcd")
    p3 = art.paragraphs[2]
    assert [s.letter for s in p3.subparagraphs] == list("abcdefghijklm")


def test_roman_items_directly_after_letter(convention):
    p1 = convention.article(17).paragraphs[0]
    a, b = p1.subparagraphs
    assert a.text.startswith("(i) The conversion or transfer of property")
    assert "\n(ii) The concealment or disguise" in a.text
    assert b.text.startswith("Subject to the basic concepts of its legal system:\n(i) ")


def test_tails_after_last_subparagraph(convention):
    p28 = convention.article(28).paragraphs[0]
    assert p28.tail == "in the territory of that State Party."
    assert p28.subparagraphs[-1].text.endswith("may be stored;")
    (p13,) = convention.article(13).paragraphs
    assert p13.tail.startswith("with the fraudulent or dishonest intent")
    p29 = convention.article(29).paragraphs[0]
    assert p29.tail.startswith("traffic data, in real time")
    # closing words of a subparagraph after its roman items stay in the subparagraph
    p11a = convention.article(11).paragraphs[0].subparagraphs[0]
    assert p11a.text.split("\n")[-1].startswith("with the intent that the device")
    p23_3 = convention.article(23).paragraphs[2]
    assert p23_3.tail == ""
    assert "\nthat State Party may reserve the right" in p23_3.subparagraphs[1].text


def test_wrapped_references_are_not_list_items(convention):
    # "paragraph 1 (a) (i) or (ii) of this article" must stay inside (b)
    p1 = convention.article(11).paragraphs[0]
    assert [s.letter for s in p1.subparagraphs] == ["a", "b"]
    assert "paragraph 1 (a) (i) or (ii) of this article" in p1.subparagraphs[1].text


def test_article_68_ends_before_witness_clause(convention):
    art = convention.article(68)
    assert art.paragraphs[-1].text.endswith(
        "deposited with the Secretary-General of the United Nations."
    )
    assert "IN WITNESS WHEREOF" not in art.full_text()


# --- text quality ----------------------------------------------------------------


def test_no_page_furniture_anywhere(convention, resolution):
    texts = convention_texts(convention)
    texts += [("res title", resolution.title), ("res preamble", resolution.preamble)]
    texts += [(f"res {p.number}", p.text) for p in resolution.paragraphs]
    for where, text in texts:
        for pattern in NOISE:
            assert not pattern.search(text), (where, pattern.pattern, text[:200])


def test_running_title_only_where_the_resolution_quotes_it(convention, resolution):
    for where, text in convention_texts(convention):
        assert not RUNNING_TITLE.search(text), where
    quoting = [p.number for p in resolution.paragraphs if RUNNING_TITLE.search(p.text)]
    assert quoting == [1, 2]


def test_text_is_clean_prose(convention):
    for where, text in convention_texts(convention):
        assert text == text.strip(), where
        assert "  " not in text, where
        assert not re.search(r" [,.;:]", text), where
        assert not re.search(r"[A-Za-z]- [a-z]", text), where  # no broken hyphenation
        assert not re.search(r"\.\d\b", text), where  # no footnote marks
        if where == "preamble":
            continue  # one recital per line
        # inside provisions, new lines only open roman items or closing words after them
        for line in text.split("\n")[1:]:
            assert re.match(r"\([ivx]+\) |[a-z]", line), (where, line)


def test_line_joins(convention, resolution):
    assert "participation in the offences" in convention.article(18).full_text()
    assert "Secretary-General" in convention.article(68).full_text()
    assert "seventy-eighth session" in resolution.preamble
    assert "“Information and communications technology system” shall mean" in (
        convention.article(2).full_text()
    )


def test_text_crossing_a_page_break(convention):
    # Art. 25(2) / 40(12)(a) continue on the next page mid-sentence
    p12a = convention.article(40).paragraphs[11].subparagraphs[0].text
    assert "system of mutual legal assistance, it may designate" in p12a


# --- cross-references ------------------------------------------------------------


def test_cross_references(convention):
    refs = {a.number: a.cross_references for a in convention.articles}
    assert refs[3] == [23, 35]
    assert refs[11] == [7, 8, 9, 10]
    assert refs[17] == list(range(7, 17))
    assert 25 in refs[26]
    assert set(range(40, 47)) <= set(refs[35])
    assert {31, 50, 56} <= set(refs[52])
    assert refs[22] == [5, 17, 37]
    for number, found in refs.items():
        assert number not in found
        assert found == sorted(set(found))
        assert all(1 <= n <= 68 for n in found)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in accordance with article 24 of this Convention", [24]),
        ("the measures referred to in article 29;", [29]),
        ("established in accordance with articles 7 to 11 of this Convention", [7, 8, 9, 10, 11]),
        ("as set out in articles 23 and 35 of this Convention.", [23, 35]),
        ("defined in article 2 (e) includes", [2]),
        (
            "as foreseen in articles 57, paragraph 5 (g), 61 and 62 of this Convention",
            [57, 61, 62],
        ),
        ("article 40, paragraph 21 (b) and (c) and also paragraph 22, of this Convention", [40]),
        ("the provisions of article 46 of the United Nations Convention against Corruption", []),
        ("consistent with article 51 of the Charter of the United Nations", []),
        ("article 3 of that Convention", []),
        ("article 46, paragraph 3, of the United Nations Convention against Corruption", []),
        ("under article 24, the authorities of the State Party", [24]),
        ("article 17, paragraph 1 (b) (ii), of this Convention", [17]),
        ("article 12 of the present Convention", [12]),
        ("article 12 of the Convention on the Rights of the Child", []),
        ("Article 12 of the convention", [12]),
        ("articles 7, 8 and 9", [7, 8, 9]),
        ("no reference here to paragraph 3", []),
    ],
)
def test_find_article_references(text, expected):
    assert find_article_references(text) == expected


# --- resolution ------------------------------------------------------------------


def test_resolution_header(resolution):
    assert resolution.symbol == "A/RES/79/243"
    assert resolution.adopted == "24 December 2024"
    assert resolution.title.startswith(
        "United Nations Convention against Cybercrime; Strengthening"
    )
    assert resolution.title.endswith("Electronic Form of Serious Crimes")


def test_resolution_paragraphs(resolution):
    assert [p.number for p in resolution.paragraphs] == list(range(1, 13))
    texts = {p.number: p.text for p in resolution.paragraphs}
    assert texts[1].startswith("Takes note of the report")
    assert texts[2].startswith("Adopts the United Nations Convention against Cybercrime")
    assert texts[10].startswith("Also requests the Secretary-General")
    assert texts[12].endswith("International Anti-Cybercrime Day.")
    assert "plenary meeting" not in texts[12]


def test_resolution_preamble(resolution):
    assert resolution.preamble.startswith("The General Assembly,")
    assert "Recalling its resolution 74/247" in resolution.preamble
    assert resolution.preamble.endswith("a signing ceremony for the Convention,")
    assert "Takes note" not in resolution.preamble


# --- convention preamble and notes -------------------------------------------------


def test_convention_preamble(convention):
    pre = convention.preamble
    assert pre.startswith("The States Parties to the present Convention,")
    assert pre.endswith("Have agreed as follows:")
    assert "Chapter I" not in pre
    assert "Bearing in mind the purposes and principles" in pre


def test_interpretative_notes(convention):
    notes = convention.notes
    assert [n.number for n in notes] == [1, 2, 3, 4, 5]
    assert [n.articles for n in notes] == [[2], [2], [17], [23, 35], [35]]
    headings = [n.heading for n in notes]
    assert headings[:3] + headings[4:] == ["Article 2", "Article 2", "Article 17", "Article 35"]
    assert headings[3].startswith("Articles 23 and 35, with regard to the term")
    assert headings[3].endswith("“investigation”")  # the whole heading: by hash in the golden
    assert notes[0].text.startswith("The definition of the term “service provider”")


def test_footnote_removed_from_note_2(convention):
    note = convention.notes[1].text
    assert note.startswith("States parties are not obliged to reproduce verbatim")
    assert "provided that those laws cover such concepts" in note
    assert note.endswith("offer an equivalent framework for its implementation.")
    for where, text in convention_texts(convention):
        assert "reconvened concluding session" not in text, where
        assert "29 July to 9 August 2024" not in text, where


# --- entry points ----------------------------------------------------------------


def test_txt_and_json_give_the_same_structure(mirror_dir, parsed, tmp_path):
    txt = mirror_dir / TEXT_FILE
    if not txt.is_file():
        pytest.skip(f"{TEXT_FILE} not in mirror")
    raw = txt.read_text(encoding="utf-8")
    wrapped = tmp_path / "doc.json"
    wrapped.write_text(json.dumps({"text": raw}), encoding="utf-8")
    assert parse_convention_file(wrapped) == parse_resolution_and_convention(raw)
    if (mirror_dir / JSON_FILE).is_file():
        assert parse_convention_file(mirror_dir / JSON_FILE) == parsed


def test_json_without_text_is_rejected(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"paragraphs": []}), encoding="utf-8")
    with pytest.raises(ValueError):
        parse_convention_file(bad)


def test_unrelated_text_is_rejected():
    with pytest.raises(ValueError):
        parse_resolution_and_convention("Just a few words.\nNothing else here.")


def test_recitals_are_numbered_as_the_text_numbers_them(convention, resolution):
    """The opening formula is the first recital's subject, not a recital of its own, and the
    closing formula ends the last: recital 1 is the first "Recalling" / "Bearing in mind"."""
    conv = convention.preamble.splitlines()
    res = resolution.preamble.splitlines()
    assert conv[0].startswith("The States Parties to the present Convention, Bearing in mind")
    assert conv[-1].endswith("Have agreed as follows:") and conv[-1].startswith("Taking into")
    assert res[0].startswith("The General Assembly, Recalling its resolution 74/247")
    assert res[1].startswith("Recalling also its resolution 75/282")
    assert len(convention.preamble_pages) == len(conv) and len(resolution.preamble_pages) == len(
        res
    )
    assert not any(r.startswith("Have agreed") or r.endswith("Assembly,") for r in conv + res)
