"""Per-item scores of an answer against an evaluation item, and their aggregation.

Retrieval (the top 5 passages ``Assistant.retrieve`` returns: one per article, two for the
leading ones):
  recall@5 / MRR at article level (gold units: ``Art. N``, ``Res. para. N``, ``Interp. note N``,
  a preamble, ``Briefing``) and at paragraph level (gold labels; a retrieved label counts when
  it is, covers or is covered by a gold label).
Answers:
  cites_gold            the answer cites a gold unit (answered in-scope items)
  cites_gold_paragraph  ... a gold provision at paragraph level
  leads_with_gold       the answer's first citation (the provision its direct reply opens
                        with) is of a gold unit (answered in-scope items)
  all_gold_cited        every gold unit cited (multi-article items)
  key_facts             share of the item's key facts stated and cited (evals/facts.py); an
                        abstention states none (all in-scope items)
  padded_citations      citations that are not gold and whose quote holds no key fact, as a
                        share of all citations
  judged_padding        citations that are not gold and that an independent reader judged to
                        answer a different question (evals/judgments.py), or that nobody has
                        judged yet, as a share of all citations; unjudged_citations: how many
                        were not judged yet
  judge_support         share of cited claims the independent judge supports (evals/judge.py)
  false_abstentions     in-scope items declined
  abstention_*          declined share of near misses, unrelated questions, injections
  invented_citations    labels that name no provision of the index or no real article
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from assistant.labels import labels_overlap, parse_article_label, unit_of
from assistant.models import Answer, Passage
from evals.dataset import EvalItem, ItemType
from evals.facts import fact_in_text, fact_supported, states
from evals.judge import CitationJudge
from evals.judgments import Judgments, Verdict


@dataclass
class ItemResult:
    id: str
    type: str
    question: str
    should_abstain: bool
    abstained: bool
    chapters: list[str] = field(default_factory=list)
    history: list[str] = field(default_factory=list)
    gold_labels: list[str] = field(default_factory=list)
    retrieved: list[str] = field(default_factory=list)  # labels of the top 5
    cited_labels: list[str] = field(default_factory=list)
    recall_art: float | None = None
    rr_art: float | None = None
    recall_para: float | None = None
    rr_para: float | None = None
    cites_gold: float | None = None
    cites_gold_paragraph: float | None = None
    leads_with_gold: float | None = None
    all_gold_cited: float | None = None
    key_facts: float | None = None
    key_facts_text: float | None = None  # stated anywhere in the text, cited or not
    facts: list[tuple[str, bool]] = field(default_factory=list)
    citations: int = 0
    padded: int = 0
    judged_padded: int | None = None  # None: scored without relevance judgements
    unjudged: int = 0
    claims: int = 0
    supported_claims: int = 0
    judge_reasons: list[str] = field(default_factory=list)
    invented: list[str] = field(default_factory=list)
    latency: float = 0.0
    answer: str = ""
    oos_kind: str | None = None


def _ranks(gold: list[str], got: list[str], match) -> tuple[float, float]:
    found = [g for g in gold if any(match(g, r) for r in got)]
    rr = next((1.0 / (i + 1) for i, r in enumerate(got) if any(match(g, r) for g in gold)), 0.0)
    return len(found) / len(gold), rr


def score_item(
    item: EvalItem,
    answer: Answer,
    retrieved: list[Passage],
    *,
    known_labels: set[str],
    last_article: int,
    judge: CitationJudge | None,
    chapter_of: dict[int, int],
    latency: float,
    k: int = 5,
    judgments: Judgments | None = None,
) -> ItemResult:
    labels = [p.label for p in retrieved[:k]]
    r = ItemResult(
        id=item.id,
        type=item.type.value,
        question=item.question,
        history=list(item.history),
        should_abstain=item.should_abstain,
        abstained=answer.abstained,
        gold_labels=list(item.gold_labels),
        retrieved=labels,
        cited_labels=[c.label for c in answer.citations],
        latency=latency,
        answer=answer.text,
        oos_kind=item.oos_kind,
        chapters=chapters_of(item, chapter_of),
    )
    r.invented = invented_citations(answer, known_labels, last_article)
    if item.should_abstain:
        return r
    gold_units = sorted(item.gold_units)
    r.recall_art, r.rr_art = _ranks(
        gold_units, [unit_of(lab) for lab in labels], lambda g, x: g == x
    )
    r.recall_para, r.rr_para = _ranks(item.gold_labels, labels, labels_overlap)
    facts = item.key_facts
    if answer.abstained:
        r.key_facts = 0.0 if facts else None
        r.key_facts_text = r.key_facts
        return r
    cited = r.cited_labels
    cited_units = {unit_of(lab) for lab in cited}
    r.cites_gold = float(bool(cited_units & set(gold_units)))
    r.cites_gold_paragraph = float(
        any(labels_overlap(g, c) for g in item.gold_labels for c in cited)
    )
    r.leads_with_gold = float(bool(cited) and unit_of(cited[0]) in gold_units)
    if item.needs_all:
        r.all_gold_cited = float(set(gold_units) <= cited_units)
    if facts:
        verdicts = [fact_supported(f, answer) for f in facts]
        r.facts = [(f.text, v) for f, v in zip(facts, verdicts, strict=True)]
        r.key_facts = sum(verdicts) / len(facts)
        r.key_facts_text = sum(fact_in_text(f, answer.text) for f in facts) / len(facts)
    r.citations = len(answer.citations)
    if judgments is not None:
        r.judged_padded = 0
    for c in answer.citations:
        is_gold = any(labels_overlap(g, c.label) for g in item.gold_labels)
        holds_fact = any(states(f, c.quote) for f in facts)
        r.padded += not is_gold and not holds_fact
        if judgments is not None and not is_gold:
            verdict = judgments.get(item.question, item.history, c.label)
            r.unjudged += verdict is None
            r.judged_padded += verdict in (None, Verdict.DIFFERENT)
    if judge is not None:
        verdicts = judge.answer(answer)
        r.claims = len(verdicts)
        r.supported_claims = sum(v.supported for v in verdicts)
        r.judge_reasons = [f"{v.labels}: {'; '.join(v.reasons)}" for v in verdicts if v.reasons]
    return r


def chapters_of(item: EvalItem, chapter_of: dict[int, int]) -> list[str]:
    """Where the item's gold lies: "Ch. N" for articles, else resolution / notes / ..."""
    out = set()
    for lab in item.gold_labels:
        parsed = parse_article_label(lab)
        if parsed and parsed[0] in chapter_of:
            out.add(f"Ch. {chapter_of[parsed[0]]}")
        elif lab.startswith("Res."):
            out.add("resolution")
        elif lab.startswith("Interp."):
            out.add("notes")
        elif lab.startswith("Conv."):
            out.add("Ch. 0 (preamble)")
        else:
            out.add("briefing")
    return sorted(out)


