"""Hybrid retrieval over the real index."""

from __future__ import annotations

import pytest

from assistant.analysis import analyze


def test_plain_language_question_finds_the_provision(bot):
    question = "Can the police force a company to hand over subscriber information?"
    top = bot.retrieve(question, k=5)
    hit = next(p for p in top[:2] if p.article == 27)  # Art. 41(3)(e) (24/7 network) may lead
    assert hit.label == "Art. 27(b)"
    assert hit.title == "Production order" and hit.chapter == 4
    assert bot.ask(question).citations[0].label == "Art. 27(b)"  # and the answer rests on it


def test_results_are_one_per_article_but_the_leading_ones_and_ranked(bot):
    top = bot.retrieve("How does extradition work between States Parties?", k=8)
    keys = [(p.source, p.article if p.source == "convention" else p.label) for p in top]
    lead = list(dict.fromkeys(keys))[: bot.settings.lead_articles]
    assert all(keys.count(k) <= (2 if k in lead else 1) for k in keys)
    assert 37 in [p.article for p in top]
    assert [p.score for p in top] == sorted((p.score for p in top), reverse=True)


def test_one_passage_per_article_when_no_article_leads(bot):
    from assistant.retrieval.retriever import HybridRetriever

    r = bot.retriever.search(analyze("How does extradition work between States Parties?"), k=20)
    flat = HybridRetriever._per_article(r.candidates, 0)
    keys = [(p.source, p.article if p.source == "convention" else p.label) for p in flat]
    assert len(keys) == len(set(keys))
    two = HybridRetriever._per_article(r.candidates, 2)
    assert len(two) > len(flat)  # the leading articles' second provisions join


def test_named_article_is_looked_up_directly(bot):
    assert bot.retrieve("What does Article 14 say?")[0].article == 14
    # within the named article, the provision that answers comes first
    top = bot.retrieve("Art. 53: does it say anything about security researchers?", k=1)[0]
    assert top.label == "Art. 53(3)(e)"
    p = bot.retrieve("art. 2(h)")[0]
    assert (p.article, p.paragraph, p.label) == (2, "h", "Art. 2(h)")
    assert "four years" in p.text


def test_lexical_side_finds_rare_exact_terms(bot):
    """ "ordre public" is a rare phrase the embedding model barely knows; BM25 finds it."""
    dense = [c.id for c, _ in bot.retriever.dense(bot.retriever.embed("ordre public"), 10)]
    lexical = [c.id for c, _ in bot.lexical.search("ordre public", 10)]
    assert lexical and lexical[0].startswith("convention:art40:21")
    fused = [p.label for p in bot.retrieve("refusal on grounds of ordre public", k=5)]
    assert any(lab.startswith("Art. 40(21)") for lab in fused), (dense, fused)


def test_a_question_about_oversight_lifts_the_provisions_stating_safeguards(bot):
    """Without the lift, the definition of "confiscation" (an order "of a court") leads and the
    answer cites it; Art. 24 is what speaks to review by a judge."""
    question = "Does a judge have to approve a production order?"
    assert bot.retrieve(question, k=1)[0].label.startswith("Art. 24(")
    assert bot.ask(question).citations[0].label.startswith("Art. 24(")


def test_definition_attached_for_defined_terms(bot):
    top = bot.retrieve("What counts as traffic data?", k=5)
    assert top[0].label == "Art. 2(c)"
    r = bot.retriever.search(analyze("Can traffic data be collected in real time?"))
    assert "Art. 2(c)" in [p.label for p in r.definitions]


def test_followup_history_steers_retrieval(bot):
    history = [
        (
            "Can the police force a company to hand over subscriber information?",
            "Each State Party shall ... [Art. 27(b)]",
        )
    ]
    labels = [
        p.article for p in bot.retrieve("And what safeguards apply to that?", k=5, history=history)
    ]
    assert 24 in labels


