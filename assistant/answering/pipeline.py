"""The answer pipeline as a LangChain runnable chain:

    guard -> resolve follow-up -> retrieve -> relevance gate -> answerer -> citation check

Any :class:`Answerer` plugs into the middle; guards, gate and citation checking are shared.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from langchain_core.runnables import RunnableLambda, RunnableSequence

from assistant.answering import guard
from assistant.answering.base import Answerer, Draft
from assistant.answering.citations import check
from assistant.answering.followup import Followup, Turn, resolve
from assistant.answering.support import unknown_share, unknown_topic
from assistant.models import Answer
from assistant.prompts import message
from assistant.retrieval.query import article_refs, wanted_sources
from assistant.retrieval.retriever import HybridRetriever, Retrieval
from assistant.settings import Settings


@dataclass
class State:
    question: str
    history: list[Turn] = field(default_factory=list)
    followup: Followup | None = None
    retrieval: Retrieval | None = None
    draft: Draft | None = None
    answer: Answer | None = None  # set as soon as a step decides the final answer
    notes: list[str] = field(default_factory=list)


def refusal(question: str, notice: str, resolved: str = "") -> Answer:
    return Answer(
        question=question,
        text=notice,
        citations=[],
        passages=[],
        abstained=True,
        notice=notice,
        resolved_question=resolved or question,
    )


class AnswerPipeline:
    def __init__(
        self,
        retriever: HybridRetriever,
        answerer: Answerer,
        settings: Settings,
        condenser: Callable[[str, list[Turn]], Followup] | None = None,
    ):
        self.retriever = retriever
        self.condense = condenser or resolve  # follow-up step (LLM condenser or rule-based)
        self.lexical = retriever.lexical
        self.answerer = answerer
        self.settings = settings
        self.known_articles = set(retriever.catalog.article_numbers)
        steps = [self._guard, self._resolve, self._retrieve, self._gate, self._draft, self._check]
        self.chain: RunnableSequence = RunnableSequence(
            *[RunnableLambda(self._skip_when_done(s)) for s in steps]
        )

    def run(self, question: str, history: list[Turn] | None = None) -> Answer:
        state = self.chain.invoke(State(question=question, history=list(history or [])))
        return state.answer

    def stream(self, question: str, history: list[Turn] | None = None) -> Iterator[str | Answer]:
        """Text deltas, then the final :class:`Answer`, whose checked text replaces the deltas.
        An answerer with a ``stream`` method (the LLM one) yields its raw tokens; otherwise the
        final text is yielded one cited sentence at a time."""
        s = State(question=question, history=list(history or []))
        for step in (self._guard, self._resolve, self._retrieve, self._gate):
            s = self._skip_when_done(step)(s)
        stream = getattr(self.answerer, "stream", None)
        if s.answer is None and stream is not None:
            for item in stream(self._draft_question(s), s.retrieval):
                if isinstance(item, Draft):
                    s.draft = item
                else:
                    yield item
            s = self._check(s)
        elif s.answer is None:
            s = self._check(self._draft(s))
        if stream is None or s.draft is None:
            for piece in re.split(r"(?<=\])\s+", s.answer.text):
                yield piece + " "
        yield s.answer

    @staticmethod
    def _skip_when_done(step):
        def run(state: State) -> State:
            return state if state.answer is not None else step(state)

        run.__name__ = step.__name__.lstrip("_")
        return run

    # --- steps ---------------------------------------------------------------------------------

    def _guard(self, s: State) -> State:
        q = s.question
        if guard.is_injection(q):
            s.answer = refusal(q, message("injection_refusal"))
            return s
        if guard.is_status_question(q):
            s.answer = refusal(q, message("status_question"))
            return s
        if guard.is_national_law_question(q) and not guard.mentions_this_convention(q):
            s.answer = refusal(q, message("national_law"))
            return s
        refs = article_refs(q)
        missing = guard.unknown_articles(refs, self.known_articles)
        inst = guard.other_instrument(q)
        bad_para = next(
            (
                r
                for r in refs
                if r.article in self.known_articles
                and r.paragraph
                and not self.retriever.catalog.has_provision(r.article, r.paragraph)
            ),
            None,
        )
        if missing and not (inst and not guard.mentions_this_convention(q)):
            nums = ", ".join(str(n) for n in missing)
            s.answer = refusal(q, message("unknown_article", numbers=nums))
        elif bad_para and not inst:
            s.answer = refusal(
                q,
                message(
                    "unknown_paragraph", article=bad_para.article, paragraph=bad_para.paragraph
                ),
            )
        elif inst and not guard.mentions_this_convention(q):
            s.answer = refusal(q, message("abstain_other_instrument", instrument=inst.name))
        elif inst:
            s.notes.append(message("other_instrument_note", instrument=inst.name))
        return s

    def _resolve(self, s: State) -> State:
        s.followup = self.condense(s.question, s.history)
        standalone = getattr(s.followup, "standalone", "")  # set by the LLM condenser
        if standalone:
            s.notes.append(message("llm_condensed_note", question=standalone))
        elif s.followup.is_followup:
            s.notes.append(message("followup_note", context=s.followup.context))
        return s

    def _retrieve(self, s: State) -> State:
        f = s.followup
        standalone = getattr(f, "standalone", "")  # a rewritten follow-up needs no context
        s.retrieval = self.retriever.search(
            standalone or f.question,
            k=self.settings.top_k,
            context="" if standalone else f.context,
            boost_labels=f.boost_labels,
        )
        return s

    def _gate(self, s: State) -> State:
        """Abstain when nothing in the corpus is close enough to the question."""
        r = s.retrieval
        if r.named or r.definitions or (s.followup and s.followup.is_followup):
            return s
        st = self.settings
        unknown = unknown_share(self.lexical, s.question)
        weak = r.top_dense < st.min_dense_score and unknown >= st.max_unknown_share
        if "briefing" in wanted_sources(s.question):  # asked about the briefing by name
            weak = False
        if (
            weak
            or unknown_topic(self.lexical, s.question)
            or r.top_dense < st.dense_floor
            or not r.passages
        ):
            s.answer = refusal(
                s.question,
                message("abstain_out_of_scope"),
                s.followup.resolved if s.followup else "",
            )
        return s

    @staticmethod
    def _draft_question(s: State) -> str:
        f = s.followup
        if getattr(f, "standalone", ""):
            return f.standalone
        return f"{f.question} {f.context}" if f.is_followup else f.question

    def _draft(self, s: State) -> State:
        s.draft = self.answerer.draft(self._draft_question(s), s.retrieval)
        return s

    def _check(self, s: State) -> State:
        d = s.draft
        resolved = s.followup.resolved
        if d.abstained or not d.text.strip():
            s.answer = refusal(s.question, d.notice or message("abstain_out_of_scope"), resolved)
            return s
        checked = check(d.text, d.passages)
        if not checked.citations:
            s.answer = refusal(s.question, message("abstain_out_of_scope"), resolved)
            return s
        cited = {c.label for c in checked.citations}
        s.answer = Answer(
            question=s.question,
            text=checked.text,
            citations=checked.citations,
            passages=[p for p in d.passages if p.label in cited] or d.passages,
            abstained=False,
            notice=" ".join(s.notes + ([d.notice] if d.notice else [])),
            resolved_question=resolved,
        )
        return s
