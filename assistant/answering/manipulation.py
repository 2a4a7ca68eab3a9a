"""A learned reading of whether a question is a manipulation attempt rather than a question.

The rules of ``question_rules.toml`` ([injection]) catch the forms we have seen, by their words.
This model catches forms nobody wrote a rule for: a logistic regression over the question's
embedding (the same model that serves retrieval), fitted by ``python -m evals.manipulation
--write`` on the gate probes' manipulation attempts and the tuning set's injections against
genuine questions (the gate probes' look-alikes, the tuning set's questions and our question
index). Its threshold keeps held-out genuine questions flagged at or below 0.1%. The weights are
stored per embedding model family in ``assistant/data/manipulation.toml``; a family without
a fitted model has none (the rules still apply). The abstention policy reads it.
"""

from __future__ import annotations

from functools import cache

from assistant.answering.fitted import LogisticModel, fitted_model


class ManipulationModel(LogisticModel):
    """One weight per embedding dimension."""

    def probability(self, vector: list[float]) -> float:
        if len(vector) != len(self.weights):
            return 0.0  # fitted for another model's embeddings: it cannot read this one
        return super().probability(vector)

    def flags(self, vector: list[float]) -> bool:
        return self.decides(vector)

    @classmethod
    @cache
    def load(cls, family: str) -> ManipulationModel | None:
        """The model fitted for an embedding model family, or None."""
        data = fitted_model("manipulation.toml", family)
        if data is None:
            return None
        return cls(
            tuple(float(w) for w in data["weights"]),
            float(data["bias"]),
            float(data["threshold"]),
        )
