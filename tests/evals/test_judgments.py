"""Relevance judgements and the padding they measure (evals/judgments.py)."""

from __future__ import annotations

import json

import pytest

from assistant.models import Answer, Citation, SourceKind
from evals.dataset import EvalItem, ItemType
from evals.judgments import Judgments, Verdict, key_of, merge
from evals.metrics import aggregate, score_item

QUESTION = "Can police make a provider hand over subscriber data?"


def _answer(*labels: str) -> Answer:
    citations = [
        Citation(
            label=x,
            source=SourceKind.CONVENTION,
            article=int(x[5:].split("(")[0]),
            paragraph=None,
            quote="",
        )
        for x in labels
    ]
    return Answer(question=QUESTION, text="", citations=citations, passages=[], abstained=False)


def _score(answer: Answer, judgments: Judgments | None):
    item = EvalItem(id="x", type=ItemType.PARAPHRASE, question=QUESTION, gold_labels=["Art. 27(b)"])
    return score_item(
        item,
        answer,
        [],
        known_labels=set(),
        last_article=68,
        judge=None,
        chapter_of={},
        latency=0.0,
        judgments=judgments,
    )


def test_a_citation_judged_to_answer_another_question_is_padding():
    judged = Judgments(
        {
            key_of(QUESTION, [], "Art. 29(1)(b)"): Verdict.DIFFERENT,
            key_of(QUESTION, [], "Art. 2(e)"): Verdict.CONTEXT,
        }
    )
    good = aggregate([_score(_answer("Art. 27(b)", "Art. 2(e)"), judged)])
    bad = aggregate([_score(_answer("Art. 27(b)", "Art. 29(1)(b)"), judged)])
    assert good["judged_padding"] == 0.0
    assert bad["judged_padding"] == 0.5
    assert good["unjudged_citations"] == bad["unjudged_citations"] == 0


def test_a_citation_nobody_judged_counts_as_padding_and_is_counted():
    result = aggregate([_score(_answer("Art. 27(b)", "Art. 30(1)(a)"), Judgments({}))])
    assert result["judged_padding"] == 0.5
    assert result["unjudged_citations"] == 1


def test_gold_citations_are_never_padding_and_no_judgements_no_figure():
    judged = Judgments({key_of(QUESTION, [], "Art. 27(b)"): Verdict.DIFFERENT})
    assert aggregate([_score(_answer("Art. 27(b)"), judged)])["judged_padding"] == 0.0
    assert aggregate([_score(_answer("Art. 27(b)"), None)])["judged_padding"] is None


def test_keys_ignore_spacing_but_not_the_earlier_turns():
    judged = Judgments({key_of(QUESTION, ["Earlier?"], "Art. 2(e)"): Verdict.ANSWERS})
    assert judged.get(
        "  Can police make a provider\nhand over subscriber data? ", ["Earlier?"], "Art. 2(e)"
    )
    assert judged.get(QUESTION, [], "Art. 2(e)") is None


def test_merge_stores_verdicts_without_the_provision_text(tmp_path, monkeypatch):
    import evals.judgments as j

    monkeypatch.setattr(j, "STORE", tmp_path / "store")
    batch = tmp_path / "batch"
    batch.mkdir()
    record = {
        "rid": "r0000",
        "earlier_questions": [],
        "question": QUESTION,
        "cited": "Art. 2(e)",
        "provision_text": "OFFICIAL TEXT",
    }
    (batch / "records.jsonl").write_text(json.dumps(record) + "\n")
    (batch / "verdicts.jsonl").write_text("")
    with pytest.raises(SystemExit, match="no verdict"):
        merge(batch, "batch:Z")
    (batch / "verdicts.jsonl").write_text(json.dumps({"rid": "r0000", "verdict": "maybe"}) + "\n")
    with pytest.raises(ValueError):
        merge(batch, "batch:Z")
    (batch / "verdicts.jsonl").write_text(json.dumps({"rid": "r0000", "verdict": "context"}) + "\n")
    assert merge(batch, "batch:Z") == 1
    stored = (tmp_path / "store" / "Z.jsonl").read_text()
    assert "OFFICIAL TEXT" not in stored
    assert Judgments.load(tmp_path / "store").get(QUESTION, [], "Art. 2(e)") == Verdict.CONTEXT


def test_the_stored_judgements_are_well_formed():
    judged = Judgments.load()
    assert len(judged.verdicts) > 600
    assert set(judged.verdicts.values()) == set(Verdict)
