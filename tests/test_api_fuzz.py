"""Property-based fuzzing of the Python API (hypothesis): ``Assistant.ask`` and ``ask_stream``
with any question and history either answer, citing only real provisions they were given, or
raise :class:`InvalidQuestion` with a message; nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import Answer, InvalidQuestion
from assistant.labels import labels_in

ANY_CHAR = st.characters(codec=None, exclude_categories=())
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.text(st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", " \n ", "\ud800", "What does Article 99 say?", "x" * 4001, "Art. 27(b)"]),
)
VALUE = st.one_of(TEXT, st.binary(max_size=20), st.integers(), st.none())
HISTORY = st.one_of(
    st.none(),
    st.lists(st.tuples(TEXT, TEXT), max_size=3),
    st.lists(st.one_of(VALUE, st.tuples(VALUE, VALUE), st.tuples(TEXT)), max_size=3),
)
FUZZ = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check(answer: Answer, bot) -> None:
    cited = {c.label for c in answer.citations}
    assert set(labels_in(answer.text)) <= cited
    assert cited <= {p.label for p in answer.passages} <= set(bot.catalog.by_label)
    if answer.abstained:
        assert not cited


@FUZZ
@given(question=VALUE, history=HISTORY)
def test_ask_answers_or_refuses(bot, question, history):
    bot.ensure_ready()
    try:
        answer = bot.ask(question, history=history)
    except InvalidQuestion as exc:
        assert str(exc)
        return
    check(answer, bot)


@FUZZ
@given(question=VALUE, history=HISTORY)
def test_ask_stream_answers_or_refuses(bot, question, history):
    bot.ensure_ready()
    try:
        items = list(bot.ask_stream(question, history=history))
    except InvalidQuestion as exc:
        assert str(exc)
        return
    assert isinstance(items[-1], Answer) and all(isinstance(i, str) for i in items[:-1])
    check(items[-1], bot)
