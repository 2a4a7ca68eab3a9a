"""Fit the abstention policy's in-scope model on the tuning set:
``python -m evals.calibrate [--write]``.

For every tuning item that the form checks do not already decline, the retrieval signals
(``assistant.answering.abstention.signals``) are collected; a logistic regression separates the
in-scope items from those to decline, and the threshold is the highest that keeps false
abstentions on in-scope tuning items at or below ``--max-false`` (0.5%). ``--write`` stores the
model in ``assistant/data/abstention.toml`` with the figures it was fitted on. The frozen test
set is never read here.
"""

from __future__ import annotations

import argparse
import math

import numpy as np

from assistant import Assistant
from assistant.answering.abstention import signals
from assistant.settings import Settings
from evals.dataset import load_set
from evals.model_file import store_model

FEATURES = ["top_question", "top_dense", "top_declined", "unknown_share"]


def collect(bot: Assistant):
    rows, labels, ids = [], [], []
    for item in load_set("tuning"):
        history = item.conversation(bot.ask)
        s = bot.pipeline.until_gate(item.question, history)
        if s.answer is not None or s.retrieval is None:
            continue  # declined by its form (injection, other instrument, ...)
        if s.retrieval.named or s.retrieval.definitions or s.followup.is_followup:
            continue  # the gate does not apply
        f = signals(s.retrieval, bot.lexical)
        rows.append([f[k] for k in FEATURES])
        labels.append(0.0 if item.should_abstain else 1.0)
        ids.append(item.id)
    return np.array(rows), np.array(labels), ids


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 20000, lr: float = 0.5):
    """Logistic regression by gradient descent, classes weighted to equal mass."""
    w = np.zeros(x.shape[1])
    b = 0.0
    weight = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum()))
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = (p - y) * weight
        w -= lr * (x.T @ g + l2 * w)
        b -= lr * g.sum()
    return w, b


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.calibrate")
    ap.add_argument("--write", action="store_true", help="store the model")
    ap.add_argument("--max-false", type=float, default=0.005, help="false abstentions allowed")
    args = ap.parse_args(argv)
    bot = Assistant(Settings().model_copy(update={"llm": ""}), progress=False).ensure_ready()
    x, y, _ = collect(bot)
    w, b = fit(x, y)
    p = 1 / (1 + np.exp(-(x @ w + b)))
    inscope, out = p[y == 1], p[y == 0]
    # the highest threshold that declines at most max_false of the in-scope items
    k = int(math.floor(args.max_false * len(inscope)))
    threshold = float(np.sort(inscope)[k]) - 1e-6 if len(inscope) else 0.5
    declined = float((out < threshold).mean()) if len(out) else float("nan")
    false = float((inscope < threshold).mean())
    print(f"items: {len(inscope)} in scope, {len(out)} to decline (after the form checks)")
    print("weights:", dict(zip(FEATURES, np.round(w, 3), strict=True)), "bias:", round(b, 3))
    print(
        f"threshold {threshold:.3f}: declines {declined:.3f} of out-of-scope, "
        f"{false:.3f} of in-scope"
    )
    if args.write:
        family = bot.settings.model_family
        path = store_model(
            "abstention.toml",
            family,
            {
                "bias": round(float(b), 4),
                "threshold": round(threshold, 4),
                "fitted_on": f"{len(inscope)} in-scope / {len(out)} out-of-scope tuning items",
                "declines_out_of_scope": round(declined, 3),
                "declines_in_scope": round(false, 3),
                "weights": {k: round(float(v), 4) for k, v in zip(FEATURES, w, strict=True)},
            },
            [
                "In-scope models of the abstention policy (assistant/answering/abstention.py), one",
                "per embedding model family (similarities differ between models). Written by",
                "`python -m evals.calibrate --write` from the tuning set; the threshold keeps",
                "false abstentions on in-scope tuning items at or below --max-false.",
                "Do not edit by hand.",
            ],
        )
        print(f"written: {path} [{family}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
