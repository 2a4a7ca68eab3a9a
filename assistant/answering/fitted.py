"""Models fitted offline (by ``evals/``) and shipped as data in ``assistant/data/``: reading a
fitted model for an embedding model family, and the thresholded logistic model several of them
are (whether a question asks for several provisions, whether it is a manipulation attempt)."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources


def fitted_model(file_name: str, family: str) -> dict | None:
    """The table ``[model."<family>"]`` of ``assistant/data/<file_name>``, or None when the file
    or the family's model is missing."""
    path = resources.files("assistant.data").joinpath(file_name)
    if not path.is_file():
        return None
    return tomllib.loads(path.read_text()).get("model", {}).get(family) or None


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@dataclass(frozen=True)
class LogisticModel:
    """A logistic regression over a feature row, and the probability from which it says yes."""

    weights: tuple[float, ...]
    bias: float
    threshold: float

    def logit(self, row: list[float]) -> float:
        return self.bias + sum(w * x for w, x in zip(self.weights, row, strict=True))

    def probability(self, row: list[float]) -> float:
        return sigmoid(self.logit(row))

    def decides(self, row: list[float]) -> bool:
        return self.probability(row) >= self.threshold
