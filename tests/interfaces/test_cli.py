"""The console script, run as a real subprocess over the session's index."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.servers import run_cli


@pytest.fixture()
def run(index_dir, mirror_dir):
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(index_dir),
        "ASSISTANT_SOURCE_DIR": str(mirror_dir),
    }

    def _run(*args: str) -> subprocess.CompletedProcess:
        return run_cli(env, *args, timeout=300)

    return _run


def test_ask_json(run):
    out = run(
        "ask", "--json", "Can the police force a company to hand over subscriber information?"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert not data["abstained"]
    assert "Art. 27(b)" in [c["label"] for c in data["citations"]]


def test_ask_prints_sources(run):
    out = run("ask", "When", "does", "the", "Convention", "enter", "into", "force?")
    assert out.returncode == 0, out.stderr
    assert "Sources:" in out.stdout and "[Art. 65(1)]" in out.stdout


def test_show_article(run):
    out = run("show", "27")
    assert out.returncode == 0, out.stderr
    assert "Article 27. Production order" in out.stdout
    assert "subscriber information" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("show", "99"), "no Article 99"),
        (("show", "twelve"), "not an article number"),
        (("ask", "   "), "empty"),
    ],
)
def test_bad_input_exits_with_a_message(run, args, message):
    out = run(*args)
    assert out.returncode == 2 and message in out.stderr
    assert "Traceback" not in out.stderr


def test_ingest_again_changes_nothing(run):
    out = run("ingest", "--quiet")
    assert out.returncode == 0, out.stderr
    assert "0 added, 0 updated, 0 deleted" in out.stdout
