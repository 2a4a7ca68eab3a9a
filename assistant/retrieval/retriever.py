"""Hybrid retrieval: dense (Chroma) + lexical (BM25) fused by reciprocal rank fusion, with
direct lookup of named articles, Article 2 definitions attached, results grouped per article."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from assistant.index.catalog import Catalog
from assistant.index.lexical import LexicalIndex
from assistant.models import Chunk, Passage
from assistant.retrieval.query import (
    ArticleRef,
    article_refs,
    expand,
    is_definition_question,
    wanted_sources,
)


def _briefing_last(ranked: list[Passage], k: int) -> list[Passage]:
    """Our briefing notes support; the official text answers: unless the question asks about
    the briefing, a briefing passage takes no better than the last of the top ``k`` places."""
    note = next((p for p in ranked if p.source == "briefing"), None)
    if note is None or ranked.index(note) >= k - 1:
        return ranked
    rest = [p for p in ranked if p is not note]
    return rest[: k - 1] + [note] + rest[k - 1 :]


_RES_PARA = re.compile(r"resolution 79/243, paras?\. (\d{1,2})")
_PREAMBLE_ASKED = re.compile(r"preamble|recital", re.IGNORECASE)


@dataclass
class Retrieval:
    """What the retriever found, with the signals the answerer needs to decide to abstain."""

    query: str
    passages: list[Passage]  # best passage per article/provision, ranked (top k)
    candidates: list[Passage]  # paragraph-level fused ranking (several per article)
    ranked: list[Passage] = field(default_factory=list)  # like passages, not cut to k
    named: list[ArticleRef] = field(default_factory=list)
    definitions: list[Passage] = field(default_factory=list)
    top_dense: float = 0.0  # best cosine similarity of the question to any chunk


class HybridRetriever:
    def __init__(
        self,
        vectorstore: Chroma,
        embeddings: Embeddings,
        catalog: Catalog,
        lexical: LexicalIndex,
        *,
        candidates: int = 40,
        rrf_k: int = 60,
    ):
        self.vectorstore = vectorstore
        self.embeddings = embeddings
        self.catalog = catalog
        self.lexical = lexical
        self.n = candidates
        self.rrf_k = rrf_k
        self._notes = [self._passage(c, 0.0, {}) for c in catalog.chunks if c.source == "notes"]

    def dense(self, query: str, k: int) -> list[tuple[Chunk, float]]:
        vector = self.embeddings.embed_query(query)
        hits = self.vectorstore.similarity_search_by_vector_with_relevance_scores(vector, k=k)
        out = []
        for doc, distance in hits:
            chunk = self.catalog.by_id.get(doc.id or "")
            if chunk is not None:
                out.append((chunk, 1.0 - float(distance)))
        return out

    def search(
        self, question: str, k: int = 5, *, context: str = "", boost_labels: list[str] | None = None
    ) -> Retrieval:
        """Rank passages for ``question``; ``context`` (an earlier turn) and ``boost_labels``
        (provisions cited earlier) steer follow-ups without drowning the new question."""
        wanted = wanted_sources(question)
        named = [r for r in article_refs(question) if r.article in self.catalog.by_article]
        expanded = expand(question)
        combined = f"{expanded} {expand(context)}" if context else expanded
        dense_hits = self.dense(combined, self.n)
        lists = [
            [c for c, _ in dense_hits],
            [c for c, _ in self.lexical.search(combined, self.n)],
        ]
        if context:
            lists.append([c for c, _ in self.lexical.search(expanded, self.n)])
            lists.append([c for c, _ in self.dense(expanded, self.n)])
        if boost_labels:
            lists.append([c for lab in boost_labels for c in self.catalog.by_label.get(lab, [])])
        lists.append(self._bridged(lists))
        fused = self._fuse(lists, demote=not _PREAMBLE_ASKED.search(question))
        dense_score = {c.id: s for c, s in dense_hits}

        # Articles the question names come first, in the order named.
        front: list[tuple[Chunk, float]] = []
        for ref in named:
            for c in self.catalog.provision(ref.article, ref.paragraph):
                front.append((c, 1.0))
        if _PREAMBLE_ASKED.search(question):  # "what does the preamble say about ...": look there
            which = "resolution:preamble" if "resolution" in wanted else "convention:preamble"
            front += [(c, s) for c, s in fused if c.id.startswith(which)][:2]
        definitions = self._definitions(question)
        if definitions and is_definition_question(question) and not named:
            front = [(c, 1.0) for c in definitions] + front
        seen = {c.id for c, _ in front}
        ranked = front + [(c, s) for c, s in fused if c.id not in seen]

        candidates = [self._passage(c, s, dense_score) for c, s in ranked[: max(self.n, 3 * k)]]
        ranked_units = self._with_notes(self._per_article(candidates), candidates)
        if "briefing" not in wanted:
            ranked_units = _briefing_last(ranked_units, k)
        passages = ranked_units[:k]
        plain_dense = self.dense(question, 1) if context else dense_hits[:1]
        return Retrieval(
            query=combined,
            passages=passages,
            ranked=ranked_units,
            candidates=candidates,
            named=named,
            definitions=[self._passage(c, 1.0, dense_score) for c in definitions],
            top_dense=plain_dense[0][1] if plain_dense else 0.0,
        )

    def _bridged(self, lists: list[list[Chunk]], top: int = 6) -> list[Chunk]:
        """Articles that the best-ranked briefing notes cite, as their best-ranked chunks: our
        notes speak plain language and point to the provisions, bridging paraphrased questions."""
        rank_of: dict[str, int] = {}
        for ranking in lists:
            for r, c in enumerate(ranking):
                rank_of[c.id] = min(rank_of.get(c.id, r), r)
        notes = sorted(
            (
                c
                for c in self.catalog.chunks
                if c.source == "briefing" and c.id in rank_of and rank_of[c.id] < top
            ),
            key=lambda c: rank_of[c.id],
        )
        out: list[Chunk] = []
        for note in notes:
            targets = [self.catalog.article(a) for a in note.cross_references]
            targets += [
                self.catalog.by_label.get(f"Res. para. {n}", [])
                for n in _RES_PARA.findall(note.text)
            ]
            for chunks in targets:
                if chunks:
                    best = min(chunks, key=lambda c: rank_of.get(c.id, 10_000))
                    if best not in out:
                        out.append(best)
        return out

    def _fuse(self, lists: list[list[Chunk]], *, demote: bool = True) -> list[tuple[Chunk, float]]:
        scores: dict[str, float] = defaultdict(float)
        for ranking in lists:
            for rank, c in enumerate(ranking):
                scores[c.id] += 1.0 / (self.rrf_k + rank + 1)
        if demote:  # preambles are long and generic: they match everything a little
            for cid in scores:
                if cid.startswith(("convention:preamble", "resolution:preamble")):
                    scores[cid] *= 0.7
        order = sorted(scores, key=scores.get, reverse=True)
        return [(self.catalog.by_id[i], scores[i]) for i in order]

    def _definitions(self, question: str) -> list[Chunk]:
        low = question.lower()
        hits = []
        for term, chunk in self.catalog.definitions.items():
            stem = re.escape(term.rstrip("s"))
            if re.search(rf"\b{stem}s?\b", low) and chunk not in hits:
                hits.append(chunk)
        return hits

    @staticmethod
    def _passage(c: Chunk, score: float, dense_score: dict[str, float]) -> Passage:
        return Passage(
            id=c.id,
            text=c.text,
            label=c.label,
            source=c.source,
            document=c.document,
            article=c.article,
            paragraph=c.paragraph,
            title=c.article_title,
            chapter=c.chapter,
            chapter_title=c.chapter_title,
            score=round(score, 6),
            cross_references=list(c.cross_references),
            chapeau=c.chapeau,
            tail=c.tail,
        )

    @staticmethod
    def _per_article(candidates: list[Passage]) -> list[Passage]:
        """Keep the best passage of each article (other sources: of each provision label), and
        one briefing note at most: briefing material supports, the official text answers."""
        seen, out, briefing = set(), [], False
        for p in candidates:
            key = p.unit_key
            if key in seen or (p.source == "briefing" and briefing):
                continue
            seen.add(key)
            briefing = briefing or p.source == "briefing"
            out.append(p)
        return out

    def _with_notes(
        self, ranked: list[Passage], candidates: list[Passage], lead: int = 3
    ) -> list[Passage]:
        """An interpretative note on one of the leading articles follows that article: the notes
        are the authoritative gloss of their article. Notes that matched the question come
        first; the top article always brings its note."""
        matched = [p for p in candidates if p.source == "notes"]
        out: list[Passage] = []
        for i, p in enumerate(ranked):
            if any(p.id == q.id for q in out):
                continue
            out.append(p)
            if i < lead and p.source == "convention":
                pool = matched + (self._notes if i == 0 else [])
                note = next((n for n in pool if p.article in n.cross_references), None)
                if note is not None and all(note.id != q.id for q in out):
                    out.append(note)
        return out
