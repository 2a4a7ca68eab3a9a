"""The ONNX embedding model: the same vectors as the torch model, and no torch when serving."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from assistant.index.embeddings import OnnxEmbeddings, ensure_exported, export_dir, is_exported
from assistant.settings import FINETUNED, PACKAGED, REPO_ROOT, Settings

LONG = "Every State Party must pass the laws and take the other steps it needs " * 40


def texts() -> list[str]:
    """Tuning-set questions (never the frozen test set), a provision-length text, a text over
    the model's 256-token limit, and an odd one."""
    items = [json.loads(line) for line in (REPO_ROOT / "evals" / "gold.jsonl").open()]
    return [i["question"] for i in items[:40]] + [LONG, "Art. 27(b)", "¿Qué dice el artículo 2?"]


@pytest.mark.parametrize("model", [FINETUNED, PACKAGED])
def test_onnx_vectors_equal_the_torch_models(model):
    from sentence_transformers import SentenceTransformer

    settings = Settings(embedding_model=model)
    onnx = OnnxEmbeddings(ensure_exported(settings))
    assert onnx.info.model_id == settings.embedding_model_id
    torch_model = SentenceTransformer(settings.embedding_model_path, device="cpu")
    sample = texts()
    want = torch_model.encode(sample, normalize_embeddings=True)
    one_by_one = np.array([onnx.embed_query(t) for t in sample])
    for got in (one_by_one, np.array(onnx.embed_documents(sample))):
        assert got.shape == want.shape
        cosines = (got * want).sum(axis=1) / (
            np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1)
        )
        assert cosines.min() >= 0.9999, cosines.min()
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_export_is_kept_when_current():
    settings = Settings()
    ensure_exported(settings)
    before = (export_dir(settings) / "model.onnx").stat().st_mtime_ns
    out = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "export-onnx", "--if-needed"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0 and "up to date" in out.stdout, out.stderr
    assert (export_dir(settings) / "model.onnx").stat().st_mtime_ns == before
    assert is_exported(settings)


SERVE = """
import json, sys
from fastapi.testclient import TestClient
from assistant import Assistant
from assistant.settings import Settings
bot = Assistant(Settings(data_dir=sys.argv[1], source_dir=sys.argv[2]), progress=False)
answer = bot.ask("Can the police force a company to hand over subscriber information?")
cli_path = sorted(m for m in ("gradio", "torch", "sklearn") if m in sys.modules)
from assistant.interfaces.http_api import create_app
client = TestClient(create_app(bot))
r = client.post("/api/ask", json={"question": "When does the Convention enter into force?"})
heavy = ("torch", "sentence_transformers", "transformers", "sklearn", "scipy.stats")
print(json.dumps({
    "cited": [c.label for c in answer.citations],
    "http": r.status_code,
    "cli_path": cli_path,
    "serving": sorted(m for m in heavy if m in sys.modules),
    "page": "gradio" in sys.modules,
    "threads": bot.embeddings._session.get_session_options().intra_op_num_threads,
}))
"""


def test_serving_does_not_import_torch(index_dir, mirror_dir):
    """A new process answers on the CLI path and through the web app (page included) without
    importing torch, sentence-transformers, transformers or scikit-learn; the CLI path does
    not import gradio either; a question runs on one thread."""
    out = subprocess.run(
        [sys.executable, "-c", SERVE, str(index_dir), str(mirror_dir)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert "Art. 27(b)" in got["cited"] and got["http"] == 200
    assert got["cli_path"] == []
    assert got["serving"] == [] and got["page"]
    assert got["threads"] == 1
