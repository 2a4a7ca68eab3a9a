"""The learned provision selector: its probabilities, its loading, its fitting (on planted
data) and its use by the extractive answerer (real index, real model)."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.answering.selector import FEATURES, SEVERAL_FEATURES, Selector, SeveralModel
from evals.selector import fit_listwise


def test_probabilities_are_a_softmax_over_the_pool():
    sel = Selector(weights=tuple([1.0] + [0.0] * (len(FEATURES) - 1)), threshold=0.3)
    rows = [[3.0] + [0.0] * (len(FEATURES) - 1), [1.0] + [0.0] * (len(FEATURES) - 1)]
    p = sel.probabilities(rows)
    assert abs(sum(p) - 1.0) < 1e-9 and p[0] > p[1]
    assert p[0] == pytest.approx(np.exp(3) / (np.exp(3) + np.exp(1)))
    # shifting every candidate's features alike changes nothing
    shifted = [[r[0] + 5.0] + r[1:] for r in rows]
    assert sel.probabilities(shifted) == pytest.approx(p)


def test_unknown_model_family_has_no_selector():
    assert Selector.load("no-such-model") is None
    assert Selector.load("convention-minilm") is not None  # fitted for the default model


def test_listwise_fit_learns_the_planted_feature():
    """Gold candidates are marked by feature 1; feature 0 is noise. The fit must weigh
    feature 1 and pick the gold candidate first on new pools."""
    rng = np.random.default_rng(0)

    def pool():
        x = rng.normal(size=(8, 2))
        gold = rng.integers(8)
        x[gold, 1] += 2.5
        y = np.zeros(8)
        y[gold] = 1
        return ("item", x, y, np.zeros(8))

    w = fit_listwise([pool() for _ in range(200)])
    assert w[1] > 1.0 and abs(w[0]) < 0.5
    test = [pool() for _ in range(100)]
    hits = sum(y[int(np.argmax(x @ w))] for _, x, y, _ in test)
    assert hits >= 80


def test_answer_cites_the_selectors_first_choice(bot):
    ex = bot.ensure_ready().extractive
    assert ex.selector is not None
    s = bot.pipeline.until_gate(
        "Can the police force a company to hand over subscriber information?"
    )
    r = s.retrieval
    pool = ex.pool(r)
    probs = ex.selector.probabilities(ex.features(pool, r, ex.coverage.wanted(r.query)))
    best = pool[int(np.argmax(probs))]
    assert best.label == "Art. 27(b)"
    assert ex.choose(r.query, r)[0].label == best.label


def test_several_model_is_loaded_with_the_selector():
    sel = Selector.load("convention-minilm")
    assert sel.several is not None
    assert len(sel.several.weights) == len(SEVERAL_FEATURES)
    assert 0.0 < sel.several.threshold < 1.0


def test_several_model_probability_is_logistic():
    m = SeveralModel(
        weights=(1.0,) + (0.0,) * (len(SEVERAL_FEATURES) - 1), bias=-1.0, threshold=0.5
    )
    row = [0.0] * len(SEVERAL_FEATURES)
    assert m.probability(row) == pytest.approx(1 / (1 + np.exp(1.0)))
    assert not m.asks_several(row)
    assert m.asks_several([2.0] + row[1:])  # z = 1: p = 0.73


@pytest.mark.parametrize(
    ("question", "several"),
    [
        ("How long must a provider preserve data at our request?", False),
        (
            "How long can data be preserved at home, and how long when another country asks?",
            True,
        ),
    ],
)
def test_the_answerer_reads_whether_several_provisions_are_asked(bot, question, several):
    ex = bot.ensure_ready().extractive
    r = bot.pipeline.until_gate(question).retrieval
    pool = ex.pool(r)
    probs = ex.selector.probabilities(ex.features(pool, r, ex.coverage.wanted(r.query)))
    row = ex.several_features(pool, probs, r)
    assert len(row) == len(SEVERAL_FEATURES)
    assert ex.selector.several.asks_several(row) is several
    units = {p.unit_key for p in ex.choose(question, r)}
    assert (len(units) > 1) is several


def test_model_files_keep_nested_models(tmp_path):
    from evals.model_file import read_models, write_models

    path = tmp_path / "m.toml"
    model = {
        "threshold": 0.5,
        "weights": {"a": 1.5},
        "several": {"threshold": 0.25, "bias": -2.0, "weights": {"first": -1.0}},
    }
    write_models(path, ["header"], {"fam": model})
    assert read_models(path) == {"fam": model}


def test_a_part_is_judged_alone_when_the_whole_question_ranks_it_low(bot):
    """A part's best provision is cited when the selector, run on that part alone, is confident
    enough: here the whole-question gate is shut (part_min above 1), so only the part-alone
    judgement can bring the parts' provisions in."""
    from dataclasses import replace

    ex = bot.ensure_ready().extractive
    q = "Who can sign the convention? And how many ratifications bring it into force?"
    r = bot.pipeline.until_gate(q).retrieval
    assert len(r.parts) == 2
    picks = [
        ex._best_of_part(text, part, r)
        for text, part in zip(r.analysis.parts, r.parts, strict=True)
    ]
    assert all(p is not None and 0.0 < pr <= 1.0 for p, pr in picks)
    style = ex.style
    try:
        ex.style = replace(style, part_min=1.1, part_own_min=0.0)
        cited = {p.unit_key for p in ex.choose(q, r)}
        assert all(p.unit_key in cited for p, _ in picks)
        ex.style = replace(style, part_min=1.1, part_own_min=1.1)
        shut = {p.unit_key for p in ex.choose(q, r)}
        assert len(shut) < len(cited)
    finally:
        ex.style = style


