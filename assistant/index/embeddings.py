"""Our sentence embeddings, run by ONNX Runtime: no torch on the serving path.

The configured sentence-transformers model (our fine-tuned MiniLM, or the packaged
all-MiniLM-L6-v2) is exported once to ONNX (``assistant export-onnx``, run by ``make setup``;
see :mod:`assistant.index.onnx_export`) into ``<onnx dir>/<model>/``: ``model.onnx`` (the
transformer, mean pooling and normalisation in one graph), ``tokenizer.json`` and
``export.json``. Here it is loaded from those local files only, with the ``tokenizers`` library
for tokenisation. Every run uses one intra-op thread (no spinning threads fighting other work
for the CPU). A single question is one run; a list of documents (ingestion) is cut into small
runs that ``batch_threads`` Python threads feed to one shared session at once (ONNX Runtime
releases the GIL and its ``run`` is thread-safe): on 2 cores this embeds 1.3 times faster than
one run at a time with two intra-op threads, since the runs need no synchronising within an
operator. Chroma never embeds by itself.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.settings import Settings

log = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "export.json"
BATCH_THREADS = 2  # ingestion: runs at once, one per core of the target machine
# Texts per ONNX run when embedding documents: small batches of similar length (ingestion sorts
# by length) pad little and keep attention buffers small; on 2 cores 8 was both the fastest and
# the smallest in memory (9 s, 0.5 GB peak for the Convention's chunks; 64: 14 s, 1.7 GB).
RUN_BATCH = 8


class EmbeddingModelMissing(RuntimeError):
    """The ONNX export of the configured model is missing and could not be made."""


@dataclass(frozen=True)
class ExportInfo:
    """What ``export.json`` records about an export."""

    model_id: str  # Settings.embedding_model_id of the model it was exported from
    source: str  # the model directory it was exported from
    max_seq_length: int
    dimension: int
    min_cosine: float  # agreement with the torch model on the check sentences

    @classmethod
    def read(cls, directory: Path) -> ExportInfo | None:
        try:
            raw = json.loads((directory / META_FILE).read_text())
            return cls(**{k: raw[k] for k in cls.__dataclass_fields__})
        except (OSError, ValueError, KeyError, TypeError):
            return None


def export_dir(settings: Settings) -> Path:
    """Where the export of the configured model lives (one directory per model identity)."""
    return settings.onnx_dir / settings.embedding_model_slug


def is_exported(settings: Settings) -> bool:
    """Is there a complete export of exactly the configured model?"""
    directory = export_dir(settings)
    info = ExportInfo.read(directory)
    return (
        info is not None
        and info.model_id == settings.embedding_model_id
        and (directory / MODEL_FILE).is_file()
        and (directory / TOKENIZER_FILE).is_file()
    )


def ensure_exported(settings: Settings) -> Path:
    """The export directory; when the export is missing it is made now, in a child process
    (torch is only imported there, never in this one)."""
    if not is_exported(settings):
        log.warning(
            "exporting the embedding model to ONNX (once; `make setup` does this beforehand)"
        )
        env = {**os.environ, **settings_env(settings)}
        done = subprocess.run(
            [sys.executable, "-m", "assistant.index.onnx_export", "--if-needed", "--quiet"],
            env=env,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0 or not is_exported(settings):
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise EmbeddingModelMissing(
                f"the embedding model could not be exported to ONNX ({last}): "
                "run `make setup` (or `assistant export-onnx`)"
            )
    return export_dir(settings)


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a child process the same model settings."""
    return {
        "ASSISTANT_EMBEDDING_MODEL": settings.embedding_model,
        "ASSISTANT_MODELS_DIR": str(settings.models_dir),
        "ASSISTANT_ONNX_DIR": str(settings.onnx_dir),
    }


class OnnxEmbeddings(Embeddings):
    """LangChain ``Embeddings`` over an ONNX export: unit-normalised vectors, equal (cosine
    >= 0.9999) to the sentence-transformers model's."""

    def __init__(self, directory: Path, *, batch_threads: int = BATCH_THREADS):
        from tokenizers import Tokenizer

        info = ExportInfo.read(directory)
        if info is None:
            raise EmbeddingModelMissing(f"no ONNX export in {directory}")
        self.directory = directory
        self.info = info
        self.batch_threads = batch_threads
        self._tokenizer = Tokenizer.from_file(str(directory / TOKENIZER_FILE))
        self._tokenizer.enable_truncation(max_length=info.max_seq_length)
        self._tokenizer.no_padding()
        self._session = self._open_session()
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def _open_session(self):
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        return ort.InferenceSession(
            str(self.directory / MODEL_FILE), options, providers=["CPUExecutionProvider"]
        )

    def _feed(self, encodings) -> dict[str, np.ndarray]:
        width = max(len(e.ids) for e in encodings)

        def pad(rows):
            out = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                out[i, : len(row)] = row
            return out

        columns = {
            "input_ids": pad([e.ids for e in encodings]),
            "attention_mask": pad([e.attention_mask for e in encodings]),
            "token_type_ids": pad([e.type_ids for e in encodings]),
        }
        return {name: columns[name] for name in self._inputs}

    def embed_query(self, text: str) -> list[float]:
        encoding = self._tokenizer.encode(text)
        return self._session.run(None, self._feed([encoding]))[0][0].tolist()

    def _run(self, texts: list[str]) -> list[list[float]]:
        encodings = self._tokenizer.encode_batch(texts)
        return self._session.run(None, self._feed(encodings))[0].tolist()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        runs = [list(texts[i : i + RUN_BATCH]) for i in range(0, len(texts), RUN_BATCH)]
        if len(runs) <= 1 or self.batch_threads <= 1:
            return [v for run in runs for v in self._run(run)]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.batch_threads, thread_name_prefix="embed")
        return [v for vectors in self._pool.map(self._run, runs) for v in vectors]


def make_embeddings(settings: Settings) -> OnnxEmbeddings:
    """The configured model (fine-tuned MiniLM by default) through its ONNX export, which is
    made first if missing."""
    return OnnxEmbeddings(ensure_exported(settings))
