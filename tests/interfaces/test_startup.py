"""Every entry point (``python app.py``, ``assistant serve|ask|ingest|slack``) fails with one
clear ``error:`` line and a non-zero status, never a traceback: offline without a local mirror
(downloads go to a closed port), and on a damaged index (random bytes in Chroma's SQLite file).
Real subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENTRY_POINTS = {
    "app.py": [sys.executable, str(REPO / "app.py")],
    "serve": [sys.executable, "-m", "assistant.cli", "serve", "--port", "0"],
    "ask": [sys.executable, "-m", "assistant.cli", "ask", "What is a production order?"],
    "ingest": [sys.executable, "-m", "assistant.cli", "ingest", "-q"],
    "slack": [sys.executable, "-m", "assistant.cli", "slack"],
}


def run(argv: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "SLACK_"))}
    base |= {
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_PORT": "0",
        # Slack's checks pass, so the bot gets as far as building the index
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "test-secret",
        "SLACK_MODE": "http",
        **env,
    }
    if os.environ.get("ASSISTANT_MODELS_DIR"):
        base["ASSISTANT_MODELS_DIR"] = os.environ["ASSISTANT_MODELS_DIR"]
    return subprocess.run(argv, env=base, capture_output=True, text=True, timeout=300, cwd=REPO)


def one_clear_line(out: subprocess.CompletedProcess) -> str:
    assert out.returncode not in (0, None), out.stderr
    assert "Traceback" not in out.stderr and 'File "' not in out.stderr, out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, out.stderr
    return errors[0]


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_offline_without_a_mirror(name, tmp_path):
    closed = "http://127.0.0.1:9"  # nothing listens: every download fails as offline
    out = run(ENTRY_POINTS[name], tmp_path, HTTPS_PROXY=closed, HTTP_PROXY=closed)
    line = one_clear_line(out)
    assert "could not download" in line and "ASSISTANT_SOURCE_DIR" in line
    assert out.returncode == 3


@pytest.fixture(scope="module")
def damaged(index_dir, tmp_path_factory) -> Path:
    """A copy of the session's index with random bytes written over part of its SQLite file."""
    data = tmp_path_factory.mktemp("damaged")
    shutil.copytree(index_dir / "chroma", data / "chroma")
    db = data / "chroma" / "chroma.sqlite3"
    size = db.stat().st_size
    with db.open("r+b") as fh:
        fh.seek(size // 3)
        fh.write(os.urandom(min(200_000, size // 2)))
    return data


@pytest.mark.parametrize("name", list(ENTRY_POINTS))
def test_damaged_index_offline(name, damaged, tmp_path):
    """A damaged store and no sources to rebuild it from (with sources it is rebuilt: see
    tests/index/test_integrity.py)."""
    closed = "http://127.0.0.1:9"
    out = run(
        ENTRY_POINTS[name],
        damaged,
        ASSISTANT_SOURCE_DIR=str(tmp_path),
        HTTPS_PROXY=closed,
        HTTP_PROXY=closed,
    )
    line = one_clear_line(out)
    assert "corrupt" in line and "assistant ingest --rebuild" in line
    assert "ASSISTANT_SOURCE_DIR" in line
    assert len(line) < 700  # SQLite's page-by-page report is cut, the fix is not
    assert out.returncode == 4


def test_invalid_unicode_on_the_command_line(index_dir, mirror_dir):
    """Undecodable bytes in argv (a lone surrogate once decoded) are refused in one line."""
    argv = [sys.executable, "-m", "assistant.cli", "ask", "What about \udcff data?"]
    out = subprocess.run(
        [a.encode("utf-8", "surrogateescape") for a in argv],
        env={
            **os.environ,
            "ASSISTANT_DATA_DIR": str(index_dir),
            "ASSISTANT_SOURCE_DIR": str(mirror_dir),
        },
        capture_output=True,
        timeout=300,
    )
    stderr = out.stderr.decode("utf-8", "replace")
    assert out.returncode == 2 and "Traceback" not in stderr
    assert "error: The question is not valid Unicode text" in stderr
