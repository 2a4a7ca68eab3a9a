"""Verification of a generated answer against the passages it was given.

1. Every bracketed label must name a supplied passage. A label for a sub-provision or a parent of
   a supplied passage (``Art. 27`` when ``Art. 27(b)`` was supplied) is mapped onto it; any other
   label is invented: it is removed and recorded.
2. Every sentence must cite, and its cited passages must support it: the evaluation suite's
   lexical support score (:func:`assistant.answering.support.support`) at or above
   ``SUPPORT_THRESHOLD``. Uncited and unsupported sentences are dropped and counted.
3. A cited label that adds nothing to a supported sentence's support (and does not support it
   alone) is pruned, so every remaining citation carries part of its sentence.

The caller decides what to do with what survives (``kept_share``): the LLM answerer falls back to
the extractive answer when too little does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.answering.support import SUPPORT_THRESHOLD
from assistant.labels import BRACKETED, label_covers
from assistant.language.sentences import split_sentences
from assistant.models import Passage

Scorer = Callable[[str, list[Passage]], float]

_LABEL_LIKE = re.compile(r"\s*(Art\b|Article|Conv\.|Res\.|Interp\.|Briefing|UNIS|Note)")
_LABEL_SPLIT = re.compile(r";|,(?=\s*(?:Art|Article|Conv\.|Res\.|Interp\.|Briefing))")


@dataclass
class Sentence:
    text: str  # as written, with invented labels removed and mapped labels rewritten
    claim: str  # the words alone, without any label
    labels: list[str]  # supplied labels it cites, in order
    score: float | None = None  # support of the claim by its cited passages


@dataclass
class Verification:
    text: str  # the supported sentences, joined
    kept: list[Sentence]
    unsupported: list[Sentence] = field(default_factory=list)  # cited, but not supported
    uncited: list[Sentence] = field(default_factory=list)  # no valid label at all
    invented: list[str] = field(default_factory=list)  # labels naming no supplied passage
    pruned: list[str] = field(default_factory=list)  # valid labels that supported nothing
    total_chars: int = 0  # length of all claims of the raw answer

    @property
    def dropped(self) -> list[Sentence]:
        return self.unsupported + self.uncited

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


def _prune(sentence: Sentence, by_label: dict[str, Passage], score: Scorer, threshold: float):
    """Drop labels that neither support the claim alone nor add to the others' support."""
    pruned: list[str] = []
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
) -> Verification:
    """Check a generated answer's citations and support sentence by sentence."""
    by_label: dict[str, Passage] = {}
    for p in passages:
        by_label.setdefault(p.label, p)
    supplied = list(by_label)
    invented: list[str] = []
    result = Verification(text="", kept=[], invented=invented)
    for raw in split_sentences(text):
        s = parse_sentence(raw, supplied, invented)
        if not s.claim.strip(" .;:-"):
            continue  # a stray label on its own
        result.total_chars += len(s.claim)
        if not s.labels:
            result.uncited.append(s)
            continue
        s.score = score(s.claim, [by_label[lab] for lab in s.labels])
        if s.score < threshold:
            result.unsupported.append(s)
            continue
        result.pruned += _prune(s, by_label, score, threshold)
        result.kept.append(s)
    result.text = " ".join(s.text for s in result.kept)
    result.invented = list(dict.fromkeys(invented))
    return result
