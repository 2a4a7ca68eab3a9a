"""Export the configured sentence-transformers model to ONNX (``assistant export-onnx``).

Run at set-up (``make onnx``, part of ``make setup``) and, if it was not, once in a child
process the first time the model is needed. It loads the model with sentence-transformers
(torch, local files only), wraps transformer + pooling + normalisation into one module, exports
it with torch's ONNX exporter (dynamic batch and sequence axes) and checks that ONNX Runtime
gives the same vectors as the torch model (cosine >= 0.9999 on check sentences of every length
up to the model's limit) before it moves the files into place, so a failed or interrupted
export never leaves a half-written model. ``--if-needed`` keeps an export of the same model.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import asdict
from pathlib import Path

from assistant.index.embeddings import (
    META_FILE,
    MODEL_FILE,
    TOKENIZER_FILE,
    ExportInfo,
    OnnxEmbeddings,
    export_dir,
    is_exported,
)
from assistant.settings import FINETUNED, Settings

log = logging.getLogger(__name__)

MIN_COSINE = 0.9999
CHECK_SENTENCES = [
    "Can police make a provider hand over subscriber data?",
    "When does the Convention enter into force?",
    "x",
    "Every State Party must make it a crime under its own law to get into all or part of a "
    "computer system on purpose and without right, and must give its police the powers that "
    "such cases need. " * 12,  # longer than the model's limit: truncation must agree too
]


def torch_vectors(model, texts: list[str]):
    return model.encode(texts, normalize_embeddings=True, convert_to_numpy=True)


def agreement(model, embeddings: OnnxEmbeddings, texts: list[str]) -> float:
    """Smallest cosine between the torch model's and the ONNX export's vectors (one by one as
    questions are embedded, and as one padded batch as documents are)."""
    import numpy as np

    reference = torch_vectors(model, texts)
    single = np.array([embeddings.embed_query(t) for t in texts])
    batch = np.array(embeddings.embed_documents(texts))
    cosines = [
        float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
        for got in (single, batch)
        for a, b in zip(got, reference, strict=True)
    ]
    return min(cosines)


def export(settings: Settings, *, if_needed: bool = False) -> tuple[Path, float, bool]:
    """Export the configured model; returns (directory, seconds, exported)."""
    out = export_dir(settings)
    if if_needed and is_exported(settings):
        return out, 0.0, False
    import torch
    from sentence_transformers import SentenceTransformer

    start = time.perf_counter()
    source = settings.embedding_model_path
    model = SentenceTransformer(source, device="cpu", local_files_only=True).eval()

    class Encoder(torch.nn.Module):
        """Token ids -> unit sentence vectors (the whole sentence-transformers pipeline)."""

        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            features = {
                "input_ids": input_ids,
                "attention_mask": attention_mask,
                "token_type_ids": token_type_ids,
            }
            return self.model(features)["sentence_embedding"]

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = model.tokenizer(CHECK_SENTENCES[:2], padding=True, return_tensors="pt")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        batch, seq = torch.export.Dim("batch"), torch.export.Dim("sequence")
        with torch.no_grad():
            program = torch.onnx.export(
                Encoder().eval(),
                tuple(sample[n] for n in names),
                input_names=names,
                output_names=["sentence_embedding"],
                dynamic_shapes={n: {0: batch, 1: seq} for n in names},
                dynamo=True,
                external_data=False,
                verbose=False,
            )
        program.save(str(work / MODEL_FILE))
        model.tokenizer.backend_tokenizer.save(str(work / TOKENIZER_FILE))
        dimension = int(model.get_embedding_dimension())
        info = ExportInfo(
            model_id=settings.embedding_model_id,
            source=source,
            max_seq_length=int(model.max_seq_length),
            dimension=dimension,
            min_cosine=0.0,
        )
        (work / META_FILE).write_text(json.dumps(asdict(info), indent=1) + "\n")
        cosine = agreement(model, OnnxEmbeddings(work), CHECK_SENTENCES)
        if cosine < MIN_COSINE:
            raise RuntimeError(f"ONNX export disagrees with the torch model (cosine {cosine:.6f})")
        info = ExportInfo(**{**asdict(info), "min_cosine": round(cosine, 8)})
        (work / META_FILE).write_text(json.dumps(asdict(info), indent=1) + "\n")
        work.chmod(0o755)
        if out.exists():
            shutil.rmtree(out)
        work.rename(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    _prune(out)
    return out, time.perf_counter() - start, True


def _prune(current: Path) -> None:
    """Drop exports of earlier versions of our fine-tuned model (``convention-minilm-<hash>``)."""
    if not current.name.startswith(FINETUNED + "-"):
        return
    for other in current.parent.glob(f"{FINETUNED}-*"):
        if other != current and other.is_dir() and not other.name.startswith("."):
            shutil.rmtree(other, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m assistant.index.onnx_export")
    ap.add_argument("--if-needed", action="store_true", help="keep an export of the same model")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for name in ("torch.onnx", "onnxscript", "onnx_ir"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"torch\.onnx\..*")
    path, seconds, exported = export(Settings(), if_needed=args.if_needed)
    if not args.quiet:
        info = ExportInfo.read(path)
        what = f"exported in {seconds:.0f} s" if exported else "up to date"
        print(f"ONNX embedding model {what}: {path} (cosine to torch >= {info.min_cosine})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
