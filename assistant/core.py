"""The one object every interface is thin over."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from assistant.analysis import analyze
from assistant.answering.abstention import AbstentionPolicy, Calibration
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.followup import Turn, resolve
from assistant.answering.guard import InvalidQuestion, check_text, validate
from assistant.answering.pipeline import AnswerPipeline
from assistant.answering.support import support
from assistant.documents.provision_notes import load_declined, load_notes
from assistant.index.catalog import Catalog
from assistant.index.embeddings import make_embeddings
from assistant.index.ingest import IngestReport, indexed_text, ingest, open_collection
from assistant.index.lexical import LexicalIndex
from assistant.index.questions import QuestionIndex, indexed_questions, questions_collection_name
from assistant.index.store import make_client
from assistant.models import Answer, Chunk, Passage, page_link, pages_text
from assistant.retrieval.coverage import Coverage
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class ArticleView:
    number: int
    title: str
    chapter: int | None
    chapter_title: str
    provisions: list[Chunk]
    cross_references: list[int]

    @property
    def pages(self) -> list[int]:
        """Official PDF pages the article's provisions are printed on."""
        return sorted({p for c in self.provisions for p in c.pages})

    @property
    def link(self) -> str:
        """The official PDF at the article's first page (``...#page=16``)."""
        return page_link(next((c.url for c in self.provisions if c.url), ""), self.pages)

    @property
    def pages_text(self) -> str:
        """ "p. 16", "pp. 5-6"."""
        return pages_text(self.pages)

    def text(self) -> str:
        """The article as printed: "1. lead-in", its "(a) ..." items, the closing words."""
        lines: list[str] = []
        group, pending_tail = None, ""  # paragraph whose items are being printed, its tail
        for c in self.provisions:
            para = c.paragraph or ""
            item = "(" in para or para.isalpha()
            head = "" if para.isalpha() else para.split("(")[0]
            number = f"{head}. " if head else ""
            if not item or group != head:
                if pending_tail:
                    lines.append(pending_tail)
                group, pending_tail = (head, c.tail) if item else (None, "")
                if item and c.chapeau.strip():
                    lines.append(number + c.chapeau)
                    number = ""
            else:
                number = ""
            lines.append(number + c.text)
        if pending_tail:
            lines.append(pending_tail)
        return "\n".join(lines)


