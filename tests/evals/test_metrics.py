"""Answer metrics of evals/metrics.py not covered by the judgement tests."""

from __future__ import annotations

from evals.metrics import aggregate
from tests.evals.test_judgments import _answer, _score


def test_an_answer_opening_with_another_provision_does_not_lead_with_gold():
    leads = aggregate([_score(_answer("Art. 27(b)", "Art. 2(e)"), None)])
    follows = aggregate([_score(_answer("Art. 2(e)", "Art. 27(b)"), None)])
    assert leads["leads_with_gold"] == 1.0 and follows["leads_with_gold"] == 0.0
    assert leads["cites_gold"] == follows["cites_gold"] == 1.0