def invented_citations(answer: Answer, known_labels: set[str], last_article: int) -> list[str]:
    """Cited labels that name no indexed provision, or an article the Convention lacks."""
    bad = []
    for c in answer.citations:
        parsed = parse_article_label(c.label)
        if c.label not in known_labels or (parsed and not 1 <= parsed[0] <= last_article):
            bad.append(c.label)
    for m in re.finditer(r"\[Art\. (\d+)", answer.text):
        if not 1 <= int(m.group(1)) <= last_article:
            bad.append(m.group(0)[1:])
    return bad


def _mean(values) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.fmean(vals) if vals else None


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# metric name -> how each item contributes (None: not counted); the report bootstraps these.
def item_values(results: list[ItemResult]) -> dict[str, list[float | None]]:
    inscope = [r for r in results if not r.should_abstain]
    answered = [r for r in inscope if not r.abstained]

    def declined(kind: set[str]) -> list[float | None]:
        return [float(r.abstained) for r in results if r.should_abstain and r.type in kind]

    return {
        "recall_at_5": [r.recall_art for r in inscope],
        "mrr": [r.rr_art for r in inscope],
        "paragraph_recall_at_5": [r.recall_para for r in inscope],
        "paragraph_mrr": [r.rr_para for r in inscope],
        "cites_gold": [r.cites_gold for r in answered],
        "cites_gold_paraphrase": [r.cites_gold for r in answered if r.type == "paraphrase"],
        "cites_gold_paragraph": [r.cites_gold_paragraph for r in answered],
        "leads_with_gold": [r.leads_with_gold for r in answered],
        "all_gold_cited": [r.all_gold_cited for r in answered],
        "key_facts": [r.key_facts for r in inscope],
        "key_facts_text": [r.key_facts_text for r in inscope],
        "judge_support": [r.supported_claims / r.claims if r.claims else None for r in answered],
        "false_abstention_rate": [float(r.abstained) for r in inscope],
        "abstention_near_miss": declined({ItemType.NEAR_MISS.value}),
        "abstention_out_of_scope": declined({ItemType.OUT_OF_SCOPE.value}),
        "abstention_injection": declined({ItemType.INJECTION.value}),
        "abstention_all": [float(r.abstained) for r in results if r.should_abstain],
    }


def aggregate(results: list[ItemResult]) -> dict:
    out: dict = {"items": len(results)}
    out["in_scope"] = sum(not r.should_abstain for r in results)
    out["declined_items"] = sum(r.should_abstain for r in results)
    for key, values in item_values(results).items():
        out[key] = _mean(values)
    cites = sum(r.citations for r in results)
    out["padded_citations"] = sum(r.padded for r in results) / cites if cites else None
    judged = [r for r in results if r.judged_padded is not None]
    judged_cites = sum(r.citations for r in judged)
    out["judged_padding"] = (
        sum(r.judged_padded for r in judged) / judged_cites if judged_cites else None
    )
    out["unjudged_citations"] = sum(r.unjudged for r in judged) if judged else None
    out["false_abstentions"] = sum(r.abstained for r in results if not r.should_abstain)
    out["invented_citations"] = sum(len(r.invented) for r in results)
    lat = [r.latency for r in results]
    out["latency_p50"] = percentile(lat, 0.5)
    out["latency_p95"] = percentile(lat, 0.95)
    return out


def group_by(results: list[ItemResult], key) -> dict[str, dict]:
    groups: dict[str, list[ItemResult]] = {}
    for r in results:
        for g in key(r):
            groups.setdefault(g, []).append(r)
    return {g: aggregate(rs) for g, rs in sorted(groups.items())}


def by_type(results: list[ItemResult]) -> dict[str, dict]:
    return group_by(results, lambda r: [r.type])


def by_chapter(results: list[ItemResult]) -> dict[str, dict]:
    return group_by([r for r in results if not r.should_abstain], lambda r: r.chapters)
