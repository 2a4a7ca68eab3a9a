"""BM25 lexical index (bm25s, Snowball stemming) over the chunks' search text.

Built once at ingestion and saved beside the Chroma store (:meth:`LexicalIndex.save`), so
starting up loads it (:meth:`LexicalIndex.load`) instead of re-tokenising the corpus.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections import Counter
from pathlib import Path
from typing import Generic, TypeVar

import bm25s
import numpy as np
import Stemmer
from bm25s.selection import topk

from assistant.models import SourceKind

Doc = TypeVar("Doc")

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
TERMS_FILE = "terms.json"

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

    def save(self, directory: Path) -> None:
        """The BM25 matrices (bm25s' own format) and the term statistics, into ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(directory), show_progress=False)
        terms = {
            "documents": len(self.chunks),
            "vocabulary": sorted(self.vocabulary),
            "official_vocabulary": sorted(self.official_vocabulary),
            "idf": self.idf,
        }
        (directory / TERMS_FILE).write_text(json.dumps(terms, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path, chunks: list[Doc]) -> LexicalIndex[Doc]:
        """An index saved by :meth:`save` over the same documents, in the same order."""
        terms = json.loads((directory / TERMS_FILE).read_text())
        if terms["documents"] != len(chunks):
            raise ValueError(f"{directory}: {terms['documents']} documents, not {len(chunks)}")
        self = cls.__new__(cls)
        self.chunks = chunks
        self._stemmer = Stemmer.Stemmer("english")
        self._bm25 = bm25s.BM25.load(str(directory), show_progress=False)
        self.vocabulary = set(terms["vocabulary"])
        self.official_vocabulary = set(terms["official_vocabulary"])
        self.idf = terms["idf"]
        self.max_idf = max(self.idf.values(), default=1.0) + 1.0
        return self

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
        # bm25s' own scoring and top-k selection, called directly: ``retrieve`` would start a
        # thread pool and a progress bar for every question.
        scores, ids = topk(self._bm25.get_scores(terms), k=k, backend="numpy", sorted=True)
        return [
            (self.chunks[int(i)], float(s))
            for i, s in zip(ids, scores, strict=True)
            if s > 0 and np.isfinite(s)
        ]
