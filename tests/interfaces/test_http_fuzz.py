"""Property-based fuzzing of the HTTP API (hypothesis) over real HTTP: any question, history and
feedback, valid or not (lone surrogates, control characters, huge, wrong types), gets a 200 or
a 4xx with the one error shape, never a 5xx or a dropped connection, and never an invented
citation."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.labels import labels_in
from tests.interfaces.test_http_api import ServerThread

# any code point, lone surrogates and control characters included
ANY_CHAR = st.characters(codec=None, exclude_categories=())
TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.text(st.characters(codec="utf-8"), max_size=300),
    st.sampled_from(["", "  ", "\ud800", "What does Article 99 say?", "x" * 4001, "Art. 27(b)"]),
)
VALUE = st.one_of(TEXT, st.integers(), st.none(), st.booleans(), st.lists(TEXT, max_size=3))
HISTORY = st.one_of(st.lists(st.tuples(TEXT, TEXT), max_size=3), st.lists(VALUE, max_size=3), VALUE)
FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def api(bot, tmp_path_factory) -> Iterator[httpx.Client]:
    from assistant.feedback import FeedbackStore
    from assistant.interfaces.http_api import create_app

    bot.ensure_ready()
    store = FeedbackStore(tmp_path_factory.mktemp("fuzz") / "feedback.sqlite3")
    srv = ServerThread(create_app(bot, store, page=False)).start()
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        yield c
    srv.stop()


def post(client: httpx.Client, path: str, body: object) -> httpx.Response:
    # json.dumps escapes lone surrogates ("\ud800"), as a browser's JSON.stringify does
    data = json.dumps(body).encode()
    return client.post(path, content=data, headers={"content-type": "application/json"})


def check_response(r: httpx.Response, bot) -> dict:
    assert r.status_code < 500, r.text
    assert r.status_code in (200, 413, 422), r.text
    data = r.json()
    if r.status_code != 200:
        assert set(data) == {"detail", "field"} and data["detail"], data
        return data
    check_answer(data, bot)
    return data


def check_answer(data: dict, bot) -> None:
    """No invented citation: every label in the text is cited, every citation is real."""
    cited = {c["label"] for c in data["citations"]}
    assert set(labels_in(data["text"])) <= cited, data["text"]
    assert cited <= set(bot.catalog.by_label), cited
    if data["abstained"]:
        assert not cited


@FUZZ
@given(question=TEXT, history=HISTORY)
def test_ask_never_fails(api, bot, question, history):
    check_response(post(api, "/api/ask", {"question": question, "history": history}), bot)


@FUZZ
@given(question=VALUE, history=HISTORY)
def test_stream_never_fails(api, bot, question, history):
    body = json.dumps({"question": question, "history": history}).encode()
    with api.stream(
        "POST", "/api/ask/stream", content=body, headers={"content-type": "application/json"}
    ) as r:
        assert r.status_code in (200, 422), r.status_code
        if r.status_code != 200:
            r.read()
            assert set(r.json()) == {"detail", "field"}
            return
        events = [json.loads(line) for line in r.iter_lines() if line.strip()]
    assert events and events[-1]["type"] == "answer", events[-1:]
    assert all(e["type"] == "delta" for e in events[:-1])
    check_answer(events[-1], bot)


@FUZZ
@given(
    question=TEXT,
    text=TEXT,
    comment=st.one_of(TEXT, st.integers()),
    rating=st.sampled_from([1, -1, 0, 5, "1"]),
    label=TEXT,
)
def test_feedback_never_fails(api, bot, question, text, comment, rating, label):
    answer = {
        "question": question,
        "text": text,
        "citations": [{"label": label, "source": "convention", "article": 27, "quote": text}],
        "abstained": False,
        "notice": "",
        "resolved_question": question,
    }
    r = post(api, "/api/feedback", {"answer": answer, "rating": rating, "comment": comment})
    assert r.status_code in (200, 422), r.text
    data = r.json()
    if r.status_code == 200:
        assert isinstance(data["id"], int)
    else:
        assert set(data) == {"detail", "field"}
