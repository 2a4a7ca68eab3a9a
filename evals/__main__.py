"""Run a question set: ``python -m evals [--set tuning|test|batch:NAME] [--baseline]
[--report DIR] [--gate] [--blind-log] [--answerer extractive|llm|both] [-v]``.

- ``--set tuning`` (default) is the set tuning may look at; ``-v`` lists its failing items.
- ``--set test`` is the frozen blind test set: aggregate figures only, ``-v`` is refused.
- ``--gate`` exits 1 when a figure misses ``evals/thresholds.toml`` (the CI gate on the test set).
- ``--blind-log`` (with ``--set batch:NAME``) records a new blind batch's first run in
  ``evals/reports/blind-log.md``; it refuses a batch that already has a first run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import time
import tomllib
from pathlib import Path

from assistant import Assistant
from assistant.settings import Settings
from evals.dataset import load_set
from evals.judge import CitationJudge
from evals.judgments import Judgments
from evals.metrics import aggregate, by_type, score_item
from evals.report import fmt, write_report
from evals.stats import intervals

HERE = Path(__file__).parent
BLIND_LOG = HERE / "reports" / "blind-log.md"
LOG_KEYS = [
    "recall_at_5",
    "paragraph_recall_at_5",
    "cites_gold",
    "cites_gold_paraphrase",
    "key_facts",
    "judge_support",
    "false_abstention_rate",
    "abstention_near_miss",
    "abstention_injection",
    "invented_citations",
]


def context(bot: Assistant):
    """What scoring needs from the index: labels, article range, provision texts, chapters."""
    catalog = bot.catalog
    known = set(catalog.by_label)
    last_article = max(catalog.article_numbers)
    provision_text = {}
    for c in catalog.chunks:
        head = f"Article {c.article} ({c.article_title}): " if c.article else f"{c.article_title}: "
        provision_text.setdefault(c.label, head + c.sentence())
    chapter_of = {a: catalog.article(a)[0].chapter for a in catalog.article_numbers}
    return known, last_article, CitationJudge(provision_text, last_article), chapter_of


def run_ours(bot: Assistant, items, verbose: bool = False):
    known, last_article, judge, chapter_of = context(bot)
    judgments = Judgments.load()
    results = []
    for item in items:
        history = item.conversation(bot.ask)
        t0 = time.perf_counter()
        answer = bot.ask(item.question, history=history)
        latency = time.perf_counter() - t0
        retrieved = bot.retrieve(item.question, k=5, history=history)
        r = score_item(
            item,
            answer,
            retrieved,
            known_labels=known,
            last_article=last_article,
            judge=judge,
            chapter_of=chapter_of,
            latency=latency,
            judgments=judgments,
        )
        results.append(r)
        if verbose and (
            r.recall_art == 0
            or r.cites_gold == 0
            or r.abstained != r.should_abstain
            or r.invented
            or (r.key_facts is not None and r.key_facts < 1)
        ):
            print(
                f"- {r.id} [{r.type}] {r.question}\n    gold={r.gold_labels} "
                f"retrieved={r.retrieved} cited={r.cited_labels} abstained={r.abstained} "
                f"facts={r.facts}\n    {r.answer[:300]}",
                file=sys.stderr,
            )
    return results, aggregate(results)


def run_baseline(bot: Assistant, items):
    from evals.baseline import NaiveRAG

    rag = NaiveRAG(bot)
    known, last_article, _, chapter_of = context(bot)
    results = []
    for item in items:
        question = " ".join([*item.history, item.question])  # naive: no follow-up handling
        answer, retrieved, latency = rag.run(question)
        results.append(
            score_item(
                item,
                answer,
                retrieved,
                known_labels=known,
                last_article=last_article,
                judge=None,
                chapter_of=chapter_of,
                latency=latency,
                k=len(retrieved) or 5,
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


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "assistant", "corpus"],
            capture_output=True,
            text=True,
            cwd=HERE.parent,
        ).stdout.strip()
        return out.stdout.strip() + (" (uncommitted changes)" if dirty else "")
    except OSError:
        return "unknown"


def log_first_run(set_name: str, results, summary: dict) -> None:
    batch = set_name.split(":", 1)[1]
    text = BLIND_LOG.read_text() if BLIND_LOG.exists() else ""
    if f"| {batch} |" in text:
        raise SystemExit(f"batch {batch} already has a first run in {BLIND_LOG}: not recorded")
    cis = intervals(results)
    if not text:
        text = (
            "# First runs of blind batches\n\nEach new blind batch (evals/BLIND.md) is scored "
            "once, before any change is made in response to it; that first score is the honest "
            "figure and is recorded here by `python -m evals --set batch:NAME --blind-log`. "
            "Brackets: 95% bootstrap intervals.\n\n"
            "| batch | date | commit | items (in scope / decline) | "
            + " | ".join(LOG_KEYS)
            + " |\n|"
            + "---|" * (4 + len(LOG_KEYS))
            + "\n"
        )
    cells = []
    for k in LOG_KEYS:
        v, ci = summary.get(k), cis.get(k)
        cells.append(f"{v:.3f} [{ci[0]:.2f}, {ci[1]:.2f}]" if ci and v is not None else fmt(v))
    row = (
        f"| {batch} | {dt.date.today().isoformat()} | {_commit()} | "
        f"{summary['in_scope']} / {summary['declined_items']} | " + " | ".join(cells) + " |\n"
    )
    lines = text.splitlines(keepends=True)
    last = max((i for i, line in enumerate(lines) if line.startswith("|")), default=len(lines) - 1)
    lines.insert(last + 1, row)  # the table's next row, above any notes that follow it
    BLIND_LOG.parent.mkdir(parents=True, exist_ok=True)
    BLIND_LOG.write_text("".join(lines))
    print(f"first run recorded in {BLIND_LOG}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals")
    ap.add_argument("--set", default="tuning", help="tuning | test | batch:NAME | a file")
    ap.add_argument("--baseline", action="store_true", help="also run the naive RAG baseline")
    ap.add_argument("--report", type=Path, help="write report.md, summary.json, a chart here")
    ap.add_argument("--gate", action="store_true", help="exit 1 when a threshold is missed")
    ap.add_argument("--blind-log", action="store_true", help="record a new batch's first run")
    ap.add_argument(
        "--answerer",
        choices=["extractive", "llm", "both"],
        default="extractive",
        help="answerer to measure (llm and both need ASSISTANT_LLM; both: side by side)",
    )
    ap.add_argument("-v", "--verbose", action="store_true", help="list failing tuning items")
    args = ap.parse_args(argv)

    frozen = args.set != "tuning" and not Path(args.set).exists()
    if args.verbose and frozen:
        ap.error("-v lists items: only for the tuning set (the test set is never tuned on)")
    if args.blind_log and not args.set.startswith("batch:"):
        ap.error("--blind-log records the first run of one batch: use --set batch:NAME")
    settings = Settings()
    if args.answerer != "extractive" and not settings.llm:
        ap.error("--answerer llm/both needs ASSISTANT_LLM=provider:model (see README)")
    extractive = settings.model_copy(update={"llm": ""})
    bot = Assistant(settings if args.answerer == "llm" else extractive, progress=False)
    bot.ensure_ready()
    items = load_set(args.set)
    runs = {"ours": run_ours(bot, items, args.verbose)}
    if args.answerer == "both":
        runs["llm"] = run_ours(Assistant(settings, progress=False).ensure_ready(), items)
    if args.baseline:
        runs["naive-rag"] = run_baseline(bot, items)
    names = list(runs)
    cis = intervals(runs["ours"][0])
    print(f"{'metric':26} " + " ".join(f"{n:>10}" for n in names) + "   95% interval (ours)")
    for key in runs["ours"][1]:
        ci = cis.get(key)
        print(
            f"{key:26} "
            + " ".join(f"{fmt(runs[n][1].get(key)):>10}" for n in names)
            + (f"   [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")
        )
    print("\nper type (ours): n / art. recall@5 / para. recall@5 / cites-gold / key facts")
    for t, a in by_type(runs["ours"][0]).items():
        print(
            f"  {t:14} {a['items']:3} {fmt(a['recall_at_5']):>6} "
            f"{fmt(a['paragraph_recall_at_5']):>6} {fmt(a['cites_gold']):>6} "
            f"{fmt(a['key_facts']):>6}"
        )
    if args.report:
        title = f"Evaluation: {args.set} set" if not frozen else f"Evaluation: {args.set}"
        if args.set == "test":
            title = "Evaluation: frozen blind test set"
        path = write_report(args.report, runs, title=title, list_failures=not frozen)
        print(f"\nreport: {path}")
    if args.blind_log:
        log_first_run(args.set, *runs["ours"])
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
