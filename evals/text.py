"""Text normalisation for the evaluation's checks (its own, not the assistant's analyser)."""

from __future__ import annotations

import re
from functools import cache

import Stemmer

# Function words that carry no fact (deliberately small: the checks are lexical).
STOPWORDS = frozenset(
    """
    a an the and or but nor of to in on at by for with from as into onto upon about over
    under than then that this these those such its it their they them he she his her our we
    you your i me my is are was were be been being has have had do does did shall will
    would should may might must can could which who whom whose what when where how why if
    so not no any all each every other another also only very more most same own there here
    up out yes
    """.split()  # noqa: SIM905
)


def normalise(text: str) -> str:
    """Lower case, typographic quotes folded, punctuation dropped, whitespace collapsed."""
    text = text.lower().replace("’", "'").replace("“", '"').replace("”", '"')
    text = re.sub(r"(\w)-(\w)", r"\1 \2", text)
    return " ".join(re.sub(r"[^\w'/ ]", " ", text).split())


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", normalise(text).replace("'", " "))


def stems(text: str, *, content_only: bool = True) -> list[str]:
    """Stemmed words of ``text`` (function words dropped unless ``content_only`` is False)."""
    words = [w for w in tokens(text) if not content_only or w not in STOPWORDS]
    return _stemmer().stemWords(words)


def contains_phrase(haystack: str, phrase: str) -> bool:
    """``phrase`` occurs in ``haystack`` after :func:`normalise` (word-bounded)."""
    return f" {normalise(phrase)} " in f" {normalise(haystack)} "
