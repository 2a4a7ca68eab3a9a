"""Verification of a generated answer against the passages it was given, sentence by sentence,
before a sentence is shown.

1. Every bracketed label must name a supplied passage. A label for a sub-provision or a parent of
   a supplied passage (``Art. 27`` when ``Art. 27(b)`` was supplied) is mapped onto it; any other
   label is invented: it is removed and recorded.
2. Every sentence must cite, and its cited passages must support it: the evaluation suite's
   lexical support score (:func:`assistant.answering.support.support`) at or above
   ``SUPPORT_THRESHOLD``. Uncited and unsupported sentences are dropped and counted.
3. Claim checks: a supported sentence must not contradict what it cites.
   - every number, ordinal, duration and date it states occurs in a cited provision with the
     same meaning (``assistant.language.quantities``: "fortieth instrument" is not "fortieth
     day", "90 days" is not "90 months");
   - the deontic force agrees (``assistant.language.modality``): a "shall not", "may not",
     "never", "is not obliged" where the provision says nothing negative, or an obligation it
     does not impose, contradicts it; a negation ("not", "never", "no") where the cited text has
     none does too;
   - an article named in the prose ("Under Article 99 ...") must be real and supplied (one of
     the passages, or named in them);
   - a bare "Yes." / "No." carries no claim of its own: it is shown only before a supported
     reason, and a "No" needs a reason that says no (a negation or a restriction).
4. A cited label that adds nothing to a supported sentence's support (and does not support it
   alone) is pruned, so every remaining citation carries part of its sentence.

The caller decides what to do with what survives (``kept_share``): the LLM answerer falls back to
the extractive answer when too little does. :class:`Verifier` checks one sentence at a time (the
LLM answerer streams with it); :func:`verify` checks a whole text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from assistant.answering.support import SUPPORT_THRESHOLD
from assistant.labels import BRACKETED, label_covers
from assistant.language.modality import Modality, modalities, unsupported_modalities
from assistant.language.quantities import unsupported_quantities
from assistant.language.sentences import split_sentences
from assistant.models import Passage

Scorer = Callable[[str, list[Passage]], float]

_LABEL_LIKE = re.compile(r"\s*(Art\b|Article|Conv\.|Res\.|Interp\.|Briefing|UNIS|Note)")
_LABEL_SPLIT = re.compile(r";|,(?=\s*(?:Art|Article|Conv\.|Res\.|Interp\.|Briefing))")
# "Article 99", "Art. 27", "articles 23 and 35", "Articles 12, 13 or 14" written in prose
_PROSE_ARTICLES = re.compile(
    r"\b(?:articles?|arts?\.?)\s+(\d{1,4}(?:\s*\([0-9a-z]{1,4}\))*"
    r"(?:\s*(?:,|and|or|to|through|-|–)\s*\d{1,4}(?:\s*\([0-9a-z]{1,4}\))*)*)",
    re.IGNORECASE,
)
_NEGATION = re.compile(
    r"\b(?:not|never|no|none|neither|nor|cannot|nothing|nobody)\b|n['’]t\b", re.IGNORECASE
)
# what a reason for "No" may open with instead of a negation: a restriction ("Only States ...")
_RESTRICTION = re.compile(r"^\W*(?:only|solely|exclusively)\b", re.I)
# a negated verb: "shall not take", "may never disclose", "cannot refuse" (not "shall not be")
_NEGATED_VERB = re.compile(
    r"\b(?:shall|may|must|can|will|should|would|do|does)\s+(?:not|never)\s+(?!be\b|have\b)(\w+)"
    r"|\bcannot\s+(?!be\b|have\b)(\w+)",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"^\s*(yes|no)\b[\s,.;:!–-]*", re.IGNORECASE)

# Why a sentence was dropped (``Sentence.problem``).
UNCITED = "uncited"
UNSUPPORTED = "unsupported"
NUMBER = "number"  # a number, ordinal, duration or date the cited text does not state
MODALITY = "modality"  # an obligation / permission / prohibition the cited text does not state
NEGATION = "negation"  # a negation the cited text does not have
ARTICLE = "article"  # an article named in the prose that is not real or not supplied
BARE = "bare yes/no"  # "Yes." / "No." without a supported reason (or a "No" whose reason is not)
CONTRADICTIONS = (NUMBER, MODALITY, NEGATION, ARTICLE, BARE)


@dataclass
class Sentence:
    text: str  # as written, with invented labels removed and mapped labels rewritten
    claim: str  # the words alone, without any label
    labels: list[str]  # supplied labels it cites, in order
    score: float | None = None  # support of the claim by its cited passages
    problem: str = ""  # why it was dropped ("" when kept)
    detail: str = ""  # what exactly contradicts (e.g. "thirtieth", "may not", "Article 99")


@dataclass
class Verification:
    text: str  # the supported sentences, joined
    kept: list[Sentence]
    unsupported: list[Sentence] = field(default_factory=list)  # cited, but not supported
    uncited: list[Sentence] = field(default_factory=list)  # no valid label at all
    contradicted: list[Sentence] = field(default_factory=list)  # failed a claim check
    invented: list[str] = field(default_factory=list)  # labels naming no supplied passage
    pruned: list[str] = field(default_factory=list)  # valid labels that supported nothing
    total_chars: int = 0  # length of all claims of the raw answer

    @property
    def dropped(self) -> list[Sentence]:
        return self.unsupported + self.uncited + self.contradicted

    @property
    def kept_share(self) -> float:
        kept = sum(len(s.claim) for s in self.kept)
        return kept / self.total_chars if self.total_chars else 0.0


def normalise_label(label: str) -> str:
    """``Article 27 (b)`` / ``Art 27(b)`` -> ``Art. 27(b)``; other labels are only trimmed."""
    s = " ".join(label.split())
    m = re.match(r"^(?:Article|Art\.?)\s*(\d{1,3})\s*((?:\(\s*[0-9a-z]+\s*\)\s*)*)$", s, re.I)
    if not m:
        return s
    return f"Art. {m.group(1)}" + re.sub(r"\s+", "", m.group(2)).lower()


def resolve_label(label: str, supplied: list[str]) -> list[str]:
    """The supplied labels a cited label stands for: itself, the supplied sub-provisions of a
    cited parent, or the supplied parent of a cited sub-provision; [] when it is invented."""
    lab = normalise_label(label)
    if lab in supplied:
        return [lab]
    children = [s for s in supplied if label_covers(lab, s)]
    if children:
        return children
    return [s for s in supplied if label_covers(s, lab)][:1]


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    return re.sub(r"\s+([.,;:!?])", r"\1", text).strip()


def parse_sentence(raw: str, supplied: list[str], invented: list[str]) -> Sentence:
    labels: list[str] = []

    def rewrite(m: re.Match) -> str:
        if not _LABEL_LIKE.match(m.group(1)):
            return m.group(0)  # an ordinary bracket, not a citation
        good: list[str] = []
        for part in (p.strip() for p in _LABEL_SPLIT.split(m.group(1))):
            resolved = resolve_label(part, supplied) if part else []
            if part and not resolved:
                invented.append(part)
            for lab in resolved:
                if lab not in good:
                    good.append(lab)
        labels.extend(lab for lab in good if lab not in labels)
        return f"[{'; '.join(good)}]" if good else ""

    text = _tidy(BRACKETED.sub(rewrite, raw))
    claim = _tidy(BRACKETED.sub(lambda m: "" if _LABEL_LIKE.match(m.group(1)) else m.group(0), raw))
    return Sentence(text=text, claim=claim, labels=labels)


def prose_articles(text: str) -> list[int]:
    """Article numbers named in running text ("Under Article 99", "articles 23 and 35")."""
    out: list[int] = []
    for m in _PROSE_ARTICLES.finditer(text):
        numbers = re.sub(r"\([0-9a-z]{1,4}\)", "", m.group(1))
        span = re.search(r"(\d+)\s*(?:to|through|-|–)\s*(\d+)", numbers)
        if span and int(span.group(2)) - int(span.group(1)) < 70:
            out += range(int(span.group(1)), int(span.group(2)) + 1)
        out += [int(n) for n in re.findall(r"\d+", numbers)]
    return list(dict.fromkeys(out))


def source_text(p: Passage) -> str:
    """What a cited passage states: its heading (title, document: "Interpretative note on
    Articles 23 and 35"), its lead-in, its words and its closing words."""
    return " ".join(x for x in (p.document, p.title, p.sentence()) if x)


def _yes_no(claim: str) -> tuple[str, str]:
    """``("no", rest)`` for a claim opening with "No" ("" when it does not), and the rest."""
    m = _YES_NO.match(claim)
    if not m:
        return "", claim
    return m.group(1).lower(), claim[m.end() :].strip()


_NEGATIVE = {Modality.PROHIBITION, Modality.NO_OBLIGATION}


def _polarity_conflicts(claim: str, source: str) -> set[Modality]:
    """Deontic categories of the claim its source does not carry, compared by polarity for the
    negative ones: "is not obliged" rests on "nothing ... shall be construed as imposing an
    obligation" (which reads as a prohibition), "may not" on "shall not"; an obligation needs an
    obligation, a permission a permission or an obligation."""
    missing = unsupported_modalities(claim, source)
    if missing & _NEGATIVE and modalities(source) & _NEGATIVE:
        missing -= _NEGATIVE
    return missing


def _says_no(text: str) -> bool:
    return bool(_NEGATION.search(text) or _RESTRICTION.search(text))


def _unsupported_negated_verb(claim: str, source: str) -> str:
    """A "shall not <verb>" of the claim whose verb the source states, but never negated (no
    "not", "nothing", "unable", ... within six words before it): a negation added to a
    provision that has others elsewhere. A verb the source does not use (a paraphrase) is left
    to the other checks."""
    for m in _NEGATED_VERB.finditer(claim):
        verb = (m.group(1) or m.group(2)).lower()
        stem = re.escape(verb[:5])
        if not re.search(rf"\b{stem}", source, re.IGNORECASE):
            continue
        if not re.search(
            rf"\b(?:not|never|no|nothing|cannot|neither|nor|unable|without)\b"
            rf"(?:\W+\w+){{0,6}}?\W+{stem}",
            source,
            re.IGNORECASE,
        ):
            return m.group(0)
    return ""


class Verifier:
    """Checks an answer one sentence at a time (:meth:`add`), as it is written; :meth:`result`
    gives the :class:`Verification` of everything added.

    ``articles`` are the real article numbers (for the message: "no such article" versus "not
    supplied"); an article named in the prose must be an article of a supplied passage or one
    the supplied passages themselves name."""

    def __init__(
        self,
        passages: list[Passage],
        score: Scorer,
        *,
        threshold: float = SUPPORT_THRESHOLD,
        articles: Iterable[int] | None = None,
    ):
        self.by_label: dict[str, Passage] = {}
        for p in passages:
            self.by_label.setdefault(p.label, p)
        self.supplied = list(self.by_label)
        self.score = score
        self.threshold = threshold
        self.real_articles = set(articles) if articles is not None else None
        self.supplied_articles = {p.article for p in passages if p.article} | {
            n for p in passages for n in prose_articles(source_text(p))
        }
        self._invented: list[str] = []
        self.result_ = Verification(text="", kept=[])
        self._bare: Sentence | None = None  # a "Yes." / "No." waiting for its reason

    # --- one sentence -------------------------------------------------------------------------

    def add(self, raw: str) -> list[Sentence]:
        """Check one sentence of the answer; returns the sentences now cleared for display (a
        bare "Yes."/"No." is held back until its reason is checked)."""
        s = parse_sentence(raw, self.supplied, self._invented)
        if not s.claim.strip(" .;:-"):
            return []  # a stray label on its own
        r = self.result_
        r.total_chars += len(s.claim)
        answer, rest = _yes_no(s.claim)
        if answer and not rest.strip(" .;:!-"):  # a bare "Yes." or "No."
            self._settle_bare(None)
            self._bare = s
            return []
        self._check(s)
        if s.problem:
            self._drop(s)
            self._settle_bare(None)
            return []
        if answer == "no" and not _says_no(rest):
            self._settle_bare(None)
            return self._reject(s, BARE, "“No” followed by a reason that does not say no")
        shown = self._settle_bare(s)
        r.pruned += self._prune(s)
        r.kept.append(s)
        return [*shown, s]

    def finish(self) -> None:
        """The answer is complete: a bare "Yes."/"No." still waiting has no reason."""
        self._settle_bare(None)

    def result(self) -> Verification:
        self.finish()
        r = self.result_
        r.text = " ".join(s.text for s in r.kept)
        r.invented = list(dict.fromkeys(self._invented))
        return r

    # --- checks -------------------------------------------------------------------------------

    def _check(self, s: Sentence) -> None:
        if not s.labels:
            s.problem = UNCITED
            return
        cited = [self.by_label[lab] for lab in s.labels]
        s.score = self.score(s.claim, cited)
        if s.score < self.threshold:
            s.problem = UNSUPPORTED
            return
        source = " ".join(source_text(p) for p in cited)
        for number in prose_articles(s.claim):
            if number not in self.supplied_articles:
                real = self.real_articles is None or number in self.real_articles
                s.problem = ARTICLE
                s.detail = f"Article {number}" + ("" if real else " (no such article)")
                return
        missing = unsupported_quantities(s.claim, source)
        if missing:
            s.problem, s.detail = NUMBER, ", ".join(q.text for q in missing)
            return
        modal = _polarity_conflicts(s.claim, source)
        if modal:
            s.problem, s.detail = MODALITY, ", ".join(sorted(modal))
            return
        negation = _NEGATION.search(_yes_no(s.claim)[1])
        if negation and not _NEGATION.search(source):
            s.problem, s.detail = NEGATION, negation.group(0)
            return
        negated = _unsupported_negated_verb(s.claim, source)
        if negated:
            s.problem, s.detail = NEGATION, negated

    def _drop(self, s: Sentence) -> None:
        r = self.result_
        {UNCITED: r.uncited, UNSUPPORTED: r.unsupported}.get(s.problem, r.contradicted).append(s)

    def _reject(self, s: Sentence, problem: str, detail: str) -> list[Sentence]:
        s.problem, s.detail = problem, detail
        self._drop(s)
        return []

    def _settle_bare(self, reason: Sentence | None) -> list[Sentence]:
        """Keep a waiting bare "Yes."/"No." before a kept ``reason`` (a "No" only before a
        reason that says no); drop it otherwise."""
        bare, self._bare = self._bare, None
        if bare is None:
            return []
        answer, _ = _yes_no(bare.claim)
        if reason is None or (answer == "no" and not _says_no(reason.claim)):
            why = "no supported reason" if reason is None else "the reason does not say no"
            return self._reject(bare, BARE, f"“{bare.claim}” with {why}")
        bare.labels = []  # its labels are the reason's
        bare.text = bare.claim
        self.result_.kept.append(bare)
        return [bare]

    def _prune(self, sentence: Sentence) -> list[str]:
        """Drop labels that neither support the claim alone nor add to the others' support."""
        pruned: list[str] = []
        by_label, score, threshold = self.by_label, self.score, self.threshold
        for lab in list(sentence.labels):
            rest = [x for x in sentence.labels if x != lab]
            if not rest:
                break
            alone = score(sentence.claim, [by_label[lab]])
            without = score(sentence.claim, [by_label[x] for x in rest])
            if alone < threshold and without >= (sentence.score or 0.0) - 1e-9:
                sentence.labels = rest
                pruned.append(lab)
        for lab in pruned:
            sentence.text = _tidy(_drop_label(sentence.text, lab))
        return pruned


def _drop_label(text: str, label: str) -> str:
    def edit(m: re.Match) -> str:
        parts = [p.strip() for p in m.group(1).split(";")]
        if label not in parts:
            return m.group(0)
        rest = [p for p in parts if p != label]
        return f"[{'; '.join(rest)}]" if rest else ""

    return BRACKETED.sub(edit, text)


def verify(
    text: str,
    passages: list[Passage],
    score: Scorer,
    *,
    threshold: float = SUPPORT_THRESHOLD,
    articles: Iterable[int] | None = None,
) -> Verification:
    """Check a generated answer's citations, support and claims sentence by sentence."""
    v = Verifier(passages, score, threshold=threshold, articles=articles)
    for raw in split_sentences(text):
        v.add(raw)
    return v.result()
