"""Structural checks of a question file before it joins a set:
``python -m evals.validate evals/test/F.jsonl``.

Every gold label names a provision of the index (or covers some: ``Art. 42``, ``Conv.
preamble``, ``Briefing``); every key fact occurs in the provision its ``in`` names and that
provision is one of the item's gold labels; follow-ups have history and nothing else does;
items to decline have no gold. It reads the items only to check their form: it prints no
question text, so a blind batch can be checked before its first run without being read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant import Assistant
from assistant.labels import labels_overlap
from evals.dataset import ItemType, load_file
from evals.text import normalise


def problems(path: Path, bot: Assistant) -> list[str]:
    chunks = bot.catalog.chunks
    labels = {c.label for c in chunks}
    out = []
    for item in load_file(path):

        def texts(label: str) -> str:
            return " ".join(c.sentence() for c in chunks if labels_overlap(label, c.label))

        for lab in item.gold_labels:
            if not any(labels_overlap(lab, known) for known in labels):
                out.append(f"{item.id}: unknown gold label {lab!r}")
        for f in item.key_facts:
            if f.within not in item.gold_labels:
                out.append(f"{item.id}: a key fact's provision {f.within!r} is not a gold label")
            if normalise(f.text) not in normalise(texts(f.within)):
                out.append(f"{item.id}: a key fact does not occur in {f.within!r}")
        if (item.type == ItemType.FOLLOWUP) != bool(item.history):
            out.append(f"{item.id}: history must be given exactly for follow-ups")
        if item.should_abstain and (item.gold_labels or item.key_facts):
            out.append(f"{item.id}: an item to decline has gold labels or key facts")
        if not item.should_abstain and not item.gold_labels:
            out.append(f"{item.id}: an in-scope item without gold labels")
    return out


def main(argv: list[str] | None = None) -> int:
    paths = [Path(p) for p in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        print("usage: python -m evals.validate FILE.jsonl [...]", file=sys.stderr)
        return 2
    bot = Assistant(progress=False).ensure_ready()
    bad = 0
    for path in paths:
        found = problems(path, bot)
        bad += len(found)
        for p in found:
            print(p)
        print(f"{path}: {len(load_file(path))} items, {len(found)} problems")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
