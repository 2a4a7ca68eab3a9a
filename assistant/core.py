"""The one object every interface is thin over."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial

from assistant.analysis import analyze
from assistant.answering.abstention import AbstentionPolicy, Calibration
from assistant.answering.claims import ClaimChecker
from assistant.answering.coverage import Coverage
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.answering.followup import Turn, resolve
from assistant.answering.guard import InvalidQuestion, check_text, validate
from assistant.answering.manipulation import ManipulationModel
from assistant.answering.pipeline import AnswerPipeline
from assistant.answering.selector import Selector
from assistant.answering.support import support
from assistant.documents.fetch import FetchError
from assistant.documents.provision_notes import load_notes
from assistant.index import snapshot
from assistant.index.embeddings import make_embeddings
from assistant.index.ingest import IngestReport, ingest
from assistant.index.integrity import IndexState, check, index_lock, open_client
from assistant.index.questions import QuestionIndex, questions_collection_name
from assistant.models import Answer, Chunk, Passage, page_link, pages_text
from assistant.retrieval.retriever import HybridRetriever
from assistant.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Readiness:
    """Whether the assistant can answer yet, and if not, why (what ``/healthz`` reports)."""

    ready: bool
    state: str  # starting, checking, building, resuming, updating, rebuilding, ready, failed
    reason: str


# What starting up does about an index in each state (see assistant.index.integrity).
_REPAIR = {
    IndexState.MISSING: "building",
    IndexState.INCOMPLETE: "resuming",
    IndexState.STALE: "updating",
    IndexState.CORRUPT: "rebuilding",
}


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

    >>> bot = Assistant()        # checks the index on first use; builds or repairs it if needed
    >>> ans = bot.ask("Can the police force a company to hand over subscriber information?")
    >>> ans.text, ans.citations, ans.abstained
    """

    def __init__(self, settings: Settings | None = None, *, progress: bool = True):
        self.settings = settings or Settings()
        self.progress = progress
        self._lock = threading.Lock()
        self._ready = False
        self._status = Readiness(False, "starting", "the index has not been loaded yet")

    @property
    def status(self) -> Readiness:
        return self._status

    # --- building ------------------------------------------------------------------------------

    def _build(self) -> None:
        with self._lock:
            if self._ready:
                return
            try:
                self._check_and_load()
            except Exception as exc:
                self._status = Readiness(False, "failed", " ".join(str(exc).split()) or repr(exc))
                raise
            self._ready = True
            self._status = Readiness(True, "ready", "")

    def _check_and_load(self) -> None:
        """Check the index before serving: load it when complete and current; otherwise resume,
        update or rebuild it first (a stale index is kept when its sources cannot be read).
        Under the index lock, so that replicas starting together repair it once."""
        with index_lock(self.settings):
            self._check_and_load_locked()

    def _check_and_load_locked(self) -> None:
        s = self.settings
        self._status = Readiness(False, "checking", "checking the index")
        self.embeddings = make_embeddings(s)
        self.client = open_client(s)
        status = check(s, self.client)
        if not status.ready:
            action = _REPAIR[status.state]
            self._status = Readiness(False, action, f"{status.reason}: {action} the index")

            def progress(stage: str, done: int, total: int) -> None:
                step = f"{stage} {done}/{total}" if total else stage
                self._status = Readiness(False, action, f"{status.reason}: {action} ({step})")

            try:
                ingest(
                    s,
                    progress=self.progress,
                    embeddings=self.embeddings,
                    client=self.client,
                    on_progress=progress,
                )
            except FetchError as exc:
                if status.state != IndexState.STALE:
                    raise
                log.warning("cannot update the index (%s): serving the complete one there is", exc)
            self.client = open_client(s)  # a rebuilt store is a new one
        self._status = Readiness(False, "loading", "loading the index")
        self._load()

    def _load(self) -> None:
        s = self.settings
        snap = snapshot.load(s.index_dir)
        self.catalog = snap.catalog
        self.lexical = snap.lexical
        self.notes = load_notes(s.provisions_dir)
        coverage = Coverage(self.lexical, self.notes)
        self.retriever = HybridRetriever(
            self.client.get_collection(s.collection),
            self.embeddings,
            self.catalog,
            self.lexical,
            QuestionIndex(
                self.client.get_collection(questions_collection_name(s.collection)), snap.questions
            ),
            snap.question_lexical,
            candidates=s.candidates,
            rrf_k=s.rrf_k,
            weights=s.fusion,
            lead_articles=s.lead_articles,
        )
        self.policy = AbstentionPolicy(
            self.catalog,
            self.lexical,
            Calibration.load(s.model_family),
            manipulation=ManipulationModel.load(s.model_family),
            embed=self.retriever.embed,
            claims=ClaimChecker(self.catalog, self.lexical),
        )
        self.extractive = ExtractiveAnswerer(
            self.notes, self.lexical.terms, coverage, selector=Selector.load(s.model_family)
        )
        self.answerer = self.extractive
        # rule-based follow-up resolution, rewriting elliptical follow-ups by defined terms
        self.resolve = partial(resolve, terms=tuple(self.catalog.definitions))
        condenser = self.resolve
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
            condenser = LLMCondenser(client, self.resolve)
            log.info("answers by %s (fallback: extractive)", s.llm)
        self.pipeline = AnswerPipeline(
            self.retriever, self.answerer, self.policy, s, condenser=condenser
        )
        # The index's objects live as long as the process: out of the collector's sight, so
        # that a full collection under load does not walk them all (latency spikes).
        gc.collect()
        gc.freeze()

    def ensure_ready(self) -> Assistant:
        if not self._ready:
            self._build()
        return self

    def ingest(self, *, rebuild: bool = False) -> IngestReport:
        """(Re)ingest the sources incrementally (``rebuild``: from scratch) and reload the
        in-memory indexes."""
        self.ensure_ready()
        report = ingest(
            self.settings,
            progress=self.progress,
            embeddings=self.embeddings,
            client=self.client,
            rebuild=rebuild,
        )
        if report.changed or rebuild:
            with self._lock:
                self.client = open_client(self.settings)
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
        """The ``k`` best passages, best first: one per article, and a second provision of each
        leading article (``lead_articles``); ``history`` resolves follow-ups as :meth:`ask` does."""
        text = validate(question, max_chars=self.settings.max_question_chars)
        if not 1 <= k <= 50:
            raise ValueError("k must be between 1 and 50")
        self.ensure_ready()
        turns = _clean_history(history, self.settings.max_question_chars)
        f = self.resolve(text, turns)
        analysis = (
            analyze(f.standalone)
            if f.standalone
            else analyze(text, conversation=bool(turns), earlier=turns[-1][0] if turns else "")
        )
        return self.pipeline.search(analysis, f, k).passages

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
