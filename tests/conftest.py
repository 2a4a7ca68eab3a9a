"""Shared pytest fixtures."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    """The local mirror of the official documents (``ASSISTANT_SOURCE_DIR``).

    Defaults to ``../shared/corpus`` relative to the repository root; a relative value
    of the variable is also taken relative to the repository root. Tests that need the
    mirror are skipped when it is absent.
    """
    raw = os.environ.get("ASSISTANT_SOURCE_DIR") or "../shared/corpus"
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = REPO_ROOT / path
    path = path.resolve()
    if not path.is_dir():
        pytest.skip(
            f"mirror directory {path} not found: set ASSISTANT_SOURCE_DIR to a local mirror "
            "of the official documents (e.g. the A/RES/79/243 text extraction)"
        )
    return path


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory, mirror_dir) -> Path:
    """A data directory holding a real index of the whole corpus, built once per session."""
    from assistant.index.ingest import ingest
    from assistant.settings import Settings

    data = tmp_path_factory.mktemp("data")
    prebuilt = os.environ.get("ASSISTANT_TEST_INDEX")  # local iteration: copy a built data dir
    if prebuilt:
        shutil.copytree(Path(prebuilt) / "chroma", data / "chroma")
    ingest(Settings(source_dir=mirror_dir, data_dir=data), progress=False)
    return data


@pytest.fixture(scope="session")
def bot(index_dir, mirror_dir):
    """A ready Assistant over the real index (real Chroma store, real embedding model)."""
    from assistant import Assistant
    from assistant.settings import Settings

    return Assistant(Settings(source_dir=mirror_dir, data_dir=index_dir), progress=False)
