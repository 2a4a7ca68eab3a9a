"""In-domain fine-tuning of the packaged embedding model (``assistant finetune``).

Training pairs come from our own data only: each plain-language question of the question index
(``corpus/provisions``) and each summary, paired with the official text of its provision
(heading, lead-in, text, closing words, as indexed). MultipleNegativesRankingLoss treats the
other provisions of a batch as negatives; a batch never holds two pairs of the same provision.
The evaluation questions are never used. The model is saved in
``<models dir>/convention-minilm`` with ``training.json`` (the hash of its training data and
parameters): the index records that identity, so a retrained model
rebuilds the index, and ``--if-needed`` skips training when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import shutil
import time
from pathlib import Path

from assistant.documents.provision_notes import load_notes
from assistant.labels import unit_of
from assistant.settings import Settings

log = logging.getLogger(__name__)

SEED = 243


def training_pairs(
    settings: Settings, texts: dict[str, str], *, paraphrases: bool = False
) -> list[tuple[str, str]]:
    """(question or summary, provision text) for every note whose label is indexed; with
    ``paraphrases``, also (question, summary) and (question, another question on the same
    provision), so that two ways of asking the same thing end up close together."""
    pairs = []
    for label, note in load_notes(settings.provisions_dir).items():
        if label not in texts:
            continue
        questions = [q.text for q in note.questions]
        pairs += [(q, texts[label]) for q in questions]
        pairs.append((note.summary, texts[label]))
        if paraphrases:
            pairs += [(q, note.summary) for q in questions]
            pairs += [(a, b) for i, a in enumerate(questions) for b in questions[i + 1 :]]
    return pairs


def with_hard_negatives(
    texts: dict[str, str], pairs: list[tuple[str, str]]
) -> list[tuple[str, str, str]]:
    """(anchor, provision, a sibling provision of the same article): the negative that teaches
    the model which paragraph of an article answers, not only which article. A provision with
    no sibling gets another provision of the index, chosen with the fixed seed."""
    by_text = {text: label for label, text in texts.items()}
    siblings: dict[str, list[str]] = {}
    for label in texts:
        siblings.setdefault(unit_of(label), []).append(label)
    rng = random.Random(SEED)
    labels = sorted(texts)
    out = []
    for anchor, positive in pairs:
        label = by_text[positive]
        others = [x for x in siblings[unit_of(label)] if x != label and texts[x] != positive]
        other = rng.choice(others) if others else rng.choice([x for x in labels if x != label])
        out.append((anchor, positive, texts[other]))
    return out


def data_hash(pairs: list[tuple[str, str]], **params) -> str:
    """What the model is a function of: the training pairs and the training parameters."""
    payload = json.dumps([sorted(pairs), sorted(params.items())], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def is_current(out_dir: Path, digest: str) -> bool:
    meta = out_dir / "training.json"
    return meta.exists() and json.loads(meta.read_text()).get("data_hash") == digest


def finetune(
    settings: Settings,
    texts: dict[str, str],
    out_dir: Path,
    *,
    epochs: int = 1,
    batch_size: int = 32,
    learning_rate: float = 3e-5,
    if_needed: bool = False,
    paraphrases: bool = False,
    hard_negatives: bool = False,
) -> tuple[Path, float, int, bool]:
    """Train from the packaged model; returns (model dir, seconds, pairs, trained). With
    ``if_needed``, a model already trained on the same data and parameters is kept."""
    import torch
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
    )
    from sentence_transformers.losses import MultipleNegativesRankingLoss
    from sentence_transformers.training_args import BatchSamplers

    start = time.perf_counter()
    pairs = training_pairs(settings, texts, paraphrases=paraphrases)
    params = dict(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, seed=SEED)
    if hard_negatives:
        params["hard_negatives"] = True
    digest = data_hash(pairs, **params)
    if if_needed and is_current(out_dir, digest):
        return out_dir, 0.0, len(pairs), False
    torch.manual_seed(SEED)
    random.seed(SEED)
    random.Random(SEED).shuffle(pairs)
    model = SentenceTransformer(settings.base_embedding_model_path, device="cpu")
    columns = {"anchor": [a for a, _ in pairs], "positive": [p for _, p in pairs]}
    if hard_negatives:
        columns["negative"] = [n for _, _, n in with_hard_negatives(texts, pairs)]
    data = Dataset.from_dict(columns)
    args = SentenceTransformerTrainingArguments(
        output_dir=str(out_dir / "checkpoints"),
        num_train_epochs=epochs,
        per_device_train_batch_size=batch_size,
        learning_rate=learning_rate,
        warmup_ratio=0.1,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        save_strategy="no",
        logging_steps=20,
        report_to="none",
        seed=SEED,
        use_cpu=True,
        dataloader_num_workers=0,
    )
    trainer = SentenceTransformerTrainer(
        model=model, args=args, train_dataset=data, loss=MultipleNegativesRankingLoss(model)
    )
    trainer.train()
    model.save(str(out_dir))
    shutil.rmtree(out_dir / "checkpoints", ignore_errors=True)
    seconds = time.perf_counter() - start
    meta = {"data_hash": digest, "pairs": len(pairs), "seconds": round(seconds), **params}
    (out_dir / "training.json").write_text(json.dumps(meta, indent=1) + "\n")
    return out_dir, seconds, len(pairs), True
