"""What a provision's text states that a question asks for: one home, read by retrieval's lift,
the selector's features and the quoted sentences."""

from __future__ import annotations

import pytest

from assistant.analysis import Intent, analyze
from assistant.language.asked_kinds import (
    asked_kinds,
    states_asked,
    states_asked_quantity,
    states_kind,
)


@pytest.mark.parametrize(
    ("text", "unit", "states"),
    [
        ("shall preserve the data for a period of not less than 60 days", "day", True),
        ("shall preserve the data for a period of not less than 60 days", "year", False),
        ("within one year of the request", "year", True),
        ("on the ninetieth day after the deposit", "date", True),
        ("by a majority of two thirds of the States Parties present", "count", True),
        ("the requested State Party shall inform the requesting State Party", None, False),
        ("within 45 days", None, True),  # no unit asked: any quantity answers
    ],
)
def test_a_provision_states_the_asked_quantity_of_the_asked_unit(text, unit, states):
    assert states_asked_quantity(text, unit) is states


@pytest.mark.parametrize(
    ("text", "kind", "states"),
    [
        ("Mutual legal assistance may be refused if the request is not made", Intent.REFUSAL, True),
        ("The requested State Party may postpone the execution", Intent.REFUSAL, True),
        ("shall not be obliged to provide the assistance", Intent.REFUSAL, True),
        ("shall afford one another the widest measure of assistance", Intent.REFUSAL, False),
        (
            "subject to conditions and safeguards that provide for human rights",
            Intent.SAFEGUARD,
            True,
        ),
        ("judicial or other independent review", Intent.SAFEGUARD, True),
        ("shall adopt such legislative measures as may be necessary", Intent.SAFEGUARD, False),
        ("may be refused", Intent.QUANTITY, False),  # a quantity is read by its own function
    ],
)
def test_a_provision_states_a_refusal_ground_or_a_safeguard(text, kind, states):
    assert states_kind(text, kind) is states


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("Can the requested country say no to a request for evidence?", [Intent.REFUSAL]),
        ("What stops the police from abusing these surveillance powers?", [Intent.SAFEGUARD]),
        ("How long must the data be kept?", []),
        ("Does the Convention define traffic data?", []),
    ],
)
def test_the_kinds_asked_come_from_the_question_analysis(question, kinds):
    assert asked_kinds(analyze(question)) == kinds


@pytest.mark.parametrize(
    ("question", "text", "kind", "states"),
    [
        (
            "How many days must the data be kept?",
            "for not less than 60 days",
            Intent.QUANTITY,
            True,
        ),
        ("How many years can it be renewed?", "for not less than 60 days", Intent.QUANTITY, False),
        ("Does the Convention define traffic data?", "within 60 days", Intent.QUANTITY, False),
        ("Can a country say no to the request?", "may be refused", Intent.REFUSAL, True),
        (
            "Can a country say no to the request?",
            "subject to human rights",
            Intent.SAFEGUARD,
            False,
        ),
    ],
)
def test_a_text_states_the_kind_only_when_the_question_asks_for_it(question, text, kind, states):
    assert states_asked(text, analyze(question), kind) is states
