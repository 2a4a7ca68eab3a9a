"""The claim checks of the LLM answer verifier on their own (assistant/answering/verify.py), on
passages written in our own words in the shape of the Convention's provisions (never its text)
and a scorer that finds every sentence supported, so that only the claim checks decide."""

from __future__ import annotations

from assistant.answering.verify import ARTICLE, BARE, MODALITY, NEGATION, NUMBER, verify
from assistant.models import Passage, SourceKind


def passage(label: str, article: int, text: str, chapeau: str = "") -> Passage:
    return Passage(
        id=label,
        text=text,
        label=label,
        source=SourceKind.CONVENTION,
        document="Convention",
        article=article,
        paragraph=None,
        title="",
        chapter=None,
        chapter_title="",
        score=1.0,
        chapeau=chapeau,
    )


FORCE = passage(
    "Art. 65(1)",
    65,
    "The Convention shall take effect on the ninetieth day after the day the fortieth "
    "instrument of ratification or accession is lodged.",
)
ORDER = passage(
    "Art. 27(b)",
    27,
    "(b) A service provider active in the State Party's territory to submit subscriber "
    "information about those services that it holds.",
    chapeau="Every State Party shall give its competent authorities the power to order:",
)
REFUSE = passage(
    "Art. 40(21)",
    40,
    "Nothing in this article shall oblige a requested State Party to extradite anyone it "
    "believes, on substantial grounds, is sought in order to be punished for their political "
    "opinions, religion, sex or ethnic origin, in line with article 24.",
)
MAYBE = passage("Art. 12(2)", 12, "A State Party may require intent as a condition of the offence.")
PRESERVE = passage(
    "Art. 42(4)",
    42,
    "The requested State Party shall take every appropriate step to preserve the specified data "
    "quickly. Dual criminality shall not be a condition for such preservation.",
)
PASSAGES = [FORCE, ORDER, REFUSE, MAYBE, PRESERVE]
ARTICLES = range(1, 69)


def always(claim, passages) -> float:
    return 1.0


def check(text: str):
    return verify(text, PASSAGES, always, articles=ARTICLES)


def problems(text: str) -> list[tuple[str, str]]:
    return [(s.problem, s.detail) for s in check(text).contradicted]


def test_faithful_paraphrases_pass():
    v = check(
        "The Convention enters into force 90 days after the 40th instrument is deposited "
        "[Art. 65(1)]. Each State Party must empower its authorities to order a provider to "
        "submit subscriber information [Art. 27(b)]. A State is not obliged to extradite a "
        "person it believes is being prosecuted on account of their religion [Art. 40(21)]. "
        "That follows article 24 [Art. 40(21)]."
    )
    assert not v.dropped and len(v.kept) == 4


def test_numbers_must_have_the_same_meaning():
    assert problems("It enters into force after the thirtieth instrument [Art. 65(1)].") == [
        (NUMBER, "thirtieth")
    ]
    # both values occur in the provision, but not as written: swapped
    assert problems(
        "It enters into force on the fortieth day after the ninetieth instrument [Art. 65(1)]."
    ) == [(NUMBER, "fortieth, ninetieth")]
    assert problems("It enters into force 90 months after deposit [Art. 65(1)].")[0][0] == NUMBER


def test_polarity_of_obligations_must_agree():
    assert problems(
        "Each State Party shall not empower its authorities to order providers [Art. 27(b)]."
    ) == [(MODALITY, "prohibition")]
    assert (
        problems("States are never obliged to order it and may not order it [Art. 27(b)].")[0][0]
        == MODALITY
    )
    # an obligation where the provision imposes none
    assert problems(
        "A State Party must require that it be committed with intent [Art. 12(2)]."
    ) == [(MODALITY, "obligation")]
    assert not problems("A State Party can require that it be committed with intent [Art. 12(2)].")
    # a negation added to a provision that negates something else
    assert problems(
        "The requested State Party shall not take measures to preserve the data [Art. 42(4)]."
    ) == [(NEGATION, "shall not take")]
    assert not problems("Dual criminality shall not be required for preservation [Art. 42(4)].")
    # a plain negation the cited text does not have
    assert problems("Providers do not submit subscriber information [Art. 27(b)].") == [
        (NEGATION, "not")
    ]


def test_article_numbers_in_the_prose_must_be_real_and_supplied():
    assert problems("Under Article 99, providers submit subscriber information [Art. 27(b)].") == [
        (ARTICLE, "Article 99 (no such article)")
    ]
    assert problems("Under Article 30, providers submit subscriber information [Art. 27(b)].") == [
        (ARTICLE, "Article 30")
    ]
    # named by a supplied passage, or a supplied passage itself: fine
    assert not problems("As article 24 says, religion is a ground [Art. 40(21)].")
    assert not problems("Article 27 lets authorities order subscriber information [Art. 27(b)].")


def test_a_bare_yes_or_no_needs_a_supported_reason():
    v = check("No [Art. 27(b)].")
    assert not v.kept and [s.problem for s in v.contradicted] == [BARE]
    # "No." before a reason that says yes is dropped, the reason stays
    v = check("No. Authorities can order a provider to submit subscriber information [Art. 27(b)].")
    assert [s.text for s in v.kept] == [
        "Authorities can order a provider to submit subscriber information [Art. 27(b)]."
    ]
    assert [s.problem for s in v.contradicted] == [BARE]
    # before a reason that says no, "No." is kept and shown first
    v = check("No. A State is not obliged to extradite on account of religion [Art. 40(21)].")
    assert v.text.startswith("No. A State is not obliged") and not v.dropped
    # "Yes." before a supported reason is kept; before an unsupported one it goes with it
    assert check("Yes. Providers submit subscriber information [Art. 27(b)].").text.startswith(
        "Yes. "
    )
    v = check("Yes. Providers never submit subscriber information [Art. 27(b)].")
    assert not v.kept and {s.problem for s in v.contradicted} == {BARE, MODALITY}
