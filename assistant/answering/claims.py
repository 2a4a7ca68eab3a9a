"""Checking what a question states about the text against the text itself.

The question analysis finds the statements a question makes about the Convention (premise
clauses, statements before a question, claims to confirm or attributed to someone) and what it
quotes as the text's own words (``QueryAnalysis.claims`` / ``.quotes``). This module reads them
against the official text; the abstention policy declines a question resting on one the text
does not bear out. A statement is *not borne out* when:

- it states a number, duration, ordinal or date that the text it names does not contain
  ("Article 67 bars denunciation for the first twenty years");
- it uses a word of a sweeping claim ([claims] ``sweeping`` in ``question_rules.toml``:
  abolishing, exempting, forbidding, automatic, optional, ...) that the text it names never uses
  (nor, for "optional" or "mandatory", its modal verb: "may", "shall");
- it names something (a capitalised name or acronym) that neither the official documents nor
  the briefing material mention ("INTERPOL", "VPN").
- it puts an obligation or a prohibition ("obliges", "requires each State", "must not") on a
  named provision that states neither: of the named article's paragraphs, the one sharing most
  of the claim's words is the one it speaks about ("Article 19 obliges every State Party to
  criminalize preparation", where Art. 19(3) says "may"). The notice names that paragraph.

A claim that names no article is read against all of that text.

A quotation is not the text's when a run of words in it matches no passage of the official
documents (word 4-grams), so a real passage quoted with a word changed here and there passes and
an invented sentence, or a real one with an invented ending, does not.

Statements that the text bears out cost nothing: they are answered like any question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from assistant.analysis import QUOTED, ArticleRef, QueryAnalysis, article_refs, rules, unquoted
from assistant.index.catalog import Catalog
from assistant.index.lexical import GENERIC_TERMS, LexicalIndex
from assistant.language.modality import Modality, modalities
from assistant.language.quantities import Quantity, quantities, unsupported_quantities
from assistant.models import Chunk, SourceKind

_WORD = re.compile(r"[a-z0-9]+")
_NAME = re.compile(r"\b(?:[A-Z][a-z]+[A-Z]\w*|[A-Z]{2,}s?|[A-Z][a-z]{2,})\b")
_NEGATION = re.compile(r"\b(?:not|nothing|never|neither|nor|no)\b|n[’']t\b", re.I)
_GRAM = 4  # words per n-gram a quotation is matched by
_MAX_GAP = 3  # a quotation with a longer run of unmatched words is not the text's
_STRONG = {Modality.OBLIGATION, Modality.PROHIBITION}  # what a claim may not add to a "may"


class Problem(StrEnum):
    NOT_IN_TEXT = "claim_not_in_text"  # a statement the text does not bear out
    MISQUOTED = "misquoted"  # a quotation that is not the text's


@dataclass(frozen=True)
class _Scope:
    """A text claims are read against, with what the checks read of it, read once."""

    text: str
    flat: str  # its words, lower-cased, one space apart
    words: frozenset[str]
    terms: frozenset[str]  # stemmed, as the lexical index reads them

    @classmethod
    def of(cls, text: str, lexical: LexicalIndex) -> _Scope:
        words = _words(text)
        return cls(text, " ".join(words), frozenset(words), frozenset(lexical.terms(text)))

    @cached_property
    def quantities(self) -> tuple[Quantity, ...]:
        """Read when a claim first states a number (not at start-up: the whole text's take a
        sixth of a second)."""
        return tuple(quantities(self.text))


@dataclass(frozen=True)
class Finding:
    problem: Problem
    statement: str  # the claim or quotation, as the question wrote it
    because: str  # the words of it the text lacks
    where: str = "the Convention"  # the text it was read against ("Article 24")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def _referred(claim: str, a: QueryAnalysis) -> list[ArticleRef]:
    """What "it" or "paragraph 4" in a claim stands for: the article the question names (its
    paragraph, when the claim names one)."""
    if len(a.named) != 1:
        return []
    m = re.match(r"\s*paragraph\s+(\d{1,3})\b", claim, re.I)
    ref = a.named[0]
    return [ArticleRef(ref.article, m.group(1))] if m else [ref]


_SMALL = {"and", "of", "the", "for", "on", "in", "to", "a"}


def _initialisms(text: str) -> set[str]:
    """The initials of every run of two to five words of the text, small words skipped
    ("information and communications technology" -> "ict")."""
    w = [x for x in _words(text) if x not in _SMALL and x[0].isalpha()]
    return {"".join(x[0] for x in w[i : i + n]) for n in range(2, 6) for i in range(len(w) - n + 1)}


class ClaimChecker:
    def __init__(self, catalog: Catalog, lexical: LexicalIndex):
        self.catalog = catalog
        self.lexical = lexical
        # what the catalog counts is part of what the text says ("the Convention has 68 articles")
        counts = (
            f"{len(catalog.article_numbers)} articles, {len(catalog.chapter_numbers)} chapters, "
            f"{len(catalog.by_source(SourceKind.NOTES))} interpretative notes."
        )
        # a claim naming no article is read against everything the answers come from: the
        # official documents and the briefing material ("adopted after three years of talks")
        self._all = _Scope.of(" ".join([counts] + [self._text(c) for c in catalog.chunks]), lexical)
        self._initialisms = _initialisms(self._all.text)  # "ICT", "MLA"
        # the texts of named provisions, read once when first named (a benign race: every
        # thread computes the same value)
        self._scopes: dict[tuple[str, ...], _Scope] = {}
        grams: set[tuple[str, ...]] = set()
        for c in catalog.chunks:  # quotations may come from the briefing too
            w = _words(self._text(c))
            grams.update(tuple(w[i : i + _GRAM]) for i in range(len(w) - _GRAM + 1))
        self._grams = grams
        self._sweeping = {
            s for w in rules()["claims"]["sweeping"] for s in lexical.terms(w)
        } - GENERIC_TERMS
        # a sweeping word the text says with a modal verb: "optional" is "may"
        self._modals = dict(rules()["claims"]["modal_words"])

    @staticmethod
    def _text(c: Chunk) -> str:
        return " ".join(t for t in (c.article_title, c.chapeau, c.text, c.tail) if t)

    def check(self, a: QueryAnalysis) -> Finding | None:
        """The first statement or quotation of the question the text does not bear out."""
        for quote in a.quotes:
            gap = self._unmatched_run(quote) or self._numbers(
                quote, self._scope(article_refs(quote) or list(a.named))
            )
            if gap:
                return Finding(Problem.MISQUOTED, quote, gap)
        for claim in a.claims:
            refs = article_refs(unquoted(claim)) or _referred(claim, a)
            missing = self._unsupported(claim, refs)
            if missing:
                where = " and ".join(f"Article {r.article}" for r in refs[:2]) or "the Convention"
                return Finding(Problem.NOT_IN_TEXT, claim, missing, where)
            closest, force = self._force_lacking(claim, refs)
            if closest is not None:
                return Finding(Problem.NOT_IN_TEXT, claim, force, closest.label)
        return None

    def _unmatched_run(self, quote: str) -> str:
        """The longest run of the quotation's words that no 4-gram of the text covers, when it
        is longer than ``_MAX_GAP`` words ("" otherwise)."""
        best: list[str] = []
        for segment in re.split(r"\.{3}|…", quote):  # "..." marks words left out
            w = _words(segment)
            if len(w) < _GRAM:
                continue
            covered = [False] * len(w)
            for i in range(len(w) - _GRAM + 1):
                if tuple(w[i : i + _GRAM]) in self._grams:
                    covered[i : i + _GRAM] = [True] * _GRAM
            run: list[str] = []
            for word, ok in zip(w, covered, strict=True):
                run = [] if ok else run + [word]
                if len(run) > len(best):
                    best = list(run)
        return " ".join(best) if len(best) > _MAX_GAP else ""

    def _provisions(self, refs: list[ArticleRef]) -> list[Chunk]:
        """The provisions a claim names (its articles, or the paragraphs it names)."""
        return [c for r in refs for c in self.catalog.provision(r.article, r.paragraph)]

    def _scope(self, refs: list[ArticleRef]) -> _Scope:
        """The text a claim names: its articles (or paragraphs), else all the text."""
        chunks = self._provisions(refs)
        return self._scope_of(chunks) if refs and chunks else self._all

    def _scope_of(self, chunks: list[Chunk]) -> _Scope:
        key = tuple(c.id for c in chunks)
        if key not in self._scopes:
            self._scopes[key] = _Scope.of(" ".join(self._text(c) for c in chunks), self.lexical)
        return self._scopes[key]

    @staticmethod
    def _numbers(statement: str, scope: _Scope) -> str:
        """A number, duration, ordinal or date of the statement that the scope does not state
        ("" when there is none)."""
        stated = quantities(statement)
        for q in stated:  # a date with its month, not only its year
            if q.kind == "date" and " ".join(_words(q.text)) not in scope.flat:
                return q.text
        if not stated:
            return ""
        values = {q.value for q in scope.quantities}
        for q in unsupported_quantities(statement, scope.quantities):
            if not (q.kind == "number" and q.value in values):  # "under 18" ~ "18 years of age"
                if q.unit:  # a duration as the statement writes it: "twenty years", "400 days"
                    m = re.search(rf"{re.escape(q.text)}\W+\w+", statement, re.I)
                    return m.group() if m else q.text
                return q.text
        return ""

    def _force_lacking(self, claim: str, refs: list[ArticleRef]) -> tuple[Chunk | None, str]:
        """A claim about a named provision that asserts an obligation or a prohibition where
        the provision it speaks about states neither: that provision (of those named, the one
        sharing most of the claim's words; of several as close, none may state one) and the
        modal verb it lacks ("Article 19 obliges every State Party to criminalize preparation",
        where Art. 19(3) says "may"). (None, "") when the claim asserts no such force, is
        negated, names no article, or the provision bears it out."""
        asserted = modalities(unquoted(claim)) & _STRONG
        if not refs or not asserted or _NEGATION.search(claim):
            return None, ""
        chunks = self._provisions(refs)
        if not chunks:
            return None, ""
        words = set(self.lexical.terms(unquoted(claim))) - GENERIC_TERMS
        shared = {c.id: len(words & self._scope_of([c]).terms) for c in chunks}
        top = max(shared.values())
        closest = [c for c in chunks if shared[c.id] == top]
        if any(modalities(self._text(c)) & _STRONG for c in closest):
            return None, ""
        return closest[0], "shall" if Modality.OBLIGATION in asserted else "shall not"

    def _unsupported(self, claim: str, refs: list[ArticleRef]) -> str:
        scope = self._scope(refs)
        negated = _NEGATION.search(claim)  # "the treaty does not define 'hate speech'" is true
        # words it quotes from the text ("'political reasons'")
        for m in () if negated else QUOTED.finditer(claim):
            quoted = " ".join(_words(next(g for g in m.groups() if g is not None)))
            if quoted and f" {quoted} " not in f" {scope.flat} ":
                return m.group().strip()
        missing = self._numbers(claim, scope)
        if missing:
            return missing
        for word in re.findall(r"[\w-]+", claim):
            stems = set(self.lexical.terms(word)) & self._sweeping
            if negated or not stems or stems & scope.terms:
                continue
            if self._modals.get(word.lower()) not in scope.words:
                return word
        for m in _NAME.finditer(claim):
            stems = set(self.lexical.terms(m.group())) - GENERIC_TERMS
            if m.group().isupper() and m.group().rstrip("s").lower() in self._initialisms:
                continue
            if stems and not stems & self._all.terms:
                return m.group()
        return ""
