"""Independent relevance judgements of the answers' citations, and the padding they measure.

The gold labels of an item name the provisions its writer had in mind; they are not a complete
list of what answers. ``padded_citations`` (evals/metrics.py) counts every other citation as
padding unless its quote holds a key fact, so it overstates padding where a citation answers
but was not listed, and understates it where a quote holds a key fact's words but answers
another question. The issue's definition is the reader's one: a citation is padding when it
"answers a different question".

So citations are also judged, one by one, by a reader who sees only the question (with its
earlier turns) and the cited provision's text: ``answers``, ``context`` (needed beside the
answer: a definition it turns on, the paragraph it applies) or ``different``. Judges are helpers
who see neither the code, the gold labels nor the sets; each batch mixes in gold citations as
controls (a judge who calls them ``different`` is not to be trusted). Verdicts are stored, without
the provision text, in ``evals/judgments/<set>.jsonl``, keyed by question, earlier turns and
label, so that the same citation is never judged twice.

``judged_padding`` (see :func:`evals.metrics.aggregate`): the share of citations that are not gold
and are judged ``different``, a citation nobody has judged yet counting as padding (so a change
that cites something new cannot look better until it is judged); ``unjudged_citations`` says how
many there are.

    python -m evals.judgments write --set test --out DIR   # the unjudged citations + controls
    python -m evals.judgments merge DIR --set test        # fold DIR/verdicts.jsonl back in
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

HERE = Path(__file__).parent
STORE = HERE / "judgments"
INSTRUCTIONS = HERE / "judging_instructions.md"
CONTROLS = 0.15  # share of a batch that are gold citations, mixed in as controls


class Verdict(StrEnum):
    ANSWERS = "answers"
    CONTEXT = "context"
    DIFFERENT = "different"


Key = tuple[str, tuple[str, ...], str]  # question, earlier questions, cited label


def key_of(question: str, earlier: list[str] | tuple[str, ...], label: str) -> Key:
    return (" ".join(question.split()), tuple(" ".join(q.split()) for q in earlier), label)


@dataclass(frozen=True)
class Judgments:
    verdicts: dict[Key, Verdict]

    @classmethod
    def load(cls, directory: Path = STORE) -> Judgments:
        out: dict[Key, Verdict] = {}
        for path in sorted(directory.glob("*.jsonl")):
            for line in path.read_text().splitlines():
                if line.strip():
                    r = json.loads(line)
                    out[key_of(r["question"], r["earlier"], r["label"])] = Verdict(r["verdict"])
        return cls(out)

    def get(self, question: str, earlier: list[str], label: str) -> Verdict | None:
        return self.verdicts.get(key_of(question, earlier, label))


def _store_path(set_name: str) -> Path:
    return STORE / f"{set_name.replace('batch:', '').replace(',', '-')}.jsonl"


def write(set_name: str, out: Path, seed: int = 243) -> int:
    """The citations of our answers on ``set_name`` that are not judged yet (all of them, gold
    ones sampled as controls), with the provision's text, for a judge."""
    from assistant import Assistant
    from assistant.labels import labels_overlap
    from evals.dataset import load_set

    bot = Assistant(progress=False).ensure_ready()
    known = Judgments.load()
    todo, gold = [], []
    for item in load_set(set_name):
        if item.should_abstain:
            continue
        answer = bot.ask(item.question, history=item.conversation(bot.ask))
        for c in answer.citations:
            if known.get(item.question, item.history, c.label) is not None:
                continue
            chunks = bot.catalog.by_label.get(c.label)
            text = chunks[0].search_text() if chunks else c.quote
            record = {
                "earlier_questions": list(item.history),
                "question": item.question,
                "cited": c.label,
                "provision_text": text,
            }
            is_gold = any(labels_overlap(g, c.label) for g in item.gold_labels)
            (gold if is_gold else todo).append(record)
    rng = random.Random(seed)
    controls = rng.sample(gold, min(len(gold), round(len(todo) * CONTROLS / (1 - CONTROLS))))
    records = todo + controls
    rng.shuffle(records)
    out.mkdir(parents=True, exist_ok=True)
    with (out / "records.jsonl").open("w") as f:
        for i, r in enumerate(records):
            f.write(json.dumps({"rid": f"r{i:04d}", **r}, ensure_ascii=False) + "\n")
    (out / "INSTRUCTIONS.md").write_text(INSTRUCTIONS.read_text())
    return len(records)


def merge(directory: Path, set_name: str) -> int:
    """Fold a judge's ``verdicts.jsonl`` into ``evals/judgments/<set>.jsonl`` (no provision
    text is kept)."""
    records = {
        r["rid"]: r for r in map(json.loads, (directory / "records.jsonl").read_text().splitlines())
    }
    verdicts = [json.loads(x) for x in (directory / "verdicts.jsonl").read_text().splitlines()]
    missing = set(records) - {v["rid"] for v in verdicts}
    if missing:
        raise SystemExit(f"{len(missing)} records have no verdict, e.g. {sorted(missing)[:3]}")
    path = _store_path(set_name)
    STORE.mkdir(exist_ok=True)
    with path.open("a") as f:
        for v in verdicts:
            r = records[v["rid"]]
            row = {
                "question": r["question"],
                "earlier": r["earlier_questions"],
                "label": r["cited"],
                "verdict": Verdict(v["verdict"]).value,
                "why": v.get("why", ""),
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(verdicts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.judgments")
    sub = ap.add_subparsers(dest="action", required=True)
    w = sub.add_parser("write", help="write the unjudged citations of a set for a judge")
    w.add_argument("--set", required=True)
    w.add_argument("--out", type=Path, required=True)
    m = sub.add_parser("merge", help="store a judge's verdicts")
    m.add_argument("directory", type=Path)
    m.add_argument("--set", required=True)
    args = ap.parse_args(argv)
    if args.action == "write":
        print(f"{write(args.set, args.out)} citations to judge: {args.out}/records.jsonl")
    else:
        print(f"{merge(args.directory, args.set)} verdicts stored in {_store_path(args.set)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
