"""Run the gold set: ``python -m evals [--core] [--baseline] [--report DIR] [--gate]
[--answerer extractive|llm|both]``.

Prints the metrics; with --report writes report.md, summary.json and PNG charts; with --gate
exits 1 when a threshold of ``evals/thresholds.toml`` is missed (the CI gate). ``--answerer``
picks the answerer measured as "ours" (default extractive, whatever ASSISTANT_LLM says); ``both``
adds an "llm" column (the model ASSISTANT_LLM names) beside the extractive one.
"""

from __future__ import annotations

import argparse
import sys
import time
import tomllib
from functools import partial
from pathlib import Path

from assistant import Assistant
from assistant.answering.support import support
from assistant.settings import Settings
from evals.gold import load_gold
from evals.metrics import aggregate, by_type, score_item
from evals.report import fmt, write_report

HERE = Path(__file__).parent


def run_ours(bot: Assistant, items, verbose: bool = False):
    known = set(bot.catalog.by_label)
    scorer = partial(support, bot.lexical)
    results = []
    for item in items:
        history = []
        for q in item.history:
            prev = bot.ask(q, history=history)
            history.append((q, prev.text))
        t0 = time.perf_counter()
        answer = bot.ask(item.question, history=history)
        latency = time.perf_counter() - t0
        retrieved = bot.retrieve(item.question, k=5, history=history)
        r = score_item(item, answer, retrieved, known_labels=known, latency=latency, support=scorer)
        results.append(r)
        if verbose and (
            r.recall_at_k == 0
            or r.cites_gold is False
            or r.abstained != r.should_abstain
            or r.invented
        ):
            print(
                f"- {r.id} [{r.type}] {r.question}\n    gold={sorted(item.gold_units)} "
                f"retrieved={r.retrieved_units} cited={r.cited_labels} "
                f"abstained={r.abstained}",
                file=sys.stderr,
            )
    return results, aggregate(results)


def run_baseline(bot: Assistant, items):
    from evals.baseline import NaiveRAG

    rag = NaiveRAG(bot)
    known = set(bot.catalog.by_label)
    results = []
    for item in items:
        question = " ".join([*item.history, item.question])  # naive: no follow-up handling
        answer, retrieved, latency = rag.run(question)
        results.append(
            score_item(
                item, answer, retrieved, known_labels=known, latency=latency, k=len(retrieved) or 5
            )
        )
    return results, aggregate(results)


def check_gate(summary: dict, thresholds: dict) -> list[str]:
    failures = []
    for key, bound in thresholds.get("min", {}).items():
        if summary.get(key) is None or summary[key] < bound:
            failures.append(f"{key} = {fmt(summary.get(key))} < {bound}")
    for key, bound in thresholds.get("max", {}).items():
        if summary.get(key) is None or summary[key] > bound:
            failures.append(f"{key} = {fmt(summary.get(key))} > {bound}")
    return failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals")
    ap.add_argument("--core", action="store_true", help="only the core subset (CI gate)")
    ap.add_argument("--baseline", action="store_true", help="also run the naive RAG baseline")
    ap.add_argument("--report", type=Path, help="write report.md, summary.json, charts here")
    ap.add_argument("--gate", action="store_true", help="exit 1 when a threshold is missed")
    ap.add_argument(
        "--gold",
        type=Path,
        default=None,
        help="question file (default evals/gold.jsonl; evals/heldout.jsonl is unseen)",
    )
    ap.add_argument(
        "--answerer",
        choices=["extractive", "llm", "both"],
        default="extractive",
        help="answerer to measure (llm and both need ASSISTANT_LLM; both: side by side)",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="list failing items")
    args = ap.parse_args(argv)

    settings = Settings()
    if args.answerer != "extractive" and not settings.llm:
        ap.error("--answerer llm/both needs ASSISTANT_LLM=provider:model (see README)")
    extractive = settings.model_copy(update={"llm": ""})
    bot = Assistant(settings if args.answerer == "llm" else extractive, progress=False)
    bot.ensure_ready()
    items = (
        load_gold(args.gold, core_only=args.core) if args.gold else load_gold(core_only=args.core)
    )
    runs = {"ours": run_ours(bot, items, args.verbose)}
    if args.answerer == "both":
        llm_bot = Assistant(settings, progress=False).ensure_ready()
        runs["llm"] = run_ours(llm_bot, items, args.verbose)
    if args.baseline:
        runs["naive-rag"] = run_baseline(bot, items)
    names = list(runs)
    print(f"{'metric':24} " + " ".join(f"{n:>10}" for n in names))
    for key in runs["ours"][1]:
        print(f"{key:24} " + " ".join(f"{fmt(runs[n][1].get(key)):>10}" for n in names))
    print("\nper type (ours): n / recall@5 / MRR / cites-gold / abstention")
    for t, agg in by_type(runs["ours"][0]).items():
        print(
            f"  {t:14} {agg['items']:3} {fmt(agg['recall_at_5']):>6} {fmt(agg['mrr']):>6} "
            f"{fmt(agg['cites_gold']):>6} {fmt(agg['abstention_accuracy']):>6}"
        )
    if args.report:
        chapter_of = {a: bot.catalog.article(a)[0].chapter for a in bot.catalog.article_numbers}
        title = "Evaluation: core subset" if args.core else "Evaluation: full gold set"
        print(f"\nreport: {write_report(args.report, runs, chapter_of, title=title)}")
    if args.gate:
        thresholds = tomllib.loads((HERE / "thresholds.toml").read_text())
        failures = check_gate(runs["ours"][1], thresholds)
        for f in failures:
            print(f"GATE FAILED: {f}")
        if failures:
            return 1
        print("gate: all thresholds met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
