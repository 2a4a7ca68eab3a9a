"""The independent citation judge must be driven down by answers that contradict their
citations, and a judge that only measures word overlap must fail these same tests."""

from __future__ import annotations

import pytest

from assistant.models import Answer, Citation, SourceKind
from evals.judge import CitationJudge
from evals.text import stems

# A small synthetic treaty in our own words (never the Convention's text).
TEXTS = {
    "Art. 3(b)": "Article 3 (Production orders): Each Party shall empower its competent "
    "authorities to order a service provider to submit subscriber information in its "
    "possession or control.",
    "Art. 9(1)": "Article 9 (Entry into force): This Treaty shall enter into force on the "
    "ninetieth day following deposit of the fortieth instrument of ratification.",
    "Art. 5(2)": "Article 5 (Preservation): The order shall require the person to preserve the "
    "data for a period of up to 90 days, which may be renewed.",
    "Art. 7(4)": "Article 7 (Assistance): Assistance shall not be refused on the sole ground that "
    "the request concerns fiscal matters.",
    "Art. 8(1)": "Article 8 (Cooperation): A Party may provide spontaneous information to "
    "another Party without prior request.",
}


def _answer(text: str) -> Answer:
    from assistant.labels import labels_in

    labels = list(dict.fromkeys(labels_in(text)))
    cites = [
        Citation(
            label=lab,
            source=SourceKind.CONVENTION,
            article=None,
            paragraph=None,
            quote=TEXTS.get(lab, ""),
        )
        for lab in labels
    ]
    return Answer(question="q", text=text, citations=cites, passages=[], abstained=False)


class OverlapJudge:
    """What the metric used to be: enough of the claim's words are in the cited text."""

    def answer(self, answer: Answer):
        from assistant.labels import cited_segments

        out = []
        for claim, labels in cited_segments(answer.text):
            have = set(stems(" ".join(TEXTS.get(lab, "") for lab in labels)))
            words = [w for w in stems(claim) if w not in {"yes", "no"}]
            ok = bool(labels) and (not words or sum(w in have for w in words) / len(words) >= 0.6)
            out.append(type("V", (), {"supported": ok})())
        return out


JUDGE = CitationJudge(TEXTS, last_article=12)

SUPPORTED = [
    "Each Party must empower its authorities to order a service provider to submit subscriber "
    "information [Art. 3(b)].",
    "The Treaty enters into force on the 90th day after the deposit of the 40th instrument of "
    "ratification [Art. 9(1)].",
    "A preservation order can require the data to be kept for up to ninety days, and it may be "
    "renewed [Art. 5(2)].",
    "Assistance must not be refused only because the request concerns fiscal matters [Art. 7(4)].",
    "Yes. A Party may provide spontaneous information to another Party without a request "
    "[Art. 8(1)].",
]

CONTRADICTING = [
    # negated obligations and permissions
    "Parties are never obliged to empower authorities to order a service provider to submit "
    "subscriber information [Art. 3(b)].",
    "Authorities may not order a service provider to submit subscriber information [Art. 3(b)].",
    "A Party may not provide spontaneous information to another Party without prior request "
    "[Art. 8(1)].",
    # a prohibition turned into a permission
    "Assistance may be refused on the sole ground that the request concerns fiscal matters "
    "[Art. 7(4)].",
    # changed ordinals and durations
    "The Treaty enters into force on the ninetieth day after the deposit of the thirtieth "
    "instrument of ratification [Art. 9(1)].",
    "The person must preserve the data for a period of up to 30 days [Art. 5(2)].",
    # a permission turned into an obligation
    "A Party must provide spontaneous information to another Party [Art. 8(1)].",
    # a bare reply
    "No [Art. 3(b)].",
    "Yes [Art. 9(1)].",
    # an article written in the prose that is not cited
    "Under Article 99 a Party may provide spontaneous information to another Party [Art. 8(1)].",
]


@pytest.mark.parametrize("text", SUPPORTED)
def test_faithful_claims_are_supported(text):
    verdicts = JUDGE.answer(_answer(text))
    assert verdicts and all(v.supported for v in verdicts), [v.reasons for v in verdicts]


@pytest.mark.parametrize("text", CONTRADICTING)
def test_contradicting_claims_are_unsupported(text):
    verdicts = JUDGE.answer(_answer(text))
    assert verdicts and not all(v.supported for v in verdicts)


def test_swapped_labels_are_unsupported():
    right = (
        "The Treaty enters into force on the ninetieth day after the fortieth instrument "
        "[Art. 9(1)]. Authorities may order a service provider to submit subscriber information "
        "[Art. 3(b)]."
    )
    swapped = right.replace("[Art. 9(1)]", "[X]").replace("[Art. 3(b)]", "[Art. 9(1)]")
    swapped = swapped.replace("[X]", "[Art. 3(b)]")
    assert all(v.supported for v in JUDGE.answer(_answer(right)))
    assert not any(v.supported for v in JUDGE.answer(_answer(swapped)))


def test_citing_a_provision_that_does_not_exist_is_unsupported():
    v = JUDGE.answer(_answer("Authorities may order providers to hand over data [Art. 11(3)]."))
    assert not v[0].supported and "cites no existing provision" in v[0].reasons


def test_overlap_only_judge_fails_the_contradiction_suite():
    missed = sum(all(v.supported for v in OverlapJudge().answer(_answer(t))) for t in CONTRADICTING)
    assert missed >= len(CONTRADICTING) // 2  # it would accept at least half of them
    caught = sum(not all(v.supported for v in JUDGE.answer(_answer(t))) for t in CONTRADICTING)
    assert caught == len(CONTRADICTING)
