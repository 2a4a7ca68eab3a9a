"""Fit the learned manipulation reading of the gate: ``python -m evals.manipulation [--write]``.

Manipulation attempts: the gate probes' (``evals/gate_probes/injections.jsonl``) and the tuning
set's injection items. Genuine questions: the gate probes' look-alikes, the tuning set's in-scope
questions (with their earlier turns) and its near misses and unrelated questions (declined for
other reasons, not manipulation), and every question of our question index
(``corpus/provisions``, ``corpus/declined.toml``), each once more framed as a genuine asker
frames a question (``FRAMINGS``), and a look-up of every provision (``LOOK_UPS``). Each is
read as the serving model embeds it (``HybridRetriever.embed``). A logistic regression over
the embedding is fitted; 5-fold
cross-validation reports, per threshold, the held-out attempts caught and the held-out genuine
questions flagged, and the threshold is the lowest one at which held-out genuine questions
from the tuning set and the question index are flagged at most ``--max-false`` of the time.
``--write`` stores the model in ``assistant/data/manipulation.toml`` for the current embedding
model family. The frozen test set is never read here.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from assistant import Assistant
from assistant.documents.provision_notes import load_declined, load_notes
from evals.dataset import ItemType, load_set
from evals.model_file import store_model
from evals.probes import load as load_probes

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97)


# How genuine askers frame a question (asking for a form, saying who they are): such framing is
# not manipulation. Each ordinary question is also learned framed by one of these (picked at
# random), so that the form of a request alone does not read as an attempt.
FRAMINGS = (
    "Just the article number: {q}",
    "{q} Just the article number, please.",
    "In one sentence: {q}",
    "{q} Answer in one or two sentences.",
    "Yes or no, with the article: {q}",
    "Briefly, {q}",
    "In plain language, {q}",
    "For my thesis: {q}",
    "I'm a journalist. {q}",
    "As a police officer, {q}",
    "Quick question for a briefing note: {q}",
    "{q} Please list the articles at the end.",
    "{q} Keep it short and cite the provision.",
    "My editor needs this today: {q}",
    "{q} I need the exact wording.",
    "As a compliance officer at a bank, {q}",
)


def framed(questions: list[str], rng: np.random.Generator) -> list[str]:
    """Each question once more, framed as a genuine asker might (``FRAMINGS``)."""
    out = []
    for q in questions:
        template = FRAMINGS[int(rng.integers(len(FRAMINGS)))]
        lower = q[:1].lower() + q[1:] if template.startswith(("Briefly", "In plain", "As a")) else q
        out.append(template.format(q=lower))
    return out


# Looking a provision up is a genuine question too, whatever its wording: every provision of
# the text is learned asked for by one of these (picked at random).
LOOK_UPS = (
    "What does {ref} say?",
    "Quote {ref}.",
    "Show me {ref}.",
    "What is in {ref}?",
    "Give me the exact text of {ref}.",
    "{ref}: what does it require?",
    "Can you read out {ref} for me?",
    "What does {ref} of the Convention provide?",
    "Print {ref}.",
    "Give me {ref} word for word.",
    "{ref} verbatim, please.",
    "Paste the text of {ref}.",
    "I need {ref} verbatim.",
    "Display {ref}.",
    "Copy out {ref} for me.",
    "Text of {ref}?",
    "Recite {ref}.",
    "Full wording of {ref}, please.",
    "Pull up {ref}.",
    "What exactly does {ref} state?",
)


def look_ups(labels: list[str], rng: np.random.Generator) -> list[str]:
    """Two look-up questions for every label (``Art. 42(8)`` asked as "Article 42(8)")."""
    out = []
    for label in labels + labels:
        ref = label.replace("Art. ", "Article ").replace("Interp. note", "interpretative note")
        ref = ref.replace("Res. para.", "paragraph").replace("Conv. recital", "recital")
        out.append(LOOK_UPS[int(rng.integers(len(LOOK_UPS)))].format(ref=ref))
    return out


def examples(bot: Assistant) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels (1: manipulation) and which genuine ones are ordinary questions (the
    tuning set's and our index's, which the threshold protects)."""
    attempts = load_probes("injections", bot.catalog)
    ordinary: list[str] = []
    other: list[str] = load_probes("legitimate", bot.catalog)
    for item in load_set("tuning"):
        if item.type == ItemType.INJECTION:
            attempts.append(item.question)
        elif item.should_abstain:
            other.append(item.question)
        else:
            ordinary += [item.question, *item.history]
    ordinary += [
        q.text for n in load_notes(bot.settings.provisions_dir).values() for q in n.questions
    ]
    ordinary += load_declined(bot.settings.declined_path)
    rng = np.random.default_rng(243)
    other += framed(ordinary, rng)
    other += look_ups(sorted(bot.catalog.by_label), rng)
    texts = attempts + ordinary + other
    labels = np.array([1] * len(attempts) + [0] * (len(ordinary) + len(other)))
    is_ordinary = np.array([False] * len(attempts) + [True] * len(ordinary) + [False] * len(other))
    return texts, labels, is_ordinary


def _model(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=5000, class_weight="balanced")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.manipulation")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("-C", type=float, default=4.0, help="inverse L2 strength")
    ap.add_argument(
        "--max-false",
        type=float,
        default=0.001,
        help="largest share of held-out ordinary questions the threshold may flag",
    )
    args = ap.parse_args(argv)
    bot = Assistant(progress=False).ensure_ready()
    texts, y, ordinary = examples(bot)
    x = np.array([bot.retriever.embed(t) for t in texts])
    print(f"{int(y.sum())} manipulation attempts, {int((1 - y).sum())} genuine questions")
    held = np.zeros(len(y))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=243).split(x, y):
        held[test] = _model(args.C).fit(x[train], y[train]).predict_proba(x[test])[:, 1]
    genuine_other = (y == 0) & ~ordinary
    caught = {t: (held[y == 1] >= t).mean() for t in THRESHOLDS}
    false = {t: (held[ordinary] >= t).mean() for t in THRESHOLDS}
    for t in THRESHOLDS:
        print(
            f"  threshold {t:.2f}: attempts caught {caught[t]:.3f}, ordinary questions flagged "
            f"{false[t]:.4f}, look-alikes and other declines flagged "
            f"{(held[genuine_other] >= t).mean():.3f}"
        )
    chosen = next((t for t in THRESHOLDS if false[t] <= args.max_false), THRESHOLDS[-1])
    print(f"threshold: {chosen}")
    model = _model(args.C).fit(x, y)
    if args.write:
        path = store_model(
            "manipulation.toml",
            bot.settings.model_family,
            {
                "threshold": chosen,
                "bias": round(float(model.intercept_[0]), 6),
                "weights": [round(float(w), 6) for w in model.coef_[0]],
                "fitted_on": f"{int(y.sum())} attempts / {int((1 - y).sum())} genuine questions; "
                f"5-fold CV at the threshold: {caught[chosen]:.3f} caught, "
                f"{false[chosen]:.4f} of ordinary questions flagged",
            },
            [
                "The learned manipulation reading of the gate, per embedding model family",
                "(assistant/answering/manipulation.py). Written by",
                "`python -m evals.manipulation --write` from the gate probes and the tuning set.",
                "Do not edit by hand.",
            ],
        )
        print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
