"""The parse of the official text against the committed golden reference, and six planted
errors in a copy of the source that the reference must catch (each would pass a test that only
counted articles)."""

from __future__ import annotations

import json
import re

import pytest

from assistant.documents.convention import parse_resolution_and_convention
from tests.documents.golden import GOLDEN, structure, structure_diff


@pytest.fixture(scope="module")
def source(mirror_dir) -> str:
    path = next(mirror_dir.glob("A_RES_79_243*.txt"))
    return path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def golden() -> dict:
    return json.loads(GOLDEN.read_text())


def _diff(text: str, golden: dict) -> list[str]:
    return structure_diff(structure(*parse_resolution_and_convention(text)), golden)


def test_the_mirror_parses_to_the_golden_structure(source, golden):
    assert _diff(source, golden) == []
    assert len(golden["provisions"]) > 400 and len(golden["articles"]) == 68


def _line_index(lines: list[str], pattern: str, start: int = 0) -> int:
    return next(i for i in range(start, len(lines)) if re.fullmatch(pattern, lines[i].strip()))


def _body_start(lines: list[str], article: int) -> int:
    """First line of an article's body: after its heading and title."""
    i = _line_index(lines, rf"Article {article}\.?")
    i = next(j for j in range(i + 1, len(lines)) if lines[j].strip())  # the title
    return next(j for j in range(i + 1, len(lines)) if lines[j].strip())


def drop_two_words_from_a_paragraph(text: str) -> str:
    lines = text.splitlines()
    i = _body_start(lines, 27)
    words = lines[i].split()
    lines[i] = " ".join(words[:3] + words[5:])
    return "\n".join(lines)


def delete_a_paragraph(text: str) -> str:
    lines = text.splitlines()
    start = _body_start(lines, 28)
    two = _line_index(lines, r"2\.", start)
    three = _line_index(lines, r"3\.", two)
    return "\n".join(lines[:two] + lines[three:])


def change_an_article_title(text: str) -> str:
    lines = text.splitlines()
    i = _line_index(lines, r"Article 12\.?")
    title = next(j for j in range(i + 1, len(lines)) if lines[j].strip())
    lines[title] = "Offences of another kind"
    return "\n".join(lines)


def merge_two_subparagraphs(text: str) -> str:
    lines = text.splitlines()
    start = _body_start(lines, 27)
    b = _line_index(lines, r"\(b\)", start)
    del lines[b]
    return "\n".join(lines)


def drop_words_from_a_resolution_paragraph(text: str) -> str:
    lines = text.splitlines()
    i = _line_index(lines, r"5\.")  # the resolution's operative paragraph 5 comes first
    j = next(k for k in range(i + 1, len(lines)) if lines[k].strip())
    words = lines[j].split()
    lines[j] = " ".join(words[:2] + words[4:])
    return "\n".join(lines)


def change_a_notes_article_range(text: str) -> str:
    lines = text.splitlines()
    annex = max(i for i, line in enumerate(lines) if line.strip() == "Annex")
    i = _line_index(lines, r"Article 17", annex)
    lines[i] = "Article 18"
    return "\n".join(lines)


@pytest.mark.parametrize(
    "plant",
    [
        drop_two_words_from_a_paragraph,
        delete_a_paragraph,
        change_an_article_title,
        merge_two_subparagraphs,
        drop_words_from_a_resolution_paragraph,
        change_a_notes_article_range,
    ],
)
def test_each_planted_error_is_caught(source, golden, plant):
    planted = plant(source)
    assert planted != source
    assert _diff(planted, golden), f"{plant.__name__} went unnoticed"
