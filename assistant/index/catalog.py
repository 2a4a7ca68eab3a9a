"""All indexed chunks in memory (loaded from the index snapshot written at ingestion, the same
records as the Chroma collection holds), with the lookups retrieval needs per question: each is
a dictionary access, none scans the corpus."""

from __future__ import annotations

import re
from collections import defaultdict

from assistant.labels import paragraph_within
from assistant.models import Chunk, SourceKind

_DEFINED = re.compile(r"“([^”]{2,80})”(?:\s+or\s+“([^”]{2,80})”)?")


class Catalog:
    def __init__(self, chunks: list[Chunk]):
        order = {"convention": 0, "notes": 1, "resolution": 2, "briefing": 3}
        self.chunks = sorted(
            chunks, key=lambda c: (order.get(c.source, 9), c.origin, c.article or 0, c.seq)
        )
        self.by_id = {c.id: c for c in self.chunks}
        self.by_label: dict[str, list[Chunk]] = defaultdict(list)
        self.by_article: dict[int, list[Chunk]] = defaultdict(list)
        self._by_source: dict[SourceKind, list[Chunk]] = defaultdict(list)
        for c in self.chunks:
            self.by_label[c.label].append(c)
            self._by_source[c.source].append(c)
            if c.source == "convention" and c.article is not None:
                self.by_article[c.article].append(c)
        self.definitions = self._definitions()
        self._label_counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def article_numbers(self) -> list[int]:
        return sorted(self.by_article)

    @property
    def chapter_numbers(self) -> set[int]:
        """The Convention's chapters (from its articles)."""
        return {c.chapter for chunks in self.by_article.values() for c in chunks if c.chapter}

    def article(self, number: int) -> list[Chunk]:
        return self.by_article.get(number, [])

    def by_source(self, source: SourceKind) -> list[Chunk]:
        return list(self._by_source.get(source, []))

    def count_labels(self, prefix: str) -> int:
        """How many distinct labels start with ``prefix`` (e.g. "Res. para.")."""
        if prefix not in self._label_counts:
            self._label_counts[prefix] = sum(1 for lab in self.by_label if lab.startswith(prefix))
        return self._label_counts[prefix]

    def provision(self, article: int, paragraph: str | None) -> list[Chunk]:
        """Chunks of an article, narrowed to a paragraph ("21", "21(b)", "b") when given."""
        chunks = self.article(article)
        if not paragraph:
            return chunks
        hits = [c for c in chunks if c.paragraph and paragraph_within(c.paragraph, paragraph)]
        return hits or chunks

    def has_provision(self, article: int, paragraph: str) -> bool:
        """Does the article have this paragraph/subparagraph ("21", "21(b)", "b")? An article
        without numbered or lettered provisions (Article 48) has none."""
        return any(
            c.paragraph and paragraph_within(c.paragraph, paragraph) for c in self.article(article)
        )

    def _definitions(self) -> dict[str, Chunk]:
        """Defined term (lower case) -> its Article 2 chunk."""
        out = {}
        for c in self.article(2):
            m = _DEFINED.search(c.text)
            if m and "shall mean" in c.text:
                for term in filter(None, m.groups()):
                    out[term.lower()] = c
        return out
