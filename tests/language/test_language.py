"""Quantities, modal force and the sentence splitter."""

from __future__ import annotations

import pytest

from assistant.language.modality import Modality, modalities, unsupported_modalities
from assistant.language.quantities import (
    conflicting_quantities,
    quantities,
    unsupported_quantities,
)
from assistant.language.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "keys"),
    [
        (
            "the ninetieth day after the fortieth instrument",
            [("duration", 90, "day"), ("value", 40)],
        ),
        (
            "up to 90 days, renewable for one year",
            [("duration", 90, "day"), ("duration", 1, "year")],
        ),
        ("a two-thirds majority", [("value", 0.6667)]),
        ("sixty States Parties", [("value", 60)]),
        ("the 40th instrument", [("value", 40)]),
        ("article 40, paragraph 21 (b) of resolution 74/247 and the 24/7 network", []),
        ("one of its nationals; one another", []),
        ("Article 25(2) and art. 40 (21)(3) set 90 days", [("duration", 90, "day")]),
    ],
)
def test_quantities_compare_by_value(text, keys):
    assert [q.value_key for q in quantities(text)] == keys


def test_unsupported_quantities():
    source = "on the ninetieth day after the fortieth instrument is deposited"
    assert [q.text for q in unsupported_quantities("after the thirtieth instrument", source)] == [
        "thirtieth"
    ]
    assert unsupported_quantities("90 days after the 40th instrument", source) == []
    assert unsupported_quantities("signature in 2025", "open for signature in Hanoi in 2025") == []
    # a source's quantities read once give the same answer as its text
    read = quantities(source)
    assert [q.text for q in unsupported_quantities("after the thirtieth instrument", read)] == [
        "thirtieth"
    ]
    assert unsupported_quantities("90 days after the 40th instrument", read) == []


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("Each State Party shall adopt measures", {Modality.OBLIGATION}),
        ("Each country must act", {Modality.OBLIGATION}),
        ("A State Party may refuse", {Modality.PERMISSION}),
        ("shall not refuse on that ground", {Modality.PROHIBITION}),
        ("Police cannot do this", {Modality.PROHIBITION}),
        ("States Parties shall not be required to", {Modality.NO_OBLIGATION}),
        ("A country does not have to extradite", {Modality.NO_OBLIGATION}),
        ("Nothing in this Convention shall be construed as requiring", {Modality.NO_OBLIGATION}),
    ],
)
def test_modal_force(text, kinds):
    assert modalities(text) == kinds


def test_a_paraphrase_may_not_change_the_force():
    source = "A State Party may require that the offence involve dishonest intent."
    assert unsupported_modalities("A State Party may require dishonest intent.", source) == set()
    assert unsupported_modalities("A State Party must require dishonest intent.", source) == {
        Modality.OBLIGATION
    }
    assert Modality.PROHIBITION in unsupported_modalities("States may not require it.", source)


def test_sentences_keep_labels_and_items():
    answer = "Yes. States must act [Art. 27(b)]. Next. [Art. 5(1)]\n- a bullet [Art. 2(a)]"
    assert split_sentences(answer) == [
        "Yes.",
        "States must act [Art. 27(b)].",
        "Next. [Art. 5(1)]",
        "a bullet [Art. 2(a)]",
    ]
    legal = "Each Party shall: (i) Collect; or (ii) Record; the data. Another sentence here too."
    assert split_sentences(legal, min_chars=20, legal=True) == [
        "Each Party shall: (i) Collect; or (ii) Record; the data.",
        "Another sentence here too.",
    ]


@pytest.mark.parametrize(
    "claim, source, expected",
    [
        # a duration of the same unit, another value
        (
            "within two years of entry into force?",
            "not later than one year following",
            [("two", "one")],
        ),
        # the same thing counted
        ("once at least 30 States have joined", "at least 60 States Parties", [("30", "60")]),
        (
            "after the 30th instrument",
            "after the fortieth instrument of ratification",
            [("30th", "fortieth")],
        ),
        # the same comparison, whatever the kind
        ("persons under 16, right?", "any person under 18 years of age", [("16", "18")]),
        # stated: no conflict, also across kinds ("18" is stated by "18 years")
        ("persons under 18, correct?", "any person under 18 years of age", []),
        ("kept for 90 days", "up to a maximum of 90 days", []),
        # another unit, or nothing alike to compare: no conflict read
        ("within 3 months?", "within 45 days", []),
        ("Do three States need to agree?", "two or more States Parties", []),
        ("adopted in 2025?", "adopted on 24 December 2024", []),
    ],
)
def test_conflicting_quantities(claim, source, expected):
    found = conflicting_quantities(claim, source)
    assert [(a.text, b.text) for a, b in found] == expected
