"""The answer pipeline as a LangChain runnable chain:

    analyse -> decline? (form) -> resolve follow-up -> retrieve -> decline? (calibrated score)
    -> answerer -> citation check

Any :class:`Answerer` plugs into the middle; the question analysis
(``assistant/analysis.py``), the abstention policy (``abstention.py``) and citation checking are
shared. Input validation happens before (``guard.validate``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from langchain_core.runnables import RunnableLambda, RunnableSequence

from assistant.analysis import QueryAnalysis, analyze
from assistant.answering.abstention import AbstentionPolicy, Decision
from assistant.answering.base import Answerer, Draft
from assistant.answering.citations import check
from assistant.answering.followup import Followup, Turn, resolve
from assistant.models import Answer
from assistant.prompts import message
from assistant.retrieval.retriever import HybridRetriever, Retrieval
from assistant.settings import Settings


@dataclass
class State:
    question: str
    history: list[Turn] = field(default_factory=list)
    analysis: QueryAnalysis | None = None
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
        policy: AbstentionPolicy,
        settings: Settings,
        condenser: Callable[[str, list[Turn]], Followup] | None = None,
    ):
        self.retriever = retriever
        self.condense = condenser or resolve  # follow-up step (LLM condenser or rule-based)
        self.answerer = answerer
        self.policy = policy
        self.settings = settings
        steps = [
            self._analyse,
            self._resolve,
            self._retrieve,
            self._gate,
            self._draft,
            self._check,
        ]
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
        for step in (self._analyse, self._resolve, self._retrieve, self._gate):
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
        if stream is None or s.draft is None:  # one cited sentence at a time, spacing kept
            yield from re.findall(r".*?\](?:\s+|$)|.+$", s.answer.text, flags=re.S)
        yield s.answer

    def until_gate(self, question: str, history: list[Turn] | None = None) -> State:
        """The steps before the calibrated gate (its calibration reads their signals)."""
        s = State(question=question, history=list(history or []))
        for step in (self._analyse, self._resolve, self._retrieve):
            s = self._skip_when_done(step)(s)
        return s

    @staticmethod
    def _skip_when_done(step):
        def run(state: State) -> State:
            return state if state.answer is not None else step(state)

        run.__name__ = step.__name__.lstrip("_")
        return run

    def _decline(self, s: State, decision: Decision) -> State:
        resolved = s.followup.resolved if s.followup else ""
        s.answer = refusal(s.question, decision.notice, resolved)
        return s

    # --- steps ---------------------------------------------------------------------------------

    def _analyse(self, s: State) -> State:
        earlier = s.history[-1][0] if s.history else ""
        s.analysis = analyze(s.question, conversation=bool(s.history), earlier=earlier)
        decision = self.policy.before_retrieval(s.analysis)
        if decision is not None:
            return self._decline(s, decision)
        if s.analysis.other_instrument:  # named beside this Convention: answer for this one
            s.notes.append(message("other_instrument_note", instrument=s.analysis.other_instrument))
        return s

    def _resolve(self, s: State) -> State:
        s.followup = self.condense(s.question, s.history)
        standalone = s.followup.standalone  # rewritten by the rules or the LLM condenser
        if standalone:
            s.notes.append(message("rewritten_note", question=standalone))
            s.analysis = analyze(standalone)
        elif s.followup.is_followup:
            s.notes.append(message("followup_note", context=s.followup.context))
        return s

    def _retrieve(self, s: State) -> State:
        s.retrieval = self.search(s.analysis, s.followup, self.settings.top_k)
        return s

    def search(self, analysis: QueryAnalysis, f: Followup, k: int) -> Retrieval:
        """Retrieval for a question as its follow-up step read it: the earlier question and
        the earlier answer's citations steer a follow-up, not one rewritten to stand alone."""
        standalone = f.standalone
        return self.retriever.search(
            analysis,
            k=k,
            context="" if standalone else f.context,
            boost_labels=[] if standalone else f.boost_labels,
        )

    def _gate(self, s: State) -> State:
        decision = self.policy.after_retrieval(
            s.analysis, s.retrieval, followup=bool(s.followup and s.followup.is_followup)
        )
        return self._decline(s, decision) if decision is not None else s

    @staticmethod
    def _draft_question(s: State) -> str:
        """The follow-up's own question leads; the earlier turn only steered retrieval."""
        return s.followup.standalone or s.followup.question

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
