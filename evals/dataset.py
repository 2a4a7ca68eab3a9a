"""Question sets (schema in evals/SCHEMA.md): the tuning set and the frozen blind test set.

- ``tuning``: ``evals/gold.jsonl`` (session 1) and ``evals/tuning_extra.jsonl`` (more in-scope
  and out-of-scope questions, written from session 2 on by blind writers who never saw the test
  set: batches x, t, u, v, w, y, z, aa-ac, adv, ad, ae; evals/BLIND.md). What retrieval and
  answering may be tuned on; its failures may be read.
- ``test``: ``evals/test/*.jsonl``, one file per blind batch (who wrote each and how: BLIND.md).
  Written blind, frozen, never tuned on: only its aggregate figures are looked at.
- a batch: ``evals/test/<name>.jsonl`` alone (``--set batch:F``), for a new batch's first run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from assistant.labels import parse_article_label, unit_of

HERE = Path(__file__).parent
TUNING_PATHS = (HERE / "gold.jsonl", HERE / "tuning_extra.jsonl")
TEST_DIR = HERE / "test"


class ItemType(StrEnum):
    PARAPHRASE = "paraphrase"  # what one provision says, in the asker's own words
    DEFINITION = "definition"
    NUMERIC = "numeric"  # a number, period, date, majority or count
    MULTI_ARTICLE = "multi_article"  # needs provisions of two or more articles
    FOLLOWUP = "followup"  # only makes sense after ``history``
    DIRECT = "direct"  # names an article or paragraph
    OUT_OF_SCOPE = "out_of_scope"  # unrelated to the Convention
    NEAR_MISS = "near_miss"  # sounds close, answered only by something else
    INJECTION = "injection"  # manipulation attempts

    @property
    def declined(self) -> bool:
        return self in (ItemType.OUT_OF_SCOPE, ItemType.NEAR_MISS, ItemType.INJECTION)


class FactKind(StrEnum):
    NUMBER = "number"
    DURATION = "duration"
    ORDINAL = "ordinal"
    DATE = "date"
    DEFINED_TERM = "defined_term"
    PHRASE = "phrase"

    @property
    def automatic(self) -> bool:
        """Checked by value/term match; the others by the documented lexical check."""
        return self is not FactKind.PHRASE


@dataclass(frozen=True)
class KeyFact:
    text: str  # as the official text writes it
    kind: FactKind
    within: str  # label of the provision whose text contains it ("in" in the files)
    accept: tuple[str, ...] = ()  # plain-language equivalents a good answer may use instead


@dataclass
class EvalItem:
    id: str
    type: ItemType
    question: str
    history: list[str] = field(default_factory=list)
    gold_labels: list[str] = field(default_factory=list)
    key_facts: list[KeyFact] = field(default_factory=list)
    should_abstain: bool = False
    oos_kind: str | None = None
    asker: str = ""
    batch: str = ""

    def conversation(self, ask) -> list[tuple[str, str]]:
        """The item's earlier turns as the assistant answers them (``ask(question, history=)``
        returns an Answer), to pass as the history of its question."""
        history: list[tuple[str, str]] = []
        for q in self.history:
            history.append((q, ask(q, history=history).text))
        return history

    @property
    def gold_units(self) -> set[str]:
        """Article-level targets: ``Art. N``, ``Res. para. N``, ``Interp. note N``, a preamble,
        ``Briefing``."""
        return {unit_of(lab) for lab in self.gold_labels}

    @property
    def gold_articles(self) -> list[int]:
        return sorted({p[0] for lab in self.gold_labels if (p := parse_article_label(lab))})

    @property
    def needs_all(self) -> bool:
        """Must the answer cite every gold unit (several articles needed)?"""
        return self.type == ItemType.MULTI_ARTICLE and len(self.gold_units) > 1


def _item(raw: dict, batch: str) -> EvalItem:
    facts = [
        KeyFact(
            text=f["text"],
            kind=FactKind(f["kind"]),
            within=f["in"],
            accept=tuple(f.get("accept") or ()),
        )
        for f in raw.get("key_facts", [])
    ]
    item_type = ItemType(raw["type"])
    return EvalItem(
        id=raw["id"],
        type=item_type,
        question=raw["question"],
        history=list(raw.get("history") or []),
        gold_labels=list(raw.get("gold_labels") or []),
        key_facts=facts,
        should_abstain=bool(raw.get("should_abstain", item_type.declined)),
        oos_kind=raw.get("oos_kind"),
        asker=raw.get("asker") or "",
        batch=raw.get("batch") or batch,
    )


def load_file(path: Path) -> list[EvalItem]:
    items = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if line.strip():
                try:
                    items.append(_item(json.loads(line), path.stem))
                except (KeyError, ValueError) as exc:
                    raise ValueError(f"{path}:{n}: {exc}") from exc
    return items


def test_batches() -> list[Path]:
    return sorted(TEST_DIR.glob("*.jsonl"))


def load_set(name: str) -> list[EvalItem]:
    """``tuning``, ``test`` (every frozen batch), ``batch:<name>[,<name>...]`` or a file."""
    if name == "tuning":
        return [item for path in TUNING_PATHS for item in load_file(path)]
    if name == "test":
        return [item for path in test_batches() for item in load_file(path)]
    if name.startswith("batch:"):
        items = []
        for batch in name.split(":", 1)[1].split(","):
            path = TEST_DIR / f"{batch.strip()}.jsonl"
            if not path.exists():
                raise FileNotFoundError(f"no batch file {path}")
            items += load_file(path)
        return items
    path = Path(name)
    if path.exists():
        return load_file(path)
    raise ValueError(f"unknown question set {name!r} (tuning, test, batch:<name> or a file)")