def test_questions_close_to_our_two_provision_questions_cite_both_provisions(bot):
    """Asked as written, our two-provision questions get both of their provisions cited far
    more often when the answerer reads them (the default) than when it ignores them (pair_min
    above 1); and ignoring them changes no answer to a question that does not ask for several
    provisions."""
    from dataclasses import replace

    from assistant.documents.provision_notes import load_pairs

    ex = bot.ensure_ready().extractive
    sample = load_pairs(bot.settings.pairs_path)
    gated = [(p.labels, p.text, bot.pipeline.until_gate(p.text).retrieval) for p in sample]
    retrievals = [(pair, q, r) for pair, q, r in gated if r is not None]  # not declined early
    assert len(retrievals) >= 0.95 * len(sample)
    style = ex.style

    def answers(s):
        ex.style = s
        return [{p.label for p in ex.choose(q, r)} for _, q, r in retrievals]

    try:
        on, off = answers(style), answers(replace(style, pair_min=1.1))
    finally:
        ex.style = style

    def both(cited):
        return sum(x in c and y in c for ((x, y), _, _), c in zip(retrievals, cited, strict=True))

    assert both(on) >= both(off) + 15, (both(on), both(off))  # 137 vs 109 when written
    for (_, q, r), a, b in zip(retrievals, on, off, strict=True):
        if a != b:
            pool = ex.pool(r)
            probs = ex.selector.probabilities(ex.features(pool, r, ex.coverage.wanted(r.query)))
            assert ex.selector.several.asks_several(ex.several_features(pool, probs, r)), q


def test_a_pair_match_gives_the_other_provision():
    from assistant.models import SourceKind
    from assistant.retrieval.retriever import PairMatch

    def passage(label):
        from assistant.models import Passage

        return Passage(label, "t", label, SourceKind.CONVENTION, "", None, None, "", None, "", 0.0)

    m = PairMatch(0.9, "q", (passage("Art. 25(1)"), passage("Art. 42(1)")))
    assert m.partner("Art. 25(1)").label == "Art. 42(1)"
    assert m.partner("Art. 42(1)").label == "Art. 25(1)"
    assert m.partner("Art. 27(b)") is None
