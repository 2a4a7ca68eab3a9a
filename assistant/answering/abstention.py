"""The one place that decides to decline a question.

Before retrieval, from the question analysis: prompt injections, questions about the treaty's
current status, about a named country's own law, about another instrument (named by a generic
pattern and declined *by the name the question uses*), about an article, paragraph,
interpretative note, resolution paragraph, preamble paragraph or chapter the text lacks, and
questions resting on a statement about the text, or a quotation of it, that the text does not
bear out (``claims.py``).

After retrieval, first a calibrated score, then a learned reading of manipulation attempts
(``ManipulationModel``, over the question's embedding and its words) for the forms no rule
names. The score, a logistic model over retrieval signals (best similarity to one of our
plain-language questions on a provision, to a provision, to one of our questions that the
Convention does not answer (``corpus/declined.toml``), and the share of the question's words the
official text never uses), estimates whether the Convention addresses the question; an unrelated
how-to question is thus declined as not addressed, not as manipulation. Its weights and
threshold are fitted on the tuning set's in-scope and out-of-scope items by ``python -m
evals.calibrate`` and stored in ``assistant/data/abstention.toml`` with the figures they were
fitted on; the frozen test set's near misses check them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from assistant.analysis import QueryAnalysis, roman
from assistant.answering.claims import ClaimChecker
from assistant.answering.fitted import fitted_model
from assistant.answering.manipulation import ManipulationModel
from assistant.index.catalog import Catalog
from assistant.index.lexical import GENERIC_TERMS, LexicalIndex
from assistant.models import SourceKind
from assistant.prompts import message
from assistant.retrieval.retriever import TITLE_SHARE, Retrieval
from assistant.settings import PACKAGED


class Reason(StrEnum):
    INJECTION = "injection_refusal"
    STATUS = "status_question"
    NOT_ENGLISH = "not_english"
    NATIONAL_LAW = "national_law"
    OTHER_INSTRUMENT = "abstain_other_instrument"
    UNKNOWN_ARTICLE = "unknown_article"
    UNKNOWN_PARAGRAPH = "unknown_paragraph"
    UNKNOWN_NOTE = "unknown_note"
    UNKNOWN_RESOLUTION_PARAGRAPH = "unknown_resolution_paragraph"
    UNKNOWN_CHAPTER = "unknown_chapter"
    UNKNOWN_RECITAL = "unknown_recital"
    UNKNOWN_PART = "unknown_part"
    CLAIM_NOT_IN_TEXT = "claim_not_in_text"
    MISQUOTED = "misquoted"
    OUT_OF_SCOPE = "abstain_out_of_scope"


@dataclass(frozen=True)
class Decision:
    reason: Reason
    notice: str  # what the user reads


@dataclass(frozen=True)
class Calibration:
    weights: dict[str, float]
    bias: float
    threshold: float  # decline when P(in scope) is below this

    @classmethod
    @cache
    def load(cls, family: str) -> Calibration:
        """The model fitted for an embedding model family (similarities differ per model);
        an unknown family gets the packaged model's."""
        data = fitted_model("abstention.toml", family) or fitted_model("abstention.toml", PACKAGED)
        if data is None:
            raise KeyError(PACKAGED)
        return cls(dict(data["weights"]), float(data["bias"]), float(data["threshold"]))


def signals(retrieval: Retrieval, lexical: LexicalIndex) -> dict[str, float]:
    """The features of the in-scope model (all in [0, 1])."""
    terms = set(lexical.terms(retrieval.query)) - GENERIC_TERMS
    unknown = terms - lexical.official_vocabulary
    return {
        "top_question": retrieval.top_question,
        "top_dense": retrieval.top_dense,
        "top_declined": retrieval.top_declined,
        # the share of the question's content terms that the indexed text never uses, counted
        # (not weighted by rarity, which let one rare word decide: tuning, declines at 0.5%
        # false abstentions 0.852 -> 0.902, cross-validated 0.852 -> 0.918)
        "unknown_share": len(unknown) / len(terms) if terms else 0.0,
    }


def in_scope_probability(features: dict[str, float], calibration: Calibration) -> float:
    z = calibration.bias + sum(w * features.get(k, 0.0) for k, w in calibration.weights.items())
    return 1.0 / (1.0 + math.exp(-z))


