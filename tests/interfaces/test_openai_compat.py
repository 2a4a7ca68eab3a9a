"""The OpenAI-compatible endpoint, driven by the official ``openai`` Python client against the
real web app (uvicorn on a free 127.0.0.1 port over the session's index)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.interfaces.test_http_api import ServerThread, SlowAssistant

QUESTION = "Can the police force a company to hand over subscriber information?"
MODEL = "convention-assistant"


@pytest.fixture(scope="module")
def server(bot, tmp_path_factory) -> Iterator[ServerThread]:
    from assistant.feedback import FeedbackStore
    from assistant.interfaces.http_api import create_app

    bot.ensure_ready()
    store = FeedbackStore(tmp_path_factory.mktemp("oa-feedback") / "feedback.sqlite3")
    srv = ServerThread(create_app(SlowAssistant(bot), store, page=False)).start()
    yield srv
    srv.stop()


@pytest.fixture()
def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="not-needed", max_retries=0)


def test_models(client):
    models = client.models.list()
    assert [m.id for m in models.data] == [MODEL]


def test_chat_completion_cites(client):
    r = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": QUESTION}]
    )
    text = r.choices[0].message.content
    assert r.object == "chat.completion" and r.choices[0].finish_reason == "stop"
    assert "[Art. 27(b)]" in text and "Sources:" in text
    assert "[Art. 27(b)] (p. 16)" in text  # the Sources list names the official page
    extra = r.model_extra
    assert extra["abstained"] is False
    cite = next(c for c in extra["citations"] if c["label"] == "Art. 27(b)")
    assert cite["article"] == 27 and cite["paragraph"] == "b" and cite["pages"] == [16]
    assert cite["url"].endswith("t=pdf#page=16") and "subscriber information" in cite["quote"]


def test_history_makes_a_follow_up(client, bot):
    earlier = "Can police collect traffic data in real time?"
    first = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": earlier}]
    )
    follow = "Can they do the same for content data?"
    messages = [
        {"role": "system", "content": "You are a helpful assistant."},  # ignored
        {"role": "user", "content": earlier},
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": [{"type": "text", "text": follow}]},
    ]
    r = client.chat.completions.create(model=MODEL, messages=messages)
    expected = bot.ask(follow, history=[(earlier, first.choices[0].message.content)])
    assert r.choices[0].message.content.startswith(expected.text)
    assert [c["label"] for c in r.model_extra["citations"]] == [c.label for c in expected.citations]
    alone = bot.ask(follow)
    assert expected.text != alone.text  # the history changed the answer


def test_out_of_scope_abstains(client):
    r = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "What is the capital of France?"}]
    )
    assert r.model_extra["abstained"] is True and r.model_extra["citations"] == []
    assert "Sources:" not in r.choices[0].message.content


def test_streaming_chunks(client, bot):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "When does the Convention enter into force?"}],
        stream=True,
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) >= 3  # several sentences, then the Sources
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    full = bot.ask("When does the Convention enter into force?")
    assert [c["label"] for c in last.model_extra["citations"]] == [c.label for c in full.citations]
    assert full.citations and all(c["pages"] for c in last.model_extra["citations"])
    text = "".join(pieces)
    assert text.startswith(full.text) and "Sources:" in text
    assert len({c.id for c in chunks}) == 1


def test_streaming_abstention(client):
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Who won the football world cup in 2022?"}],
        stream=True,
    )
    chunks = list(stream)
    assert chunks[-1].model_extra["abstained"] is True
    assert "".join(c.choices[0].delta.content or "" for c in chunks).strip()


@pytest.mark.parametrize(
    ("kwargs", "error", "needle"),
    [
        ({"model": "gpt-4o"}, openai.NotFoundError, "does not exist"),
        ({"messages": []}, openai.BadRequestError, "messages"),
        (
            {"messages": [{"role": "assistant", "content": "hi"}]},
            openai.BadRequestError,
            "last message",
        ),
        ({"messages": [{"role": "user", "content": "   "}]}, openai.BadRequestError, "empty"),
        (
            {"messages": [{"role": "user", "content": "Art\x00icle 5?"}]},
            openai.BadRequestError,
            "control",
        ),
        (
            {"messages": [{"role": "user", "content": "x" * 4001}]},
            openai.BadRequestError,
            "too long",
        ),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, openai.BadRequestError, "role"),
    ],
)
def test_bad_requests_get_openai_errors(client, kwargs, error, needle):
    args = {"model": MODEL, "messages": [{"role": "user", "content": QUESTION}], **kwargs}
    for stream in (False, True):
        with pytest.raises(error) as info:
            client.chat.completions.create(**args, stream=stream)
        assert needle in info.value.message


def test_huge_and_non_json_bodies(server):
    with httpx.Client(base_url=server.url) as http:
        r = http.post(
            "/v1/chat/completions",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
        big = {"model": MODEL, "messages": [{"role": "user", "content": "x" * 600_000}]}
        r = http.post("/v1/chat/completions", json=big)
        assert r.status_code == 413 and "too large" in r.json()["error"]["message"]
        # the /api routes keep their own error shape
        assert "detail" in http.post("/api/ask", json={}).json()
