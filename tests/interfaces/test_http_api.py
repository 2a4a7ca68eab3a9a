"""The HTTP API over real HTTP: a uvicorn server on a free 127.0.0.1 port, httpx as the client."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

QUESTION = "Can the police force a company to hand over subscriber information?"


class SlowAssistant:
    """The session's Assistant, except that questions containing "slowly" take 3 s."""

    def __init__(self, bot):
        self._bot = bot

    def ask(self, question, history=None):
        if "slowly" in str(question):
            time.sleep(3)
        return self._bot.ask(question, history=history)

    def __getattr__(self, name):
        return getattr(self._bot, name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerThread:
    """A real uvicorn server in a background thread (stopped with ``stop``)."""

    def __init__(self, app):
        import uvicorn

        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def feedback_store(tmp_path_factory):
    from assistant.feedback import FeedbackStore

    return FeedbackStore(tmp_path_factory.mktemp("feedback") / "feedback.sqlite3")


@pytest.fixture(scope="module")
def server(bot, feedback_store) -> Iterator[ServerThread]:
    from assistant.interfaces.http_api import create_app

    bot.ensure_ready()
    srv = ServerThread(create_app(SlowAssistant(bot), feedback_store, page=False)).start()
    yield srv
    srv.stop()


@pytest.fixture()
def client(server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as c:
        yield c


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "ready": True, "state": "ready", "reason": ""}


def test_ask_returns_cited_answer(client):
    r = client.post("/api/ask", json={"question": QUESTION})
    assert r.status_code == 200, r.text
    data = r.json()
    assert set(data) == {
        "question",
        "text",
        "citations",
        "abstained",
        "notice",
        "resolved_question",
    }
    assert not data["abstained"]
    assert "[Art. 27(b)]" in data["text"]
    cite = next(c for c in data["citations"] if c["label"] == "Art. 27(b)")
    assert cite["article"] == 27 and cite["paragraph"] == "b" and cite["source"] == "convention"
    assert "subscriber information" in cite["quote"]


def test_ask_with_history(client):
    history = [[QUESTION, "... [Art. 27(b)]"]]
    r = client.post(
        "/api/ask", json={"question": "What safeguards apply to that?", "history": history}
    )
    assert r.status_code == 200, r.text
    assert r.json()["resolved_question"]


def test_ask_abstains_out_of_scope(client):
    r = client.post("/api/ask", json={"question": "What is the capital of France?"})
    assert r.status_code == 200
    data = r.json()
    assert data["abstained"] and data["citations"] == [] and data["notice"]


def test_stream_is_ndjson(client):
    with client.stream(
        "POST", "/api/ask/stream", json={"question": "When does the Convention enter into force?"}
    ) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/x-ndjson")
        events = [json.loads(line) for line in r.iter_lines() if line.strip()]
    deltas = [e for e in events if e["type"] == "delta"]
    assert len(deltas) >= 2
    assert all(len(a["text"]) < len(b["text"]) for a, b in zip(deltas, deltas[1:], strict=False))
    final = events[-1]
    assert final["type"] == "answer" and final["text"] == deltas[-1]["text"]
    assert "Art. 65(1)" in [c["label"] for c in final["citations"]]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({}, "question"),
        ({"question": ""}, "The question is empty"),
        ({"question": "x" * 4001}, "at most 4000 characters"),
        ({"question": "ok?", "history": [["q", "a"]] * 21}, "at most 20"),
        ({"question": "ok?", "history": [["only one"]]}, "history"),
        ({"question": 42}, "valid string"),
        ({"question": "What does\x00 Article 5 say?"}, "control or binary characters"),
        ({"question": "   "}, "The question is empty"),
    ],
)
def test_ask_rejects_bad_input(client, body, needle):
    for path in ("/api/ask", "/api/ask/stream"):
        r = client.post(path, json=body)
        assert r.status_code == 422, (path, r.text)
        assert needle in r.text


