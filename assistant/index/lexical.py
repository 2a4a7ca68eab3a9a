"""BM25 lexical index (bm25s, Snowball stemming) over the chunks' search text."""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Generic, TypeVar

import bm25s
import numpy as np
import Stemmer

from assistant.models import SourceKind

Doc = TypeVar("Doc")

# Words that carry no topic in a question about this treaty.
GENERIC_TERMS = frozenset(
    [
        "convent",
        "treati",
        "cybercrim",
        "un",
        "unit",
        "nation",
        "state",
        "parti",
        "articl",
        "art",
        "say",
        "doe",
        "what",
        "whi",
        "which",
        "how",
        "can",
        "could",
        "would",
        "should",
        "may",
        "might",
        "must",
        "shall",
        "will",
        "tell",
        "explain",
        "provis",
        "requir",
        "allow",
        "rule",
        "mean",
        "anyth",
        "anyon",
        "someth",
        "someon",
        "peopl",
        "person",
        "need",
        "want",
        "know",
        "thing",
        "get",
        "let",
        "countri",
        "govern",
        "law",
        "legal",
        "also",
        "even",
        "actual",
        "realli",
        "pleas",
        "exact",
        "won",
        "doesn",
        "didn",
        "isn",
        "aren",
        "don",
        "did",
        "me",
        "my",
        "you",
        "your",
        "our",
        "him",
        "her",
        "come",
        "happen",
        "think",
        "mani",
        "much",
        "els",
        "simpli",
        "like",
    ]
)


_BRITISH = re.compile(r"\b(\w{4,})is(e|es|ed|ing|ation|ations)\b")


def normalise_spelling(text: str) -> str:
    """Fold -ise spellings into -ize (the Convention writes "criminalize")."""
    return _BRITISH.sub(r"\1iz\2", text.lower()).replace("licence", "license")


class LexicalIndex(Generic[Doc]):
    """BM25 over documents: chunks (their search text) or, given ``texts``, anything else
    (the question index's questions)."""

    def __init__(self, chunks: list[Doc], texts: list[str] | None = None):
        self.chunks = chunks
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25()
        if texts is None:
            texts = [c.search_text() for c in chunks]
        tokens = bm25s.tokenize(
            [normalise_spelling(t) for t in texts],
            stopwords="en",
            stemmer=self._stemmer,
            show_progress=False,
        )
        self._bm25.index(tokens, show_progress=False)
        self.vocabulary = set(tokens.vocab)
        by_id = {i: w for w, i in tokens.vocab.items()}
        # Terms of the official documents only (not our briefing notes): what "the Convention
        # knows about" for the abstention gates.
        self.official_vocabulary = {
            by_id[t]
            for c, doc in zip(chunks, tokens.ids, strict=True)
            if getattr(c, "source", SourceKind.CONVENTION).official
            for t in doc
        }
        df = Counter(t for doc in tokens.ids for t in set(doc))
        n = max(1, len(chunks))
        self.idf = {by_id[i]: math.log(1 + n / c) for i, c in df.items()}
        self.max_idf = max(self.idf.values(), default=1.0) + 1.0

    def weight(self, term: str) -> float:
        """Inverse document frequency; a term the corpus lacks weighs most."""
        return self.idf.get(term, self.max_idf)

    def terms(self, text: str) -> list[str]:
        """Stemmed content terms of ``text`` (stop words removed)."""
        toks = bm25s.tokenize(
            [normalise_spelling(text)],
            stopwords="en",
            stemmer=self._stemmer,
            return_ids=False,
            show_progress=False,
        )
        return list(toks[0]) if toks else []

    def search(self, query: str, k: int) -> list[tuple[Doc, float]]:
        terms = [t for t in self.terms(query) if t in self.vocabulary]
        if not terms or not self.chunks:
            return []
        k = min(k, len(self.chunks))
        ids, scores = self._bm25.retrieve([terms], k=k, show_progress=False, n_threads=1)
        return [
            (self.chunks[int(i)], float(s))
            for i, s in zip(ids[0], scores[0], strict=True)
            if s > 0 and np.isfinite(s)
        ]