class Assistant:
    """Grounded Q&A over the Convention.

    >>> bot = Assistant()                       # builds the index on first use if missing
    >>> ans = bot.ask("Can police make a provider hand over subscriber data?")
    >>> ans.text, ans.citations, ans.abstained
    """

    def __init__(self, settings: Settings | None = None, *, progress: bool = True):
        self.settings = settings or Settings()
        self.progress = progress
        self._lock = threading.Lock()
        self._ready = False

    # --- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        with self._lock:
            if self._ready:
                return
            s = self.settings
            self.embeddings = make_embeddings(s)
            self.client = make_client(s)
            collection = open_collection(s, self.client)
            if collection.count() == 0:
                log.info("no index yet: ingesting the sources")
                ingest(s, progress=self.progress, embeddings=self.embeddings, client=self.client)
            self._load()
            self._ready = True

    def _load(self) -> None:
        s = self.settings
        self.catalog = Catalog.from_collection(self.client.get_collection(s.collection))
        self.notes = load_notes(s.provisions_dir)
        self.lexical = LexicalIndex(
            self.catalog.chunks, texts=[indexed_text(c, self.notes, s) for c in self.catalog.chunks]
        )
        declined = load_declined(s.declined_path)
        questions = [
            q
            for q in indexed_questions(self.notes, declined)
            if q.declined or q.label in self.catalog.by_label
        ]
        on_provisions = [q for q in questions if not q.declined]
        coverage = Coverage(self.lexical, self.notes)
        self.retriever = HybridRetriever(
            self.client.get_collection(s.collection),
            self.embeddings,
            self.catalog,
            self.lexical,
            QuestionIndex(
                self.client.get_collection(questions_collection_name(s.collection)), questions
            ),
            LexicalIndex(on_provisions, texts=[q.text for q in on_provisions]),
            coverage,
            candidates=s.candidates,
            rrf_k=s.rrf_k,
            weights=s.fusion,
        )
        self.policy = AbstentionPolicy(self.catalog, self.lexical, Calibration.load(s.model_family))
        self.extractive = ExtractiveAnswerer(self.notes, self.lexical.terms, coverage)
        self.answerer = self.extractive
        condenser = None
        if s.llm:  # LLM answers, verified, with the extractive answerer as the fallback
            from assistant.answering.condense import LLMCondenser
            from assistant.answering.llm import LLMAnswerer, LLMClient

            client = LLMClient(s)
            self.answerer = LLMAnswerer(
                client,
                self.extractive,
                partial(support, self.lexical),
                articles=self.catalog.article_numbers,
            )
            condenser = LLMCondenser(client)
            log.info("answers by %s (fallback: extractive)", s.llm)
        self.pipeline = AnswerPipeline(
            self.retriever, self.answerer, self.policy, s, condenser=condenser
        )

    def ensure_ready(self) -> Assistant:
        if not self._ready:
            self._build()
        return self

    def ingest(self) -> IngestReport:
        """(Re)ingest the sources incrementally and reload the in-memory indexes."""
        self.ensure_ready()
        report = ingest(
            self.settings, progress=self.progress, embeddings=self.embeddings, client=self.client
        )
        if report.changed:
            with self._lock:
                self._load()
        return report

    # --- public API ----------------------------------------------------------------------------

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        """Answer with inline citations; raises :class:`InvalidQuestion` on bad input."""
        text = validate(question, max_chars=self.settings.max_question_chars)
        turns = _clean_history(history, self.settings.max_question_chars)
        self.ensure_ready()
        return self.pipeline.run(text, turns)

    def ask_stream(
        self, question: str, history: list[Turn] | None = None
    ) -> Iterator[str | Answer]:
        """Like :meth:`ask`, streamed: text deltas (``str``) as the answer is written, then the
        final :class:`Answer`. With an LLM the deltas are the model's raw tokens and the final
        Answer's verified text replaces them; otherwise they are the answer's cited sentences.
        Bad input raises :class:`InvalidQuestion` here, before anything is yielded."""
        text = validate(question, max_chars=self.settings.max_question_chars)
        turns = _clean_history(history, self.settings.max_question_chars)
        self.ensure_ready()
        return self.pipeline.stream(text, turns)

    def retrieve(
        self, question: str, k: int = 5, history: list[Turn] | None = None
    ) -> list[Passage]:
        """The ``k`` best passages (one per article), best first; ``history`` resolves
        follow-ups the same way :meth:`ask` does."""
        text = validate(question, max_chars=self.settings.max_question_chars)
        if not 1 <= k <= 50:
            raise ValueError("k must be between 1 and 50")
        self.ensure_ready()
        turns = _clean_history(history, self.settings.max_question_chars)
        f = resolve(text, turns)
        return self.retriever.search(
            analyze(text, conversation=bool(turns)),
            k=k,
            context=f.context,
            boost_labels=f.boost_labels,
        ).passages

    def article(self, number: int) -> ArticleView | None:
        """An article's full text by provision, or None when the Convention has no such article."""
        self.ensure_ready()
        chunks = self.catalog.article(number)
        if not chunks:
            return None
        c = chunks[0]
        return ArticleView(
            number, c.article_title, c.chapter, c.chapter_title, chunks, list(c.cross_references)
        )

    def articles(self) -> list[ArticleView]:
        self.ensure_ready()
        return [self.article(n) for n in self.catalog.article_numbers]


def _clean_history(history: list[Turn] | None, max_chars: int) -> list[Turn]:
    if not history:
        return []
    out = []
    for turn in history[-10:]:
        if not isinstance(turn, (tuple, list)) or len(turn) != 2:
            raise InvalidQuestion("history must be a list of (question, answer) pairs")
        q, a = turn
        q = check_text(q or "", what="An earlier question in the history")
        a = check_text(a or "", what="An earlier answer in the history")
        out.append((q[:max_chars], a[: 4 * max_chars]))
    return out
