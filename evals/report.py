"""Markdown report, PNG charts and JSON summary of an evaluation run."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from evals.metrics import ItemResult, by_type

HEADLINE = [
    "recall_at_5",
    "mrr",
    "paragraph_recall_at_5",
    "cites_gold",
    "citation_precision",
    "citation_recall",
    "key_fact_coverage",
    "abstention_accuracy",
    "abstention_precision",
    "invented_citations",
    "latency_p50",
    "latency_p95",
]


def fmt(v) -> str:
    if v is None:
        return "–"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def per_chapter_recall(results: list[ItemResult], chapter_of: dict[int, int]) -> dict[int, float]:
    hits: dict[int, list[float]] = defaultdict(list)
    for r in results:
        if r.recall_at_k is None:
            continue
        for unit in r.gold_units:
            if unit.startswith("Art. "):
                ch = chapter_of.get(int(unit[5:]))
                if ch:
                    hits[ch].append(float(unit in r.retrieved_units))
    return {ch: sum(v) / len(v) for ch, v in sorted(hits.items())}


def write_report(
    out_dir: Path,
    runs: dict[str, tuple[list[ItemResult], dict]],
    chapter_of: dict[int, int],
    *,
    title: str,
) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    names = list(runs)
    ours = names[0]
    summary = {name: agg for name, (_, agg) in runs.items()}
    per_type = {name: by_type(res) for name, (res, _) in runs.items()}
    chapters = {name: per_chapter_recall(res, chapter_of) for name, (res, _) in runs.items()}
    (out_dir / "summary.json").write_text(
        json.dumps(
            {"summary": summary, "by_type": per_type, "per_chapter_recall": chapters}, indent=2
        )
    )
    _charts(out_dir, runs, chapters)

    lines = [
        f"# {title}",
        "",
        f"Items: {summary[ours]['items']}.",
        "",
        "| metric | " + " | ".join(names) + (" | ratio |" if len(names) > 1 else " |"),
        "|---|" + "---|" * len(names) + ("---|" if len(names) > 1 else ""),
    ]
    for key in HEADLINE:
        vals = [summary[n].get(key) for n in names]
        row = f"| {key} | " + " | ".join(fmt(v) for v in vals) + " |"
        if len(names) > 1:
            a, b = vals[0], vals[1]
            ratio = (a / b) if isinstance(a, (int, float)) and b else None
            row += f" {fmt(ratio)} |"
        lines.append(row)
    lines += [
        "",
        f"## Per question type ({ours})",
        "",
        "| type | n | recall@5 | MRR | cites gold | citation precision | key facts | abstention |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t, agg in per_type[ours].items():
        lines.append(
            f"| {t} | {agg['items']} | {fmt(agg['recall_at_5'])} | {fmt(agg['mrr'])} | "
            f"{fmt(agg['cites_gold'])} | {fmt(agg['citation_precision'])} | "
            f"{fmt(agg['key_fact_coverage'])} | {fmt(agg['abstention_accuracy'])} |"
        )
    lines += [
        "",
        "## Charts",
        "",
        "![Recall@5 per chapter](per_chapter_recall.png)",
        "",
        "![Latency](latency.png)",
        "",
        f"## Items that failed ({ours})",
        "",
    ]
    res = runs[ours][0]
    for r in res:
        bad = (
            r.recall_at_k == 0
            or r.cites_gold is False
            or r.abstained != r.should_abstain
            or r.invented
        )
        if bad:
            lines.append(
                f"- `{r.id}` ({r.type}) {r.question} — gold {sorted(r.gold_units)}, "
                f"retrieved {r.retrieved_units}, cited {r.cited_labels}, "
                f"abstained {r.abstained}"
            )
    path = out_dir / "report.md"
    path.write_text("\n".join(lines) + "\n")
    return path


def _charts(out_dir: Path, runs, chapters) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 3.5))
    width = 0.8 / max(1, len(chapters))
    for i, (name, per_ch) in enumerate(chapters.items()):
        xs = [c + i * width for c in per_ch]
        ax.bar(xs, list(per_ch.values()), width=width, label=name)
    ax.set_xlabel("Chapter")
    ax.set_ylabel("article recall@5")
    ax.set_ylim(0, 1.05)
    ax.set_xticks([c + 0.4 - width / 2 for c in range(1, 10)], [str(c) for c in range(1, 10)])
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "per_chapter_recall.png", dpi=110)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 3.5))
    for name, (res, _) in runs.items():
        ax.hist([r.latency * 1000 for r in res], bins=30, alpha=0.6, label=name)
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out_dir / "latency.png", dpi=110)
    plt.close(fig)
