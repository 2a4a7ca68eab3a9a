"""Fit the answer's provision selector on the tuning set: ``python -m evals.selector [--write]``.

For every in-scope tuning item that reaches the answerer without naming its article, each
candidate of the answer pool is described by ``ExtractiveAnswerer.features`` and labelled 1 when
it is (part of) a gold provision. A listwise (softmax) model is fitted; 5-fold cross-validation over
items reports how often its first choice is gold, beside the hand-set fit's, and picks the
threshold from which a further candidate is cited: the one that maximises, on held-out folds,
key-fact-bearing citations minus padding (gold citations minus non-gold ones, the latter
counted ``--padding-cost`` times). ``--write`` stores the model in
``assistant/data/selector.toml`` for the current embedding model family. The frozen test set
is never read here.
"""

from __future__ import annotations

import argparse

import numpy as np

from assistant import Assistant
from assistant.answering.selector import FEATURES
from assistant.labels import labels_overlap
from evals.dataset import load_set
from evals.model_file import store_model


def collect(bot: Assistant):
    """One group per item: (feature rows, gold labels of the rows, hand-set fit scores)."""
    groups = []
    ex = bot.extractive
    for item in load_set("tuning"):
        if item.should_abstain or not item.gold_labels:
            continue
        history = item.conversation(bot.ask)
        s = bot.pipeline.until_gate(item.question, history)
        if s.answer is not None or s.retrieval is None:
            continue
        r = s.retrieval
        if r.named or r.named_labels:
            continue  # the named provisions are cited, no choice to make
        pool = ex.pool(r)
        if not pool:
            continue
        wanted = ex.coverage.wanted(r.analysis.question)
        rows = ex.features(pool, r, wanted)
        gold = [float(any(labels_overlap(p.label, g) for g in item.gold_labels)) for p in pool]
        hand = [ex._fit(p, r, wanted) for p in pool]
        groups.append((item.id, np.array(rows), np.array(gold), np.array(hand)))
    return groups


def fit_listwise(groups, l2: float = 0.01, steps: int = 3000, lr: float = 0.5) -> np.ndarray:
    """Softmax over each item's pool, maximising the probability of its gold candidates."""
    groups = [(x, y) for _, x, y, _ in groups if y.sum() > 0]
    w = np.zeros(groups[0][0].shape[1])
    for _ in range(steps):
        grad = np.zeros_like(w)
        for x, y in groups:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            grad += x.T @ (p - y / y.sum())
        w -= lr * (grad / len(groups) + l2 * w)
    return w


def _score(groups, w, threshold, cost):
    """First choice gold rate, the citation value at ``threshold`` (gold - cost * not) and
    the padded share."""
    first, value, cited, padded = 0, 0.0, 0, 0
    for _, x, y, _ in groups:
        z = x @ w
        p = np.exp(z - z.max())
        p /= p.sum()
        order = np.argsort(-p)
        first += y[order[0]]
        pick = [order[0]] + [i for i in order[1:3] if p[i] >= threshold]
        good = sum(y[i] for i in pick)
        value += good - cost * (len(pick) - good)
        cited += len(pick)
        padded += len(pick) - good
    return first / len(groups), value, padded / max(1, cited)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.selector")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--padding-cost", type=float, default=1.0)
    ap.add_argument(
        "--several-threshold",
        type=float,
        default=0.1,
        help="the threshold when the question asks for several provisions (tuning-set sweep: "
        "0.1 with the part threshold 0.03 cited all gold of more multi-article items and "
        "padded less than 0.05 without it)",
    )
    args = ap.parse_args(argv)
    bot = Assistant(progress=False).ensure_ready()
    bot.extractive.selector = None
    groups = collect(bot)
    print(f"{len(groups)} items, {sum(len(g[2]) for g in groups)} candidates")
    hand_first = np.mean([g[2][int(np.argmax(g[3]))] for g in groups])
    rng = np.random.default_rng(243)
    folds = rng.permutation(len(groups)) % 5
    thresholds = [0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 1.01]
    totals = {t: [0.0, 0.0, 0.0] for t in thresholds}
    for k in range(5):
        train = [g for g, f in zip(groups, folds, strict=True) if f != k]
        held = [g for g, f in zip(groups, folds, strict=True) if f == k]
        w = fit_listwise(train)
        for t in thresholds:
            first, value, padded = _score(held, w, t, args.padding_cost)
            totals[t][0] += first * len(held)
            totals[t][1] += value
            totals[t][2] += padded * len(held)
    n = len(groups)
    print(
        f"first choice is gold: hand-set fit {hand_first:.3f}, selector (5-fold CV) "
        f"{totals[thresholds[0]][0] / n:.3f}"
    )
    for t in thresholds:
        print(f"  threshold {t:.2f}: value {totals[t][1]:.0f}, padded share {totals[t][2] / n:.3f}")
    best = max(thresholds, key=lambda t: totals[t][1])
    w = fit_listwise(groups)
    print("weights:", dict(zip(FEATURES, np.round(w, 3).tolist(), strict=True)))
    print(f"threshold for a further provision: {best}")
    if args.write:
        path = store_model(
            "selector.toml",
            bot.settings.model_family,
            {
                "threshold": float(best),
                "several_threshold": args.several_threshold,
                "weights": {f: float(v) for f, v in zip(FEATURES, w, strict=True)},
                "fitted_on": f"tuning set, {n} items, first choice gold "
                f"{totals[best][0] / n:.3f} (5-fold CV; hand-set fit {hand_first:.3f})",
            },
            [
                "The answer's provision selector, per embedding model family: written by",
                "`python -m evals.selector --write` (fitted on the tuning set only).",
            ],
        )
        print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
