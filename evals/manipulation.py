"""Fit the learned manipulation reading of the gate: ``python -m evals.manipulation [--write]``.

Manipulation attempts: the gate probes' (``evals/gate_probes/injections.jsonl``, the six rounds
of forms, ``FORM_ROUNDS``) and the tuning set's injection items. Genuine questions: the gate
probes' look-alikes (of the same rounds), the tuning set's in-scope
questions (with their earlier turns) and its near misses and unrelated questions (declined for
other reasons, not manipulation), and every question of our question index
(``corpus/provisions``, ``corpus/declined.toml``), each once more framed as a genuine asker
frames a question (``FRAMINGS``), and a look-up of every provision (``LOOK_UPS``). Each is
read as the serving model embeds it (``HybridRetriever.embed``) and by its words and word pairs
(TF-IDF over the ``--terms`` commonest). A logistic regression over both is fitted; 5-fold
cross-validation reports, per threshold, the held-out attempts caught and the held-out genuine
questions flagged, and the threshold is the lowest one at which held-out genuine questions
from the tuning set and the question index are flagged at most ``--max-false`` of the time and
the look-alikes and other declined questions at most ``--max-lookalike``.
``--write`` stores the model in ``assistant/data/manipulation.toml`` for the current embedding
model family. The frozen test set is never read here.
"""

from __future__ import annotations

import argparse

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from assistant import Assistant
from assistant.answering.manipulation import terms
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


# The gate probes' first six rounds (attempts, look-alikes): the forms of manipulation. Rounds
# 7-10 are statements about the text worded like genuine questions, which the claim checker
# reads (``assistant/answering/claims.py``); learned from, they blur the forms (session 12: 0.50
# of attempts caught in cross-validation at the threshold, against 0.59 on rounds 1-6).
FORM_ROUNDS = (790, 480)


def examples(bot: Assistant) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Texts, labels (1: manipulation) and which genuine ones are ordinary questions (the
    tuning set's and our index's, which the threshold protects)."""
    attempts = load_probes("injections", bot.catalog)[: FORM_ROUNDS[0]]
    ordinary: list[str] = []
    other: list[str] = load_probes("legitimate", bot.catalog)[: FORM_ROUNDS[1]]
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


def _words(max_terms: int) -> TfidfVectorizer:
    """The words part's reading of a text (``assistant.answering.manipulation.TermFeatures``
    reads it the same way at serving time)."""
    return TfidfVectorizer(
        analyzer=terms, min_df=2, sublinear_tf=True, max_features=max_terms, lowercase=False
    )


def _fit(texts, x, y, c: float, max_terms: int):
    """Fit on texts and their embeddings ``x``: (model, vectorizer or None)."""
    if not max_terms:
        return _model(c).fit(x, y), None
    words = _words(max_terms)
    features = hstack([csr_matrix(x), words.fit_transform(texts)]).tocsr()
    return _model(c).fit(features, y), words


def _predict(model, words, texts, x) -> np.ndarray:
    features = x if words is None else hstack([csr_matrix(x), words.transform(texts)]).tocsr()
    return model.predict_proba(features)[:, 1]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.manipulation")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("-C", type=float, default=16.0, help="inverse L2 strength")
    ap.add_argument(
        "--terms",
        type=int,
        default=5000,
        help="how many of the commonest words and word pairs the model also reads (0: the "
        "embedding alone). Held out by probe round (trained on the earlier rounds only), 5000 "
        "terms beside the embedding caught 0.77 / 0.62 / 0.69 of rounds 6 / 3 / 4 at 0.9, "
        "the embedding alone 0.68 / 0.50 / 0.62, with no held-out ordinary question flagged",
    )
    ap.add_argument(
        "--max-false",
        type=float,
        default=0.001,
        help="largest share of held-out ordinary questions the threshold may flag",
    )
    ap.add_argument(
        "--max-lookalike",
        type=float,
        default=0.0005,
        help="largest share of held-out look-alikes and other declined questions the threshold "
        "may flag (with the words read, a threshold of 0.8 flagged 0.3%% of them in "
        "cross-validation and declined 27 of the 180 genuine questions of probe rounds 7-10, "
        "which the fit never sees; 0.95: 12; 0.97: 9; session 17's model, the embedding alone: 7)",
    )
    args = ap.parse_args(argv)
    bot = Assistant(progress=False).ensure_ready()
    texts, y, ordinary = examples(bot)
    x = np.array([bot.retriever.embed(t) for t in texts])
    print(f"{int(y.sum())} manipulation attempts, {int((1 - y).sum())} genuine questions")
    held = np.zeros(len(y))
    docs = np.array(texts, dtype=object)
    for train, test in StratifiedKFold(5, shuffle=True, random_state=243).split(x, y):
        model, words = _fit(docs[train], x[train], y[train], args.C, args.terms)
        held[test] = _predict(model, words, docs[test], x[test])
    genuine_other = (y == 0) & ~ordinary
    caught = {t: (held[y == 1] >= t).mean() for t in THRESHOLDS}
    false = {t: (held[ordinary] >= t).mean() for t in THRESHOLDS}
    lookalike = {t: (held[genuine_other] >= t).mean() for t in THRESHOLDS}
    for t in THRESHOLDS:
        print(
            f"  threshold {t:.2f}: attempts caught {caught[t]:.3f}, ordinary questions flagged "
            f"{false[t]:.4f}, look-alikes and other declines flagged {lookalike[t]:.3f}"
        )
    chosen = next(
        (
            t
            for t in THRESHOLDS
            if false[t] <= args.max_false and lookalike[t] <= args.max_lookalike
        ),
        THRESHOLDS[-1],
    )
    print(f"threshold: {chosen}")
    model, words = _fit(docs, x, y, args.C, args.terms)
    dims = x.shape[1]
    if args.write:
        path = store_model(
            "manipulation.toml",
            bot.settings.model_family,
            {
                "threshold": chosen,
                "bias": round(float(model.intercept_[0]), 6),
                "weights": [round(float(w), 6) for w in model.coef_[0][:dims]],
                "fitted_on": f"{int(y.sum())} attempts / {int((1 - y).sum())} genuine questions; "
                f"5-fold CV at the threshold: {caught[chosen]:.3f} caught, "
                f"{false[chosen]:.4f} of ordinary questions flagged",
                **(
                    {
                        "words": {
                            "terms": words.get_feature_names_out().tolist(),
                            "idf": [round(float(v), 6) for v in words.idf_],
                            "weights": [round(float(w), 6) for w in model.coef_[0][dims:]],
                        }
                    }
                    if words is not None
                    else {}
                ),
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
