"""Per-item metrics of an answer against a gold item, and their aggregation."""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from assistant.answering.support import SUPPORT_THRESHOLD  # shared with the LLM verifier
from assistant.labels import label_covers, labels_in, parse_article_label
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
    gold_units: list[str] = field(default_factory=list)
    paragraph_recall: float | None = None  # share of gold provision labels retrieved (top k)
    citation_precision: float | None = None  # ALCE: citations whose passage supports the sentence
    citation_recall: float | None = None  # ALCE: sentences with a supporting citation


def score_item(
    item: GoldItem,
    answer: Answer,
    retrieved: list[Passage],
    *,
    known_labels: set[str],
    latency: float,
    k: int = 5,
    support=None,
) -> ItemResult:
    """``support(sentence, passages) -> float`` scores citation support (see citation_scores)."""
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
    para = None
    gold_labels = [g for g in item.gold_labels if g.startswith("Art.")]
    if gold_labels and not item.should_abstain:
        got = [p.label for p in retrieved[:k]]
        para = sum(
            any(label_covers(g, r) or label_covers(r, g) for r in got) for g in gold_labels
        ) / len(gold_labels)
    precision = recall_c = None
    if support is not None and not answer.abstained and answer.citations:
        precision, recall_c = citation_scores(answer, support)
    return ItemResult(
        gold_units=sorted(gold),
        paragraph_recall=para,
        citation_precision=precision,
        citation_recall=recall_c,
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


def citation_scores(
    answer: Answer, support, threshold: float = SUPPORT_THRESHOLD
) -> tuple[float, float]:
    """ALCE-style citation precision and recall over the answer's sentences.

    A sentence is the text up to and including its bracketed labels. A citation is precise when
    its own passage supports the sentence (support >= threshold); a sentence is recalled when
    its citations together support it.
    """
    by_label = {p.label: p for p in answer.passages}
    for c in answer.citations:
        by_label.setdefault(c.label, None)
    cited = good = sentences = supported = 0
    for sentence in re.findall(r"[^\[\]]+?(?:\[[^\]]+\])+", answer.text):
        labels = labels_in(sentence)
        claim = re.sub(r"\[[^\]]+\]", "", sentence).strip()
        passages = [by_label.get(lab) for lab in labels]
        passages = [p for p in passages if p is not None]
        sentences += 1
        for p in passages:
            cited += 1
            good += support(claim, [p]) >= threshold
        if passages and support(claim, passages) >= threshold:
            supported += 1
    return (good / cited if cited else 0.0), (supported / sentences if sentences else 0.0)


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
        "paragraph_recall_at_5": _mean([r.paragraph_recall for r in results]),
        "citation_precision": _mean([r.citation_precision for r in answered]),
        "citation_recall": _mean([r.citation_recall for r in answered]),
        "abstention_precision": (
            sum(r.should_abstain for r in results if r.abstained)
            / max(1, sum(r.abstained for r in results))
        ),
        "invented_citations": sum(len(r.invented) for r in results),
        "latency_p50": percentile(lat, 0.5),
        "latency_p95": percentile(lat, 0.95),
    }


def by_type(results: list[ItemResult]) -> dict[str, dict]:
    types = sorted({r.type for r in results})
    return {t: aggregate([r for r in results if r.type == t]) for t in types}
