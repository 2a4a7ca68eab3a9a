import pytest

from assistant.answering.followup import refers_back, resolve, rewrite


def test_standalone_question_is_not_rewritten():
    f = resolve("When does the Convention enter into force?", [("Is hacking a crime?", "x")])
    assert not f.is_followup and f.resolved == "When does the Convention enter into force?"


def test_followup_borrows_previous_question_and_its_citations():
    history = [
        (
            "Can the police force a company to hand over subscriber information?",
            "Each State Party shall ... [Art. 27(b)]",
        )
    ]
    f = resolve("And what safeguards apply to that?", history)
    assert f.is_followup
    assert "subscriber information" in f.context
    assert f.boost_labels == ["Art. 27(b)"]


def test_refers_back_ignores_this_convention():
    assert not refers_back("Does this Convention cover fraud committed online?")
    assert refers_back("What about extradition for it?")


TERMS = ("traffic data", "content data", "subscriber information", "personal data")


@pytest.mark.parametrize(
    ("question", "earlier", "expected"),
    [
        (
            "And what about content data?",
            "Can police collect traffic data in real time?",
            "Can police collect content data in real time?",
        ),
        (
            "What about for personal data?",
            "Must subscriber information be kept confidential?",
            "Must personal data be kept confidential?",
        ),
        (  # no defined term in the earlier question: the phrase with the same head word
            "What about traffic data?",
            "Can the police force a company to hand over subscriber information?",
            "Can the police force a company to hand over traffic data?",
        ),
        (
            "Can they do the same for content data?",
            "Can police collect traffic data in real time?",
            "Can police collect content data in real time?",
        ),
        (
            "Is it the same for personal data?",
            "Must subscriber information be kept confidential?",
            "Must personal data be kept confidential?",
        ),
        (
            "Does that apply to traffic data too?",
            "Must subscriber information be kept confidential?",
            "Must traffic data be kept confidential?",
        ),
        (  # loosely worded: the word that tells two terms of the same head word apart
            "What about the content of calls?",
            "Can police collect traffic data in real time?",
            "Can police collect content data in real time?",
        ),
        (
            "And for the content of emails?",
            "Must a provider preserve traffic data quickly?",
            "Must a provider preserve content data quickly?",
        ),
        (  # "subscriber information" has another head word than the earlier "traffic data"
            "What about subscriber details?",
            "Can police collect traffic data in real time?",
            "",
        ),
        ("What about the content of calls?", "Can police search a computer?", ""),  # no such term
        ("Can they refuse it?", "Can police collect traffic data?", ""),  # no new topic
        ("And can they search a computer?", "Can police collect traffic data?", ""),  # a question
        ("What about extradition?", "Can police collect traffic data?", ""),  # not a defined term
        ("What about the data?", "Can police collect the data?", ""),  # nothing to replace
    ],
)
def test_elliptical_follow_up_is_rewritten_by_its_defined_term(question, earlier, expected):
    assert rewrite(question, earlier, TERMS) == expected


def test_rewritten_follow_up_is_the_resolved_question():
    f = resolve(
        "And what about content data?",
        [("Can police collect traffic data in real time?", "… [Art. 29(1)(a)]")],
        TERMS,
    )
    assert f.is_followup and f.resolved == "Can police collect content data in real time?"
    assert resolve("And what about content data?", [("Q?", "A")]).standalone == ""