def test_question_index_points_to_provisions(bot):
    """Our plain-language questions are matched question-to-question and stand for their
    provision in the fusion."""
    import copy

    q = analyze("Is knocking a server offline with a flood of junk traffic a crime?")
    r = bot.retriever.search(q)
    assert r.top_question > 0.3
    assert any(p.article == 10 and p.matched_question for p in r.candidates[:3])
    blind = copy.copy(bot.retriever)
    blind.weights = bot.retriever.weights.model_copy(
        update={"questions_dense": 0.0, "questions_lexical": 0.0}
    )
    with_index = [p.article for p in r.candidates]
    without = [p.article for p in blind.search(q).candidates]
    assert with_index[0] == 10
    assert with_index.index(10) <= without.index(10), (with_index[:5], without[:5])
    # the index's votes raise the provision's fused score
    score = next(p.score for p in r.candidates if p.article == 10)
    assert score > next(p.score for p in blind.search(q).candidates if p.article == 10)


def test_asked_time_limit_lifts_provisions_that_state_one(bot):
    import copy

    q = analyze("How long can data be preserved at another country's request?")
    flat = copy.copy(bot.retriever)
    flat.weights = bot.retriever.weights.model_copy(update={"asked_kind": 0.0})

    def score(retriever, label):
        return next(p.score for p in retriever.search(q).candidates if p.label == label)

    lifted = bot.retriever.search(q).candidates
    assert "Art. 42(8)" in [p.label for p in lifted[:3]]
    assert score(bot.retriever, "Art. 42(8)") > score(flat, "Art. 42(8)")  # states 60 days
    no_number = next(p.label for p in lifted if p.article == 42 and "day" not in p.text)
    assert score(bot.retriever, no_number) == score(flat, no_number)


def test_question_support_is_the_mean_of_the_three_closest_questions(bot):
    """Besides the closest of our questions on a provision, the mean similarity of its three
    closest: several of our questions agreeing weigh more than one lucky match."""
    q = analyze("Is knocking a server offline with a flood of junk traffic a crime?")
    r = bot.retriever.search(q)
    vector = bot.retriever.embed(q.searched)
    hits = bot.retriever.questions.dense(vector, 3 * bot.retriever.n)
    matched = [p for p in r.candidates if p.matched_question]
    assert matched
    for p in matched[:5]:
        sims = sorted((s for x, s in hits if x.label == p.label), reverse=True)
        assert p.question_similarity == pytest.approx(sims[0])
        assert p.question_support == pytest.approx(sum(sims[:3]) / len(sims[:3]))
        assert p.question_support <= p.question_similarity
    assert any(p.question_support < p.question_similarity for p in matched)
    unmatched = [p for p in r.candidates if not p.matched_question]
    assert all(p.question_support == 0.0 for p in unmatched)


def test_a_question_made_of_an_articles_title_names_that_article(bot):
    """ "Which article deals with denunciation?": the title of Article 67 is most of the
    question, so its opening provisions are ranked and the calibrated gate does not apply
    (with session 14's embedding model the gate declined it without the title: its
    plain-language questions never say "denunciation")."""
    question = "Which article deals with denunciation?"
    bot.ensure_ready()
    r = bot.retriever.search(analyze(question), k=5)
    assert r.titled == [67] and r.title_share >= 0.5
    assert r.passages[0].article == 67
    assert bot.policy.after_retrieval(r.analysis, r, followup=False) is None
    answer = bot.ask(question)
    assert not answer.abstained and answer.citations[0].label.startswith("Art. 67(")


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("Which article deals with reservations?", True),
        ("Where does the treaty talk about the protection of witnesses?", True),
        ("Which article deals with deepfakes?", False),  # no provision says it
        ("Which article covers the Security Council?", False),  # the words, but apart
        ("How long can data be preserved?", False),  # not asked where
    ],
)
def test_a_where_question_finds_the_provisions_that_name_its_topic(bot, question, found):
    bot.ensure_ready()
    r = bot.retriever.search(analyze(question), k=5)
    assert bool(r.located) == found
    assert len({p.unit_key for p in r.located}) == len(r.located)  # one per article


def test_a_title_word_in_a_longer_question_does_not_name_the_article(bot):
    r = bot.retriever.search(
        analyze("If a hacker flees abroad, how do extradition and evidence requests combine?"),
        k=5,
    )
    assert 37 in r.titled and r.title_share < 0.5  # not ranked by title: the fusion decides
