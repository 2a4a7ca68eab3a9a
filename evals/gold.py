"""The gold question set (schema in evals/SCHEMA.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

GOLD_PATH = Path(__file__).with_name("gold.jsonl")
ABSTAIN_TYPES = {"out_of_scope", "other_treaty", "injection"}


@dataclass
class GoldItem:
    id: str
    type: str
    question: str
    history: list[str] = field(default_factory=list)
    gold_articles: list[int] = field(default_factory=list)
    gold_labels: list[str] = field(default_factory=list)
    gold_sources: list[str] = field(default_factory=list)
    key_facts: list[str] = field(default_factory=list)
    should_abstain: bool = False
    core: bool = False

    @property
    def gold_units(self) -> set[str]:
        """Article-level targets: "Art. N", non-article labels, or "briefing"."""
        units = {f"Art. {a}" for a in self.gold_articles}
        units |= {lab for lab in self.gold_labels if not lab.startswith("Art.")}
        if "briefing" in self.gold_sources:
            units.add("briefing")
        return units


def load_gold(path: Path = GOLD_PATH, *, core_only: bool = False) -> list[GoldItem]:
    items = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                raw = json.loads(line)
                items.append(
                    GoldItem(**{k: v for k, v in raw.items() if k in GoldItem.__dataclass_fields__})
                )
    return [i for i in items if i.core] if core_only else items
