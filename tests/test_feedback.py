from assistant.feedback import FeedbackStore
from assistant.models import Answer, Citation


def _answer():
    c = Citation(
        label="Art. 27(b)",
        source="convention",
        article=27,
        paragraph="b",
        quote="A service provider ...",
    )
    return Answer(question="q?", text="t [Art. 27(b)]", citations=[c], passages=[], abstained=False)


def test_feedback_is_durable_and_exportable(tmp_path):
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    assert store.record(_answer(), 1, comment="good", interface="web") == 1
    store.record(_answer(), -1, interface="slack", user="U123")
    again = FeedbackStore(tmp_path / "fb.sqlite3").all()  # a new connection sees both
    assert [(r.rating, r.interface) for r in again] == [(1, "web"), (-1, "slack")]
    assert again[0].citations[0]["label"] == "Art. 27(b)"
    assert store.export_jsonl(tmp_path / "out.jsonl") == 2
    assert (tmp_path / "out.jsonl").read_text().count("\n") == 2


def test_rating_must_be_plus_or_minus_one(tmp_path):
    import pytest

    with pytest.raises(ValueError):
        FeedbackStore(tmp_path / "fb.sqlite3").record(_answer(), 0)
