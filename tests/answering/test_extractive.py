"""The extractive answerer's quotes: a long provision is cut to the sentences that answer, read
from the question analysis (what kind of thing is asked), not from the question's words alone."""

from __future__ import annotations

import pytest

from assistant.analysis import analyze
from assistant.models import Passage, SourceKind

SENTENCES = [
    "The requested State Party shall execute each request for cooperation from another State "
    "Party promptly and shall keep the requesting State Party informed.",
    "The requested State Party shall keep records of every request it receives and of the "
    "steps it takes in executing the request.",
    "Assistance may be declined where executing it would prejudice an ongoing investigation.",
    "Such records shall be kept for a period of not less than 90 days after the execution.",
    "Each State Party shall ensure that these measures respect human rights and are subject "
    "to judicial or other independent review.",
]


@pytest.fixture(scope="module")
def answerer(bot):
    """The real answerer over the real index (its lexical analyser, notes, selector)."""
    return bot.ensure_ready().extractive


def _long_provision() -> Passage:
    return Passage(
        id="synthetic",
        text=" ".join(SENTENCES),
        label="Art. 99(1)",
        source=SourceKind.CONVENTION,
        document="Synthetic treaty",
        article=99,
        paragraph="1",
        title="Synthetic cooperation",
        chapter=5,
        chapter_title="International cooperation",
        score=1.0,
    )


@pytest.mark.parametrize(
    ("question", "kept"),
    [
        # "turn down" names no refusal word, but the analysis reads a refusal question
        ("Can a state turn down a request for cooperation?", 2),
        # "for what period": no "how long" in its words, a quantity asked in the analysis
        ("For what period must the requested state keep records of requests?", 3),
        ("What protects people from abuse of these powers?", 4),
    ],
)
def test_a_long_quote_keeps_the_sentence_stating_what_is_asked(answerer, question, kept):
    p = _long_provision()
    quote = answerer.quote(p, question, analyze(question))
    assert len(quote) < len(p.text)  # cut to its answering sentences
    assert SENTENCES[kept] in quote, quote


def test_without_an_asked_kind_the_quote_follows_the_questions_words(answerer):
    question = "Does the requested state have to keep records of the requests it receives?"
    quote = answerer.quote(_long_provision(), question, analyze(question))
    assert SENTENCES[1] in quote
    assert SENTENCES[4] not in quote
