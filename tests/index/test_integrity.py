"""Index integrity: ingestion killed with SIGKILL at several points, then served; a damaged
store rebuilt from the sources, or refused offline with one line naming the fix.

A small corpus keeps this quick: the Convention alone (no briefing notes) and the question
notes of Articles 59-68. Every run is a real process: ``assistant`` / ``app.py`` subprocesses,
a real Chroma store, the real embedding model.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant.settings import REPO_ROOT, Settings
from tests.servers import run_cli

QUESTION = "When does the Convention enter into force?"
KILL_SCRIPT = """
import os, signal, sys
from assistant.index.ingest import ingest
from assistant.settings import Settings
stage, after = sys.argv[1], int(sys.argv[2])

def hook(name, done, total):
    if name == stage and done >= after:
        os.kill(os.getpid(), signal.SIGKILL)

ingest(Settings(), progress=False, on_progress=hook)
raise SystemExit("the kill point was never reached")
"""


def small_corpus(tmp_path, mirror_dir) -> dict[str, str]:
    """Environment for a small corpus in a fresh data directory under ``tmp_path``."""
    corpus = tmp_path / "corpus"
    (corpus / "provisions").mkdir(parents=True)
    manifest = (REPO_ROOT / "corpus" / "sources.toml").read_text()
    blocks = manifest.split("\n[[source]]")
    assert 'kind = "convention"' in blocks[1]
    (corpus / "sources.toml").write_text("\n[[source]]".join(blocks[:2]) + "\n")
    shutil.copy(
        REPO_ROOT / "corpus" / "provisions" / "arts59-68-notes-resolution.toml",
        corpus / "provisions",
    )
    return {
        **os.environ,
        "ASSISTANT_CORPUS_DIR": str(corpus),
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_SOURCE_DIR": str(mirror_dir),
    }


@pytest.fixture()
def small(tmp_path, mirror_dir) -> dict[str, str]:
    """A small corpus, nothing indexed yet."""
    return small_corpus(tmp_path, mirror_dir)


@pytest.fixture(scope="module")
def complete(tmp_path_factory, mirror_dir) -> dict[str, str]:
    """A small corpus with a complete index, built once (copy it before changing it)."""
    env = small_corpus(tmp_path_factory.mktemp("complete"), mirror_dir)
    done = cli(env, "ingest", "-q")
    assert done.returncode == 0, done.stderr
    return env


@pytest.fixture()
def indexed(complete, tmp_path) -> dict[str, str]:
    """A private copy of the complete small index."""
    env = dict(complete)
    for key in ("ASSISTANT_CORPUS_DIR", "ASSISTANT_DATA_DIR"):
        env[key] = str(shutil.copytree(complete[key], tmp_path / key.lower()))
    return env


def settings_of(env: dict[str, str]) -> Settings:
    return Settings(
        corpus_dir=env["ASSISTANT_CORPUS_DIR"],
        data_dir=env["ASSISTANT_DATA_DIR"],
        source_dir=env["ASSISTANT_SOURCE_DIR"],
    )


cli = run_cli


def kill_ingest(env: dict[str, str], stage: str, after: int = 0) -> None:
    """Run ingestion and SIGKILL it when it reaches ``stage`` (after ``after`` rows)."""
    done = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, stage, str(after)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cites(answer: dict, article: int) -> bool:
    return any(c["article"] == article for c in answer["citations"])


def test_killed_while_embedding_chunks_then_served(small, tmp_path):
    """The fault of the issue: a partial index was served as complete. Now the server says
    why it is not ready, answers no question meanwhile, resumes, then serves every article."""
    kill_ingest(small, "Embedding chunks", after=128)
    status = cli(small, "status")
    assert status.returncode == 2 and "incomplete" in status.stdout, status.stdout

    port = free_port()
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "app.py")],
        env={**small, "ASSISTANT_PORT": str(port)},
        stdout=log,
        stderr=log,
    )
    url = f"http://127.0.0.1:{port}"
    not_ready, refused = [], []
    try:
        deadline = time.monotonic() + 600
        while True:
            assert time.monotonic() < deadline, "the server never became ready"
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            try:
                health = httpx.get(f"{url}/healthz", timeout=10)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            if health.status_code == 200:
                break
            assert health.status_code == 503
            not_ready.append(health.json())
            if len(refused) < 2:
                refused.append(httpx.post(f"{url}/api/ask", json={"question": QUESTION}))
            time.sleep(0.2)
        assert health.json()["ready"] and health.json()["state"] in ("loading-page", "ready")
        assert not_ready and not not_ready[0]["ready"]
        assert any(
            h["state"] == "resuming" and "did not finish" in h["reason"] for h in not_ready
        ), not_ready
        assert refused and all(r.status_code == 503 for r in refused)  # no partial answers
        assert "not ready" in refused[0].json()["detail"]

        articles = httpx.get(f"{url}/api/articles", timeout=30).json()
        assert [a["number"] for a in articles] == list(range(1, 69))
        assert httpx.get(f"{url}/api/articles/65", timeout=30).status_code == 200
        answer = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=60).json()
        assert not answer["abstained"] and cites(answer, 65), answer
        while (health := httpx.get(f"{url}/healthz", timeout=10).json())["state"] != "ready":
            assert time.monotonic() < deadline, health
            time.sleep(0.2)
        assert health == {"status": "ok", "ready": True, "state": "ready", "reason": ""}
        assert httpx.get(url, timeout=30).status_code == 200  # the page
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    status = cli(small, "status")
    assert status.returncode == 0 and "ready" in status.stdout, status.stdout


def resume_and_answer(env: dict[str, str], *, embedded: bool) -> None:
    """What start-up runs on an incomplete index: resume it; then every article is there."""
    from assistant import Assistant
    from assistant.index import manifest
    from assistant.index.ingest import ingest
    from assistant.index.integrity import IndexState, check, open_client

    settings = settings_of(env)
    assert manifest.read(settings) is None
    assert check(settings, open_client(settings)).state == IndexState.INCOMPLETE
    report = ingest(settings, progress=False)
    assert report.state == IndexState.INCOMPLETE
    assert (report.added > 0) == embedded, report
    bot = Assistant(settings, progress=False)
    answer = bot.ask(QUESTION)
    assert bot.status.ready and not answer.abstained
    assert any(c.article == 65 for c in answer.citations)
    assert [a.number for a in bot.articles()] == list(range(1, 69))


def test_killed_while_embedding_questions_then_resumed(small):
    kill_ingest(small, "Embedding questions", after=64)
    resume_and_answer(small, embedded=True)  # only the missing questions


@pytest.mark.parametrize("stage", ["stored", "snapshot"])
def test_killed_before_the_manifest_then_resumed(indexed, stage):
    """Killed after the store was updated, before (or after) the snapshot, always before the
    manifest: the index is incomplete, and resuming embeds nothing again."""
    notes = next(Path(indexed["ASSISTANT_CORPUS_DIR"], "provisions").glob("*.toml"))
    marker = "questions = [\n"
    text = notes.read_text()
    notes.write_text(text.replace(marker, marker + '  { q = "A new test question?" },\n', 1))
    kill_ingest(indexed, stage)
    resume_and_answer(indexed, embedded=False)


def corrupt(settings: Settings) -> None:
    """Random bytes in the middle of the Chroma SQLite file (as the issue reproduced)."""
    db = settings.chroma_dir / "chroma.sqlite3"
    size = db.stat().st_size
    with db.open("r+b") as fh:
        fh.seek(size // 2)
        fh.write(random.Random(11).randbytes(8192))


def test_damaged_store(indexed, tmp_path):
    """A damaged store: refused offline (no sources) with one line naming the fix; rebuilt
    from the sources otherwise; ``ingest --rebuild`` builds it anew on request."""
    small = indexed
    settings = settings_of(small)
    corrupt(settings)

    offline = {**small, "ASSISTANT_SOURCE_DIR": str(tmp_path / "empty")}
    (tmp_path / "empty").mkdir()
    refused = cli(offline, "ask", QUESTION)
    assert refused.returncode == 4
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1, refused.stderr
    assert lines[0].startswith("error: the index is corrupt")
    assert "ASSISTANT_SOURCE_DIR" in lines[0] and "assistant ingest --rebuild" in lines[0]
    app = subprocess.run(
        [sys.executable, str(REPO_ROOT / "app.py")],
        env={**offline, "ASSISTANT_PORT": str(free_port())},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert app.returncode == 4 and "Traceback" not in app.stderr
    assert app.stderr.strip().splitlines()[-1] == lines[0]

    rebuilt = cli(small, "ask", "--json", QUESTION)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "damaged" in rebuilt.stderr and "Traceback" not in rebuilt.stderr
    assert cites(json.loads(rebuilt.stdout), 65)
    assert (settings.chroma_dir.parent / "chroma.damaged").is_dir()  # kept for inspection
    assert cli(small, "status").returncode == 0

    again = cli(small, "ingest", "-q", "--rebuild")
    assert again.returncode == 0, again.stderr
    added = int(again.stdout.split("Ingest: ")[1].split(" added")[0])
    unchanged = cli(small, "ingest", "-q")
    assert f"0 added, 0 updated, 0 deleted, {added} unchanged" in unchanged.stdout


def test_complete_index_is_served_offline(indexed, tmp_path):
    """With a complete index, nothing needs the sources: ``status`` says ready (what
    ``make run`` checks) and questions are answered with no mirror and no download."""
    from assistant import Assistant

    small = indexed
    offline = settings_of(small).model_copy(update={"source_dir": tmp_path / "none"})
    (tmp_path / "none").mkdir()
    status = cli({**small, "ASSISTANT_SOURCE_DIR": str(tmp_path / "none")}, "status", "-q")
    assert status.returncode == 0
    bot = Assistant(offline, progress=False)
    assert any(c.article == 65 for c in bot.ask(QUESTION).citations)
