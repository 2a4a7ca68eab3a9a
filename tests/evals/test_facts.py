"""Key facts: stated in a cited claim whose provision contains them; the metric falls for an
answer that quotes the right article but not the asked fact, and for padding."""

from __future__ import annotations

from assistant.models import Answer, Citation, Passage, SourceKind
from evals.dataset import EvalItem, FactKind, ItemType, KeyFact
from evals.facts import fact_supported, states
from evals.metrics import score_item
from evals.stats import bootstrap

NINETY = KeyFact("ninetieth day", FactKind.ORDINAL, "Art. 9(1)")
FORTIETH = KeyFact("fortieth", FactKind.ORDINAL, "Art. 9(1)")
TERM = KeyFact("subscriber information", FactKind.DEFINED_TERM, "Art. 3(b)")
PHRASE = KeyFact("dual criminality", FactKind.PHRASE, "Art. 7(2)", accept=("double criminality",))

QUOTES = {
    "Art. 9(1)": "This Treaty shall enter into force on the ninetieth day following "
    "deposit of the fortieth instrument.",
    "Art. 9(2)": "For each State ratifying later, it enters into force on the thirtieth day after "
    "its deposit.",
    "Art. 3(b)": "order a service provider to submit subscriber information",
    "Art. 7(2)": "Assistance may be refused in the absence of dual criminality.",
}


def _answer(text: str, labels: list[str]) -> Answer:
    cites = [Citation(lab, SourceKind.CONVENTION, None, None, QUOTES[lab]) for lab in labels]
    return Answer("q", text, cites, [], abstained=False)


def test_numbers_match_by_value_however_written():
    assert states(NINETY, "It applies from the 90th day after that.")
    assert states(NINETY, "ninety days after the deposit")
    assert states(FORTIETH, "once 40 instruments are deposited")
    assert not states(FORTIETH, "once thirty instruments are deposited")


def test_fact_must_be_stated_and_cited_to_a_provision_holding_it():
    good = _answer(
        "It enters into force on the 90th day after the 40th instrument [Art. 9(1)].", ["Art. 9(1)"]
    )
    assert fact_supported(NINETY, good) and fact_supported(FORTIETH, good)
    # stated, but cited to a provision that does not contain it
    wrong_cite = _answer("It enters into force on the 90th day [Art. 9(2)].", ["Art. 9(2)"])
    assert not fact_supported(NINETY, wrong_cite)
    # the right provision cited, but the asked fact never stated
    silent = _answer("The Treaty has rules on entry into force [Art. 9(1)].", ["Art. 9(1)"])
    assert not fact_supported(NINETY, silent)


def test_phrase_facts_accept_listed_equivalents():
    a = _answer("A State may refuse when double criminality is absent [Art. 7(2)].", ["Art. 7(2)"])
    assert fact_supported(PHRASE, a)
    assert not fact_supported(PHRASE, _answer("A State may refuse [Art. 7(2)].", ["Art. 7(2)"]))


def _item() -> EvalItem:
    return EvalItem(
        id="x",
        type=ItemType.NUMERIC,
        question="When does it enter into force?",
        gold_labels=["Art. 9(1)"],
        key_facts=[NINETY, FORTIETH],
    )


def _passage(label: str) -> Passage:
    return Passage(
        label,
        QUOTES[label],
        label,
        SourceKind.CONVENTION,
        "C",
        9,
        label[7:-1],
        "T",
        9,
        "Final",
        1.0,
    )


def _score(answer: Answer):
    return score_item(
        _item(),
        answer,
        [_passage("Art. 9(1)")],
        known_labels=set(QUOTES),
        last_article=12,
        judge=None,
        chapter_of={9: 9},
        latency=0.0,
    )


def test_an_extractive_answer_quoting_the_wrong_paragraph_scores_low():
    right = _score(_answer(f"“{QUOTES['Art. 9(1)']}” [Art. 9(1)]", ["Art. 9(1)"]))
    assert right.key_facts == 1.0 and right.padded == 0 and right.cites_gold_paragraph == 1.0
    wrong = _score(_answer(f"“{QUOTES['Art. 9(2)']}” [Art. 9(2)]", ["Art. 9(2)"]))
    assert wrong.key_facts == 0.0  # a quote, supported by construction, yet it does not answer
    assert wrong.cites_gold == 1.0 and wrong.cites_gold_paragraph == 0.0
    assert wrong.padded == 1  # cited, not gold, holds no key fact


def test_bootstrap_interval_brackets_the_mean_and_narrows_with_items():
    lo, hi = bootstrap([1.0] * 80 + [0.0] * 20)
    assert lo < 0.8 < hi and hi - lo < 0.2
    lo2, hi2 = bootstrap([1.0] * 800 + [0.0] * 200)
    assert hi2 - lo2 < hi - lo
