"""CHROMA_HOST/CHROMA_PORT: the same ingestion and answers against a real Chroma server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from assistant import Assistant
from assistant.index.ingest import ingest
from assistant.settings import Settings


@pytest.fixture()
def chroma_server(tmp_path):
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "")
    if not exe.is_file():
        pytest.skip("the chroma CLI (chromadb's server) is not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen(
        [
            str(exe),
            "run",
            "--path",
            str(tmp_path / "server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("chroma server did not start")
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_and_answer_through_a_chroma_server(
    chroma_server, tmp_path, mirror_dir, monkeypatch
):
    monkeypatch.setenv("CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("CHROMA_PORT", str(chroma_server))
    settings = Settings(source_dir=mirror_dir, data_dir=tmp_path / "data")
    assert settings.chroma_host == "127.0.0.1" and settings.chroma_port == chroma_server
    first = ingest(settings, progress=False)
    assert first.added > 400
    assert not ingest(settings, progress=False).changed
    assert not (tmp_path / "data" / "chroma").exists()  # nothing went to the embedded store
    answer = Assistant(settings, progress=False).ask(
        "Can the police force a company to hand over subscriber information?"
    )
    assert "Art. 27(b)" in [c.label for c in answer.citations]
