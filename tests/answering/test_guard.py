import pytest

from assistant.answering import guard


@pytest.mark.parametrize(
    "bad",
    ["", "   \n\t ", "x" * 4001, "what\x00is this", "bell\x07", b"bytes question", None, "???"],
)
def test_invalid_questions_are_refused_with_a_message(bad):
    with pytest.raises(guard.InvalidQuestion) as err:
        guard.validate(bad, max_chars=4000)
    assert str(err.value)


def test_valid_question_is_normalised():
    assert guard.validate("  What   does\nArticle 14 say? ", max_chars=4000) == (
        "What does Article 14 say?"
    )
