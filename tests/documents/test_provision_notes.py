"""Our plain-language provision notes (corpus/provisions) against the official text: one note
per provision, and every summary agrees with its provision (numbers, durations, ordinals,
modal force, defined terms, no article it does not name, no long copy)."""

from __future__ import annotations

import pytest

from assistant.chunking import chunk_corpus
from assistant.documents.loader import load_corpus
from assistant.documents.provision_notes import (
    MAX_COPIED_RUN,
    load_notes,
    load_pairs,
    longest_common_run,
    question_problems,
    summary_problems,
)
from assistant.labels import UNIS_PREFIX
from assistant.settings import Settings

# Defined terms whose plain use is ordinary English ("property", "States Parties").
PLAIN_TERMS = {"states parties", "property", "emergency", "seizure", "freezing", "confiscation"}


@pytest.fixture(scope="module")
def chunks(mirror_dir):
    """Every chunk of the mirror's documents, read once for this module."""
    settings = Settings(source_dir=mirror_dir)
    corpus = load_corpus(settings, download_missing=False, progress=False)
    return [c for cs in chunk_corpus(corpus, "conv").values() for c in cs]


@pytest.fixture(scope="module")
def official(chunks):
    chunks = [c for c in chunks if c.source.official]
    defined = set()
    for c in chunks:
        if c.article == 2 and "shall mean" in c.text:
            import re

            defined |= {t.lower() for t in re.findall(r"“([^”]{2,80})”", c.text)}
    return {c.label: c.sentence() for c in chunks}, defined - PLAIN_TERMS


@pytest.fixture(scope="module")
def briefing(chunks):
    """The UNIS article's sections in the mirror, by label."""
    out: dict[str, str] = {}
    for c in chunks:
        if c.label.startswith(UNIS_PREFIX):
            out[c.label] = f"{out.get(c.label, '')} {c.sentence()}".strip()
    return out


@pytest.fixture(scope="module")
def all_notes():
    return load_notes(Settings().provisions_dir)


@pytest.fixture(scope="module")
def notes(all_notes):
    """The notes on the official text (the others are on the UNIS article's sections)."""
    return {k: v for k, v in all_notes.items() if not k.startswith(UNIS_PREFIX)}


def test_every_provision_has_exactly_one_note(official, notes):
    texts, _ = official
    assert set(texts) - set(notes) == set(), "provisions without a note"
    assert set(notes) - set(texts) == set(), "notes for labels that do not exist"


def test_briefing_section_notes_name_real_sections_and_agree_with_them(briefing, all_notes):
    """Notes on the UNIS article: each names a section of it, attributes what it reports, and
    passes the same checks as a provision's note (numbers, length, no copying)."""
    mine = {k: v for k, v in all_notes.items() if k.startswith(UNIS_PREFIX)}
    assert mine, "no notes on the UNIS article"
    assert set(mine) <= set(briefing), "notes for sections that do not exist"
    problems = {}
    for label, note in mine.items():
        found = [
            p
            for p in summary_problems(note.summary, briefing[label], set())
            if "obligation" not in p  # reported speech, not a provision's modal force
        ]
        found += question_problems(note, briefing[label])
        if not note.summary.startswith("The UN Information Service's article"):
            found.append("does not attribute what it reports")
        if found:
            problems[label] = found
    assert problems == {}


def test_every_summary_agrees_with_its_provision(official, notes):
    texts, defined = official
    problems = {
        label: p
        for label, note in notes.items()
        if (p := summary_problems(note.summary, texts[label], defined))
    }
    assert problems == {}


def test_every_provision_has_at_least_three_questions_of_our_own(official, notes):
    texts, _ = official
    problems = {
        label: p for label, note in notes.items() if (p := question_problems(note, texts[label]))
    }
    assert problems == {}


def test_every_two_provision_question_points_to_two_real_provisions_in_our_words(official):
    """Our two-provision questions: two different labels of the official text, at least three
    questions per pair, none repeated, none copying either provision."""
    texts, _ = official
    pairs = load_pairs(Settings().pairs_path)
    assert len(pairs) >= 300
    problems, seen, per_pair = [], set(), {}
    for pair in pairs:
        (first, second), text = pair.labels, pair.text
        if first not in texts or second not in texts or first == second:
            problems.append(f"labels {first!r}, {second!r}")
            continue
        if text.lower() in seen:
            problems.append(f"repeated {text!r}")
        seen.add(text.lower())
        per_pair[frozenset((first, second))] = per_pair.get(frozenset((first, second)), 0) + 1
        if any(longest_common_run(text, texts[lab]) > MAX_COPIED_RUN for lab in (first, second)):
            problems.append(f"copies the text: {text!r}")
    problems += [f"{sorted(k)}: {n} questions" for k, n in per_pair.items() if n < 3]
    assert problems == []


TEXT = (
    "Each State Party shall ensure that the data are preserved for a period of up to 90 days, "
    "and may renew the order once."
)
TERMS = {"traffic data", "content data", "subscriber information"}


@pytest.mark.parametrize(
    ("summary", "problem"),
    [
        ("Each State Party must keep the data for up to 30 days and may renew it.", "'30'"),
        ("Each State Party must keep the data and may renew it once.", "leaves out"),
        ("Each State Party may keep the data for up to 90 days and may renew it.", None),
        ("Each State Party must not keep the data beyond 90 days and may renew it.", "prohibition"),
        ("Each State Party must keep the traffic data for up to 90 days; renewal allowed.", "adds"),
        ("Under article 42 each State must keep data up to 90 days; renewal allowed.", "article"),
        (
            "Each State Party shall ensure that the data are preserved for a period of up to 90 "
            "days.",
            "copies",
        ),
    ],
)
def test_the_summary_check_catches_each_kind_of_disagreement(summary, problem):
    found = summary_problems(summary, TEXT, TERMS)
    if problem is None:
        assert found == []
    else:
        assert any(problem in p for p in found), found


def test_longest_common_run_counts_words():
    assert longest_common_run("a b c d", "x a b c y") == 3
