"""Run the question set: ``python -m evals [--core] [--json FILE]``."""

from __future__ import annotations

import argparse
import json
import sys
import time

from assistant import Assistant
from evals.gold import load_gold
from evals.metrics import aggregate, by_type, score_item


def run(core_only: bool, verbose: bool) -> tuple[list, dict]:
    bot = Assistant(progress=False).ensure_ready()
    known = set(bot.catalog.by_label)
    items = load_gold(core_only=core_only)
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
        r = score_item(item, answer, retrieved, known_labels=known, latency=latency)
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


def fmt(v) -> str:
    return "-" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals")
    ap.add_argument("--core", action="store_true", help="only the core subset")
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("-v", "--verbose", action="store_true", help="list failing items")
    args = ap.parse_args(argv)
    results, summary = run(args.core, args.verbose)
    print(f"{'metric':24} value")
    for key, value in summary.items():
        print(f"{key:24} {fmt(value)}")
    print("\nper type: recall@5 / MRR / cites-gold / abstention")
    for t, agg in by_type(results).items():
        print(
            f"  {t:14} n={agg['items']:3} {fmt(agg['recall_at_5']):>6} {fmt(agg['mrr']):>6} "
            f"{fmt(agg['cites_gold']):>6} {fmt(agg['abstention_accuracy']):>6}"
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"summary": summary, "by_type": by_type(results)}, fh, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
