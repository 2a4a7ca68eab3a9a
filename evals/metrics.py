"""Per-item metrics of an answer against a gold item, and their aggregation."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from assistant.labels import parse_article_label
from assistant.models import Answer, Passage
from evals.gold import GoldItem

LAST_ARTICLE = 68


def unit_of(label: str, source: str, article: int | None) -> str:
    if source == "convention" and article is not None:
        return f"Art. {article}"
    if source == "briefing":
        return "briefing"
    return label


def passage_unit(p: Passage) -> str:
    return unit_of(p.label, p.source, p.article)


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(re.sub(r"[^\w'\"/ -]", " ", text).split())


@dataclass
class ItemResult:
    id: str
    type: str
    question: str
    should_abstain: bool
    abstained: bool
    retrieved_units: list[str]
    cited_units: list[str]
    cited_labels: list[str]
    recall_at_k: float | None  # share of gold units in the top k (None: nothing to retrieve)
    reciprocal_rank: float | None
    cites_gold: bool | None  # None when the item should be abstained on, or was
    invented: list[str] = field(default_factory=list)
    facts_found: float | None = None
    latency: float = 0.0
    answer: str = ""


def score_item(
    item: GoldItem,
    answer: Answer,
    retrieved: list[Passage],
    *,
    known_labels: set[str],
    latency: float,
    k: int = 5,
) -> ItemResult:
    units = [passage_unit(p) for p in retrieved[:k]]
    gold = item.gold_units
    recall = rr = None
    if gold and not item.should_abstain:
        recall = len(gold & set(units)) / len(gold)
        rr = next((1.0 / (i + 1) for i, u in enumerate(units) if u in gold), 0.0)
    cited_units = [unit_of(c.label, c.source, c.article) for c in answer.citations]
    cites_gold = None
    if not item.should_abstain and not answer.abstained:
        cites_gold = bool(gold & set(cited_units))
    facts = None
    if item.key_facts and not item.should_abstain:
        text = normalise(answer.text)
        facts = sum(normalise(f) in text for f in item.key_facts) / len(item.key_facts)
    return ItemResult(
        id=item.id,
        type=item.type,
        question=item.question,
        should_abstain=item.should_abstain,
        abstained=answer.abstained,
        retrieved_units=units,
        cited_units=cited_units,
        cited_labels=[c.label for c in answer.citations],
        recall_at_k=recall,
        reciprocal_rank=rr,
        cites_gold=cites_gold,
        invented=invented_citations(answer, known_labels),
        facts_found=facts,
        latency=latency,
        answer=answer.text,
    )


def invented_citations(answer: Answer, known_labels: set[str]) -> list[str]:
    """Cited labels that name no indexed provision, or an article the Convention lacks."""
    bad = []
    for c in answer.citations:
        parsed = parse_article_label(c.label)
        if c.label not in known_labels or (parsed and not 1 <= parsed[0] <= LAST_ARTICLE):
            bad.append(c.label)
    for m in re.finditer(r"\[Art\. (\d+)", answer.text):
        if not 1 <= int(m.group(1)) <= LAST_ARTICLE:
            bad.append(m.group(0)[1:])
    return bad


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.fmean(vals) if vals else None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    idx = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[idx]


def aggregate(results: list[ItemResult]) -> dict:
    answerable = [r for r in results if not r.should_abstain]
    abstain = [r for r in results if r.should_abstain]
    answered = [r for r in answerable if not r.abstained]
    lat = [r.latency for r in results]
    return {
        "items": len(results),
        "recall_at_5": _mean([r.recall_at_k for r in results]),
        "mrr": _mean([r.reciprocal_rank for r in results]),
        "cites_gold": _mean([float(r.cites_gold) for r in answered if r.cites_gold is not None]),
        "answered_share": len(answered) / len(answerable) if answerable else None,
        "abstention_accuracy": (
            sum(r.abstained for r in abstain) / len(abstain) if abstain else None
        ),
        "false_abstentions": sum(r.abstained for r in answerable),
        "key_fact_coverage": _mean([r.facts_found for r in answered]),
        "invented_citations": sum(len(r.invented) for r in results),
        "latency_p50": percentile(lat, 0.5),
        "latency_p95": percentile(lat, 0.95),
    }


def by_type(results: list[ItemResult]) -> dict[str, dict]:
    types = sorted({r.type for r in results})
    return {t: aggregate([r for r in results if r.type == t]) for t in types}
