"""Reading the models fitted offline and shipped in assistant/data/."""

from __future__ import annotations

from assistant.answering.fitted import LogisticModel, fitted_model


def test_a_missing_file_or_family_has_no_model():
    assert fitted_model("no-such-file.toml", "convention-minilm") is None
    assert fitted_model("selector.toml", "no-such-model") is None
    assert fitted_model("abstention.toml", "packaged")["threshold"] > 0


def test_the_logistic_model_says_yes_from_its_threshold():
    m = LogisticModel(weights=(1.0,), bias=0.0, threshold=0.5)
    assert m.probability([0.0]) == 0.5 and m.decides([0.0]) and not m.decides([-0.1])
