"""The default answerer: offline, no model call. It picks the sentences of the retrieved
passages that best answer the question and labels each with its provision."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answering.base import Draft
from assistant.labels import paragraph_within
from assistant.models import Passage
from assistant.retrieval.query import expand, is_definition_question, wanted_sources
from assistant.retrieval.retriever import Retrieval

_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=\(?[A-Z])|\n(?=[A-Z])")  # also one recital per line
_SOURCE_ORDER = {"convention": 0, "notes": 0, "resolution": 0, "briefing": 1}


def split_sentences(text: str) -> list[str]:
    """Sentences of a provision; roman items and short fragments stay with their sentence."""
    parts = [" ".join(p.split()) for p in _SENTENCE_END.split(text) if p.strip()]
    merged: list[str] = []
    for p in parts:
        if merged and (re.match(r"\((?:[ivx]+|[a-z])\)", p) or len(p) < 40):
            merged[-1] += " " + p
        else:
            merged.append(p)
    return merged


def _finish(sentence: str) -> str:
    s = re.sub(r"(;\s*(and|or)|[;,:])\s*$", "", sentence.strip())
    return s if s.endswith((".", "?", "!", "”")) else s + "."


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(
        self, terms: Callable[[str], list[str]], *, max_sentences: int = 3, units: int = 5
    ):
        self.terms = terms  # the lexical index's analyser (stemmed content terms)
        self.max_sentences = max_sentences
        self.units = units  # how many ranked articles/provisions to quote from
        self.weights = (0.4, 0.35, 0.25)  # rank prior, lexical overlap, cosine similarity
        self.keep_ratio = 0.5  # a further sentence must score at least this share of the best

    def draft(self, question: str, retrieval: Retrieval) -> Draft:
        pool = self.pool_for(retrieval)
        chosen = self.select(question, retrieval, pool)
        return Draft(text=self.compose(chosen, retrieval), passages=pool, abstained=not chosen)

    # --- steps ---------------------------------------------------------------------------------

    def pool_for(self, retrieval: Retrieval) -> list[Passage]:
        """Candidates to quote from. A question naming articles is answered from those alone;
        a definition question starts with the definition; otherwise the top ranked articles
        (or other provisions), each with up to two more of its best-ranked provisions."""
        if retrieval.named:
            return [
                p
                for p in retrieval.candidates
                if p.source == "convention"
                and any(
                    p.article == r.article and paragraph_within(p.paragraph, r.paragraph)
                    for r in retrieval.named
                )
            ][:12]
        first = retrieval.definitions if is_definition_question(retrieval.query) else []
        siblings: dict[object, list[Passage]] = {}
        for p in retrieval.candidates:
            siblings.setdefault(p.unit_key, []).append(p)
        pool: list[Passage] = []
        seen: set[str] = set()
        for lead in first + retrieval.ranked[: self.units]:
            for p in [lead] + siblings.get(lead.unit_key, [])[:2]:
                if p.id not in seen:
                    seen.add(p.id)
                    pool.append(p)
        return pool

    def select(
        self, question: str, retrieval: Retrieval, pool: list[Passage]
    ) -> list[tuple[int, Passage, str]]:
        q_terms = set(self.terms(question)) - {"articl", "art"}
        x_terms = set(self.terms(expand(question))) - q_terms
        scored = []
        wanted = wanted_sources(question)
        unit_rank: dict[tuple, int] = {}
        for p in pool:
            unit_rank.setdefault(p.unit_key, len(unit_rank))
        for rank, p in enumerate(pool):
            prior = 1.0 / (1.0 + 0.35 * unit_rank[p.unit_key])
            for sent in split_sentences(p.text):
                s_terms = set(self.terms(f"{p.title} {p.chapeau} {sent}"))
                hit = len(q_terms & s_terms) + 0.5 * len(x_terms & s_terms)
                lexical = hit / max(1.0, len(q_terms) + 0.5 * len(x_terms))
                penalty = 0.15 * _SOURCE_ORDER.get(p.source, 2)
                if p.source in wanted:
                    penalty -= 0.15
                w_prior, w_lex, w_sim = self.weights
                score = w_prior * prior + w_lex * lexical + w_sim * p.similarity - penalty
                scored.append((score, rank, p, sent))
        scored.sort(key=lambda t: (-t[0], t[1]))
        limit = 6 if retrieval.named else self.max_sentences
        chosen: list[tuple[float, int, Passage, str]] = []
        per_article: dict[object, int] = {}
        for item in scored:
            score, _, p, _ = item
            if len(chosen) == limit or (
                chosen and not retrieval.named and score < 0.6 * chosen[0][0]
            ):
                break
            key = (p.source, p.article or p.label)
            if any(c[2].id == p.id for c in chosen) or (
                not retrieval.named and per_article.get(key, 0) >= 2
            ):
                continue
            per_article[key] = per_article.get(key, 0) + 1
            chosen.append(item)
        # Official text first, then in document order within an article, else retrieval order.
        chosen.sort(key=lambda t: (_SOURCE_ORDER.get(t[2].source, 2), t[1]))
        return [(rank, p, sent) for _, rank, p, sent in chosen]

    @staticmethod
    def compose(chosen: list[tuple[int, Passage, str]], retrieval: Retrieval) -> str:
        named = {r.article for r in retrieval.named}
        out: list[str] = []
        introduced: set[int] = set()
        last_chapeau = None
        for _, p, sent in chosen:
            body = sent
            if p.chapeau and re.match(r"\([a-z]{1,3}\)", sent):
                if p.chapeau == last_chapeau:
                    body = sent  # the lead-in was just quoted
                else:
                    sep = " " if p.chapeau.endswith(":") else " … "
                    body = f"{' '.join(p.chapeau.split())}{sep}{sent}"
                last_chapeau = p.chapeau
            else:
                last_chapeau = None
            if p.article in named and p.source == "convention" and p.article not in introduced:
                body = f"Article {p.article} ({p.title}): {body}"
                introduced.add(p.article)
            elif p.source == "briefing":
                body = f"According to the {p.document.split(' (')[0]} ({p.title}): {body}"
            out.append(f"{_finish(body)} [{p.label}]")
        return " ".join(out)
