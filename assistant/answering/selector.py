"""Which retrieved provisions an answer cites: a listwise (softmax) model over features of
each candidate of the answer pool (:meth:`ExtractiveAnswerer.features`: fused score, question
coverage, similarity to the provision, to the closest of our questions on it and to its three
closest on average, whether it states what is asked, the hand-set fit, whether a follow-up's
earlier answer cited its article, whether it is an international cooperation provision for a
question that involves no other country), fitted on the tuning set by ``python -m evals.selector
--write`` and stored in ``assistant/data/selector.toml`` per embedding model family. The answer
cites the likeliest candidate, and any other whose share of the probability reaches the
threshold: a low one when the question asks for several provisions, a high one otherwise.

Whether a question asks for several provisions is itself learned (:class:`SeveralModel`): a
logistic model over how the probability spreads across the pool's best three articles, the
question analysis's own reading (a multi-part question, "compare", "both") and the question's
form (length, conjunctions, question marks), fitted on the same tuning items (multi-article
items against the rest, on held-out selector probabilities).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from assistant.answering.fitted import LogisticModel, fitted_model

FEATURES = (
    "score_share",
    "coverage",
    "similarity",
    "question_similarity",
    "question_support",
    "states_asked_kind",
    "definition",
    "official_text",
    "fit_share",
    "earlier_article",
    "cooperation_unasked",
)

SEVERAL_FEATURES = (
    "first",  # probability of the likeliest article
    "second",  # ... of the second likeliest
    "third",
    "second_share",  # second / first
    "read_as_several",  # the question analysis reads several things asked
    "parts",  # how many parts the question splits into
    "multi",  # "compare", "both", "and what about"
    "length",  # words / 20
    "conjunctions",  # " and " and commas
    "question_marks",
)


class SeveralModel(LogisticModel):
    """Does the question ask for provisions of several articles?"""

    def asks_several(self, row: list[float]) -> bool:
        return self.decides(row)


@dataclass(frozen=True)
class Selector:
    weights: tuple[float, ...]
    threshold: float  # a further provision is cited from this probability
    several_threshold: float = 0.1  # ... when the question asks for several
    several: SeveralModel | None = None  # None: as the question analysis reads it

    def probabilities(self, rows: list[list[float]]) -> list[float]:
        """Each candidate's probability of being the provision that answers (sums to 1)."""
        z = [sum(w * x for w, x in zip(self.weights, row, strict=True)) for row in rows]
        top = max(z, default=0.0)
        e = [math.exp(v - top) for v in z]
        total = sum(e) or 1.0
        return [v / total for v in e]

    @classmethod
    def load(cls, family: str) -> Selector | None:
        """The selector fitted for an embedding model family, or None (no file, no model)."""
        data = fitted_model("selector.toml", family)
        if data is None:
            return None
        several = data.get("several")
        return cls(
            tuple(float(data["weights"].get(f, 0.0)) for f in FEATURES),
            float(data["threshold"]),
            float(data.get("several_threshold", 0.1)),
            SeveralModel(
                tuple(float(several["weights"].get(f, 0.0)) for f in SEVERAL_FEATURES),
                float(several["bias"]),
                float(several["threshold"]),
            )
            if several
            else None,
        )
