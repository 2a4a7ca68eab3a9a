"""The HTTP API over real HTTP: a uvicorn server on a free 127.0.0.1 port, httpx as the client."""

from __future__ import annotations

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

QUESTION = "Can police make a provider hand over subscriber data?"


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
        ({"question": ""}, "at least 1 character"),
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