class AbstentionPolicy:
    def __init__(
        self,
        catalog: Catalog,
        lexical: LexicalIndex,
        calibration: Calibration,
        *,
        manipulation: ManipulationModel | None = None,
        embed: Callable[[str], list[float]] | None = None,
        claims: ClaimChecker | None = None,
    ):
        self.catalog = catalog
        self.lexical = lexical
        self.calibration = calibration
        self.manipulation = manipulation  # None: the rules alone read manipulation attempts
        self.embed = embed  # the question's embedding when retrieval searched another text
        self.claims = claims  # None: statements about the text are not checked
        self.articles = set(catalog.article_numbers)
        self.last_article = max(self.articles, default=0)
        self.chapters = catalog.chapter_numbers  # read once, not per question
        self.note_count = len(catalog.by_source(SourceKind.NOTES))

    def before_retrieval(self, a: QueryAnalysis) -> Decision | None:
        """Questions declined from their form alone."""
        if a.injection:
            return self._decide(Reason.INJECTION)
        if a.language:
            return self._decide(Reason.NOT_ENGLISH, language=a.language)
        if a.status:
            return self._decide(Reason.STATUS)
        if a.other_instrument and not a.mentions_this_convention:
            name = a.other_instrument
            name = name if name.lower().startswith("the ") else f"the {name}"
            return self._decide(Reason.OTHER_INSTRUMENT, instrument=name)
        if a.national_law and not a.mentions_this_convention:
            return self._decide(Reason.NATIONAL_LAW, country=a.national_law)
        missing = [r.name for r in a.named if r.article not in self.articles or r.suffix]
        if missing:
            nums = ", ".join(missing)
            return self._decide(Reason.UNKNOWN_ARTICLE, numbers=nums)
        for r in a.named:
            if r.paragraph and not self.catalog.has_provision(r.article, r.paragraph):
                return self._decide(
                    Reason.UNKNOWN_PARAGRAPH, article=r.article, paragraph=r.paragraph
                )
        for n in a.named_notes:
            if not 1 <= n <= self.note_count:
                return self._decide(Reason.UNKNOWN_NOTE, number=n, count=self.note_count)
        for n in a.named_chapters:
            if n not in self.chapters:
                last = max(self.chapters, default=0)
                return self._decide(
                    Reason.UNKNOWN_CHAPTER, number=roman(n), count=last, final=roman(last)
                )
        if a.named_parts:  # the text has no numbered protocol, annex or part at all
            return self._decide(Reason.UNKNOWN_PART, part=a.named_parts[0])
        for label in a.named_recitals:
            if label not in self.catalog.by_label:
                prefix, number = label.rsplit(" ", 1)
                document = "resolution" if prefix.startswith("Res.") else "Convention"
                count = self.catalog.count_labels(prefix)
                return self._decide(
                    Reason.UNKNOWN_RECITAL, document=document, number=number, count=count
                )
        paragraphs = self.catalog.count_labels("Res. para.")  # counted once, not per question
        for n in a.named_resolution_paragraphs:
            if not 1 <= n <= paragraphs:
                return self._decide(Reason.UNKNOWN_RESOLUTION_PARAGRAPH, number=n, count=paragraphs)
        finding = self.claims.check(a) if self.claims else None
        if finding is not None:
            return self._decide(
                Reason(finding.problem.value),
                statement=finding.statement.rstrip(" .,;:"),
                because=finding.because,
                where=finding.where,
            )
        return None

    def after_retrieval(self, a: QueryAnalysis, r: Retrieval, *, followup: bool) -> Decision | None:
        """Decline when the calibrated model says the Convention does not address the question
        (so an unrelated how-to question reads "not addressed", not "manipulation"), then a
        manipulation attempt the learned model recognises (whatever the question names)."""
        if not r.passages:
            return self._decide(Reason.OUT_OF_SCOPE)
        points_at_text = bool(
            r.named or r.named_labels or r.definitions or followup or a.sources or a.named_chapters
        )
        # ... or at an article by its title ("Which article deals with denunciation?"), or at
        # the provisions that use the words it asks about ("Which article covers grooming?")
        if not points_at_text and r.title_share < TITLE_SHARE and not r.located:
            p = in_scope_probability(signals(r, self.lexical), self.calibration)
            if p < self.calibration.threshold:
                return self._decide(Reason.OUT_OF_SCOPE)
        return self._decide(Reason.INJECTION) if self._manipulation(a, r) else None

    def _manipulation(self, a: QueryAnalysis, r: Retrieval) -> bool:
        """The learned reading, of the question as asked (its framing is often the attempt:
        "... and nothing else"), not only the topic retrieval searched."""
        if self.manipulation is None:
            return False
        if r.vector and r.query == a.question:
            vector = r.vector
        elif self.embed is not None:
            vector = self.embed(a.question)
        else:
            return False
        return self.manipulation.flags(vector, a.question)

    def _decide(self, reason: Reason, **values) -> Decision:
        return Decision(reason, message(reason.value, last=self.last_article, **values))
