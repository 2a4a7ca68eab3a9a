"""A learned reading of whether a question is a manipulation attempt rather than a question.

The rules of ``question_rules.toml`` ([injection]) catch the forms we have seen, by their words.
This model catches forms nobody wrote a rule for: a logistic regression over the question's
embedding (the same model that serves retrieval) and, beside it, over the question's words and
word pairs (TF-IDF, :class:`TermFeatures`: the form of a request — "stay in character", "one
word", "before you answer" — that the embedding, which reads the topic, blurs). It is fitted by
``python -m evals.manipulation --write`` on the gate probes' manipulation attempts and the tuning
set's injections against genuine questions (the gate probes' look-alikes, the tuning set's
questions and our question index). Its threshold keeps held-out genuine questions flagged at or
below 0.1%. The weights are stored per embedding model family in
``assistant/data/manipulation.toml``; a family without a fitted model has none (the rules still
apply). The abstention policy reads it.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

from assistant.answering.fitted import LogisticModel, fitted_model, sigmoid

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


def terms(text: str) -> list[str]:
    """The words (two letters or more, lower case) of ``text`` and its word pairs, as
    scikit-learn's ``TfidfVectorizer(ngram_range=(1, 2))`` reads them."""
    words = _TOKEN.findall(text.lower())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (it holds a dict)
class TermFeatures:
    """The words part of the model: per vocabulary term its IDF and weight. A text is read as
    scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` reads it (1 + log of each term's
    count, times its IDF, the vector scaled to unit length)."""

    index: dict[str, int]
    idf: tuple[float, ...]
    weights: tuple[float, ...]

    def vector(self, text: str) -> dict[int, float]:
        counts = Counter(t for t in terms(text) if t in self.index)
        values = {
            self.index[t]: (1.0 + math.log(n)) * self.idf[self.index[t]] for t, n in counts.items()
        }
        norm = math.sqrt(sum(v * v for v in values.values()))
        return {i: v / norm for i, v in values.items()} if norm else {}

    def score(self, text: str) -> float:
        return sum(self.weights[i] * v for i, v in self.vector(text).items())


@dataclass(frozen=True)
class ManipulationModel(LogisticModel):
    """One weight per embedding dimension, and the weights of the question's terms."""

    words: TermFeatures | None = None

    def probability(self, vector: list[float], text: str = "") -> float:
        if len(vector) != len(self.weights):
            return 0.0  # fitted for another model's embeddings: it cannot read this one
        words = self.words.score(text) if self.words is not None else 0.0
        return sigmoid(self.logit(vector) + words)

    def flags(self, vector: list[float], text: str = "") -> bool:
        return self.probability(vector, text) >= self.threshold

    @classmethod
    @cache
    def load(cls, family: str) -> ManipulationModel | None:
        """The model fitted for an embedding model family, or None."""
        data = fitted_model("manipulation.toml", family)
        if data is None:
            return None
        words = data.get("words")
        return cls(
            tuple(float(w) for w in data["weights"]),
            float(data["bias"]),
            float(data["threshold"]),
            TermFeatures(
                {t: i for i, t in enumerate(words["terms"])},
                tuple(float(v) for v in words["idf"]),
                tuple(float(v) for v in words["weights"]),
            )
            if words
            else None,
        )