def test_errors_have_one_shape(client):
    """Empty, blank, invalid Unicode, wrong types, bad JSON, unknown article, huge body: every
    error is {"detail": str, "field": str | null}, and "" and "  " give the same one."""
    bodies = [
        ("/api/ask", '{"question": ""}'),
        ("/api/ask", '{"question": "  "}'),
        ("/api/ask", '{"question": "\\ud800"}'),
        ("/api/ask/stream", '{"question": "What is \\udfff this?"}'),
        ("/api/ask", '{"question": "ok?", "history": [["\\ud800", "a"]]}'),
        ("/api/ask/stream", '{"question": "ok?", "history": [["q", "\\udc80"]]}'),
        ("/api/ask", '{"question": 42}'),
        ("/api/ask", "not json"),
        ("/api/ask", b'{"question": "\xff\xfe invalid UTF-8"}'),
        ("/api/feedback", '{"answer": {"question": "\\ud800", "text": "t"}, "rating": 1}'),
        (
            "/api/feedback",
            '{"answer": {"question": "q", "text": "t"}, "rating": 1, "comment": "\\udbff"}',
        ),
    ]
    shapes = []
    for path, body in bodies:
        r = client.post(path, content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422, (path, body, r.text)
        data = r.json()
        assert set(data) == {"detail", "field"} and isinstance(data["detail"], str), data
        assert "\\ud800" not in r.text and "input" not in data  # the input is never echoed
        shapes.append(data)
    assert shapes[0] == shapes[1]  # "" and "  ": the same error
    assert shapes[0]["field"] == "question" and "empty" in shapes[0]["detail"]
    assert "not valid Unicode" in shapes[2]["detail"] and shapes[4]["field"] == "history[0][0]"
    assert shapes[10]["field"] == "comment"
    for r in (client.get("/api/articles/99"), client.get("/api/articles/abc")):
        assert set(r.json()) == {"detail", "field"}


def test_chunked_body_over_the_limit_is_refused(client, feedback_store):
    """A body without Content-Length (chunked) is held to the limit as it arrives."""
    before = len(feedback_store.all())
    answer = {"question": "q", "text": "t", "citations": [], "abstained": False}

    def body(size: int):
        head = json.dumps({"answer": answer, "rating": 1, "comment": ""})[:-2]
        yield head.encode()
        for _ in range(size // 65536):
            yield b"x" * 65536  # inside the comment string
        yield b'"}'

    for path in ("/api/feedback", "/api/ask", "/api/ask/stream"):
        r = client.post(
            path, content=body(5 * 1024 * 1024), headers={"content-type": "application/json"}
        )
        assert r.status_code == 413, (path, r.text)
        assert "too large" in r.json()["detail"] and set(r.json()) == {"detail", "field"}
    assert len(feedback_store.all()) == before  # nothing stored
    # under the limit, chunked is fine (and the comment is still bounded by its own limit)
    r = client.post("/api/feedback", content=body(0), headers={"content-type": "application/json"})
    assert r.status_code == 200, r.text


def test_ask_rejects_non_json_and_huge_bodies(client):
    r = client.post("/api/ask", content=b"not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    r = client.post("/api/ask", json={"question": "x" * 600_000})
    assert r.status_code == 413 and "too large" in r.json()["detail"]


def test_article(client):
    r = client.get("/api/articles/27")
    assert r.status_code == 200
    data = r.json()
    assert data["number"] == 27 and data["title"] == "Production order"
    assert data["chapter"] == 4
    assert [p["label"] for p in data["provisions"]] == ["Art. 27(a)", "Art. 27(b)"]
    assert "subscriber information" in data["text"]
    assert isinstance(data["cross_references"], list)


def test_article_list(client):
    r = client.get("/api/articles")
    assert r.status_code == 200
    numbers = [a["number"] for a in r.json()]
    assert numbers == list(range(1, 69))


@pytest.mark.parametrize(("path", "status"), [("99", 404), ("0", 404), ("-3", 404), ("abc", 422)])
def test_article_errors(client, path, status):
    r = client.get(f"/api/articles/{path}")
    assert r.status_code == status
    if status == 404:
        assert "numbered 1 to 68" in r.json()["detail"]


def test_openapi_and_docs(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/ask", "/api/ask/stream", "/api/articles/{number}", "/healthz"):
        assert path in schema["paths"]
    page = client.get("/docs")
    assert page.status_code == 200 and "/api/ask/stream" in page.text
    assert "cdn" not in page.text.lower()


def test_feedback_is_stored(client, feedback_store):
    answer = client.post("/api/ask", json={"question": QUESTION}).json()
    r = client.post("/api/feedback", json={"answer": answer, "rating": -1, "comment": "too long"})
    assert r.status_code == 200
    row = next(x for x in feedback_store.all() if x.id == r.json()["id"])
    assert (row.rating, row.comment, row.interface) == (-1, "too long", "api")
    assert row.question == QUESTION and "Art. 27(b)" in [c["label"] for c in row.citations]
    bad = client.post("/api/feedback", json={"answer": answer, "rating": 5})
    assert bad.status_code == 422


def test_slow_answer_does_not_block_others(server):
    def ask(question: str) -> float:
        with httpx.Client(base_url=server.url, timeout=60) as c:
            r = c.post("/api/ask", json={"question": question})
            assert r.status_code == 200
        return time.monotonic()

    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(ask, "Please answer slowly: what is a production order?")
        time.sleep(0.3)
        fast = pool.submit(ask, QUESTION)
        assert fast.result() < slow.result()


def test_cli_feedback_export(tmp_path, bot, mirror_dir):
    from assistant.feedback import FeedbackStore
    from assistant.settings import Settings

    settings = Settings(data_dir=tmp_path, source_dir=mirror_dir)
    FeedbackStore(settings.feedback_db).record(bot.ask(QUESTION), 1, comment="useful")
    out = tmp_path / "feedback.jsonl"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(tmp_path)}
    run = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "feedback", "export", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 1 and rows[0]["comment"] == "useful" and rows[0]["rating"] == 1
    assert "Art. 27(b)" in [c["label"] for c in rows[0]["citations"]]


# --- /api/ask/stream streams as the answer is produced (issue 11) -----------------------------


@pytest.fixture(scope="module")
def llm_server(index_dir, mirror_dir, feedback_store):
    """The API over an Assistant whose LLM (a local OpenAI-compatible server) writes slowly."""
    from assistant import Assistant
    from assistant.interfaces.http_api import create_app
    from assistant.settings import Settings
    from tests.answering.fake_openai import FakeOpenAI

    fake = FakeOpenAI().start()
    settings = Settings(
        source_dir=mirror_dir,
        data_dir=index_dir,
        llm="openai:fake",
        llm_base_url=fake.base_url,
        llm_timeout=30,
    )
    srv = ServerThread(
        create_app(Assistant(settings, progress=False), feedback_store, page=False)
    ).start()
    yield srv, fake
    srv.stop()
    fake.stop()


def test_stream_sends_sentences_as_they_are_written(llm_server):
    from tests.answering.fake_openai import Reply, passages_in

    srv, fake = llm_server

    def slow(body):
        parts = [f"{text} [{label}]." for label, text in passages_in(body)[:2]]
        return Reply(" ".join(parts), chunk_delay=0.03)

    fake.script(slow)
    lines: list[tuple[float, dict]] = []
    with (
        httpx.Client(base_url=srv.url, timeout=60) as c,
        c.stream("POST", "/api/ask/stream", json={"question": QUESTION}) as r,
    ):
        assert r.status_code == 200
        for line in r.iter_lines():
            if line.strip():
                lines.append((time.monotonic(), json.loads(line)))
    deltas = [(t, e) for t, e in lines if e["type"] == "delta"]
    final_t, final = lines[-1]
    assert final["type"] == "answer" and len(deltas) == 2
    assert final["text"] == deltas[-1][1]["text"] and len(final["citations"]) == 2
    # the first sentence arrived while the model was still writing the second
    assert final_t - deltas[0][0] > 1.0
    # bad input is refused before anything is streamed
    with httpx.Client(base_url=srv.url, timeout=60) as c:
        r = c.post("/api/ask/stream", json={"question": "\x00"})
        assert r.status_code == 422 and set(r.json()) == {"detail", "field"}


def test_a_loaded_index_is_not_reported_ready_before_the_server_serves(bot):
    """Between the index being loaded and the API being mounted, ``/healthz`` must not say
    "ready": a caller that waited for it would get 503 from the very next request."""
    from assistant.interfaces.http_api import Launcher

    bot.ensure_ready()
    launcher = Launcher(bot, full=lambda: None)  # its lifespan has not run: nothing served yet

    async def calls():
        transport = httpx.ASGITransport(app=launcher)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get("/healthz"), await c.get("/api/articles")

    health, articles = asyncio.run(calls())
    assert health.status_code == 503
    assert health.json()["state"] == "loading" and not health.json()["ready"]
    assert articles.status_code == 503
