"""Our own plain-language notes on every provision: a one-sentence summary and the questions it
answers (``corpus/provisions/*.toml``; our text, never the Convention's).

    [[provision]]
    label = "Art. 27(b)"
    summary = "Each State Party must empower its authorities to order a service provider ..."
    questions = [
      { q = "Can the police make a phone company say who owns an account?", yes_no = "yes" },
      { q = "What customer details can investigators demand from an internet provider?" },
    ]

The summaries open answers (the direct reply); the questions are indexed as pointers to their
provision (question-to-question similarity bridges plain language to the text). Every summary
is checked against the provision it summarises (:func:`summary_problems`): the same numbers,
durations and ordinals, no modal force the text lacks, the defined terms the text uses, no
article the text does not name, and no long verbatim copy.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from assistant.language.modality import unsupported_modalities
from assistant.language.quantities import quantities, unsupported_quantities

MAX_SUMMARY_WORDS = 50
MAX_COPIED_RUN = 9  # longest run of words a summary may share verbatim with the text
MIN_QUESTIONS = 3
# Data kinds the Convention distinguishes sharply: a summary must keep the text's choice.
KEY_TERMS = ("traffic data", "content data", "subscriber information")


@dataclass(frozen=True)
class PlainQuestion:
    text: str
    yes_no: str = ""  # "yes" / "no" for a yes-no question whose answer the provision gives


@dataclass(frozen=True)
class ProvisionNote:
    label: str
    summary: str
    questions: tuple[PlainQuestion, ...] = field(default_factory=tuple)
    origin: str = ""  # file it came from


def load_notes(folder: Path) -> dict[str, ProvisionNote]:
    """Every provision note under ``folder``, by label (a label given twice is an error)."""
    out: dict[str, ProvisionNote] = {}
    for path in sorted(folder.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for raw in data.get("provision", []):
            label = raw["label"].strip()
            if label in out:
                raise ValueError(f"{path.name}: {label} is also in {out[label].origin}")
            qs = tuple(
                PlainQuestion(q["q"].strip(), q.get("yes_no", "").strip().lower())
                if isinstance(q, dict)
                else PlainQuestion(str(q).strip())
                for q in raw.get("questions", [])
            )
            out[label] = ProvisionNote(label, " ".join(raw["summary"].split()), qs, path.name)
    return out


def load_declined(path: Path) -> list[str]:
    """Our questions that the Convention does not answer (``corpus/declined.toml``)."""
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [" ".join(e["q"].split()) for e in data.get("exemplar", [])]


@dataclass(frozen=True)
class PairQuestion:
    """One of our questions whose complete answer needs two given provisions."""

    labels: tuple[str, str]
    text: str


def load_pairs(path: Path) -> list[PairQuestion]:
    """Our two-provision questions (``corpus/pairs.toml``)."""
    if not path.exists():
        return []
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        PairQuestion((first, second), " ".join(q.split()))
        for e in data.get("pair", [])
        for first, second in [e["labels"]]
        for q in e["questions"]
    ]


def expanded_text(text: str, note: ProvisionNote | None) -> str:
    """A provision's indexed text with our plain words appended (document expansion): the
    summary and the questions it answers."""
    if note is None:
        return text
    return " ".join([text, note.summary, *(q.text for q in note.questions)])


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def longest_common_run(a: str, b: str) -> int:
    """Length in words of the longest word sequence ``a`` shares verbatim with ``b``."""
    wa, wb = _words(a), _words(b)
    best = 0
    prev = [0] * (len(wb) + 1)
    for x in wa:
        cur = [0] * (len(wb) + 1)
        for j, y in enumerate(wb, 1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _article_numbers(text: str) -> set[int]:
    return {int(n) for n in re.findall(r"\b[Aa]rt(?:icle|\.)?s?\s+(\d{1,3})", text)}


def summary_problems(summary: str, provision_text: str, defined_terms: set[str]) -> list[str]:
    """Why ``summary`` does not agree with the official text of its provision (empty: it does).

    ``provision_text`` is the provision with its lead-in and closing words; ``defined_terms``
    are the Convention's defined terms (lower case)."""
    problems = []
    words = len(_words(summary))
    if not summary.strip():
        return ["empty summary"]
    if words > MAX_SUMMARY_WORDS:
        problems.append(f"{words} words (at most {MAX_SUMMARY_WORDS})")
    for q in unsupported_quantities(summary, provision_text):
        problems.append(f"states {q.text!r}, which the provision does not")
    said = {q.value_key for q in quantities(summary)}
    for q in quantities(provision_text):
        if q.kind in ("duration", "ordinal", "fraction", "date") and q.value_key not in said:
            problems.append(f"leaves out {q.text!r}")
    for m in sorted(unsupported_modalities(summary, provision_text)):
        problems.append(f"expresses {m.value}, which the provision does not")
    low_sum, low_text = summary.lower(), provision_text.lower()
    for term in sorted(defined_terms):
        if re.search(rf"\b{re.escape(term)}\b", low_sum) and not re.search(
            rf"\b{re.escape(term)}\b", low_text
        ):
            problems.append(f"uses the defined term {term!r}, which the provision does not")
    for term in KEY_TERMS:
        if (term in low_text) != (term in low_sum):
            problems.append(f"{'drops' if term in low_text else 'adds'} {term!r}")
    extra = _article_numbers(summary) - _article_numbers(provision_text)
    if extra:
        problems.append(f"names article(s) {sorted(extra)} that the provision does not")
    run = longest_common_run(summary, provision_text)
    if run > MAX_COPIED_RUN:
        problems.append(f"copies {run} words in a row from the text (at most {MAX_COPIED_RUN})")
    return problems


def question_problems(note: ProvisionNote, provision_text: str) -> list[str]:
    problems = []
    if len(note.questions) < MIN_QUESTIONS:
        problems.append(f"{len(note.questions)} questions (at least {MIN_QUESTIONS})")
    seen = set()
    for q in note.questions:
        if q.text.lower() in seen:
            problems.append(f"repeated question {q.text!r}")
        seen.add(q.text.lower())
        if q.yes_no not in ("", "yes", "no"):
            problems.append(f"yes_no must be yes or no: {q.text!r}")
        if longest_common_run(q.text, provision_text) > MAX_COPIED_RUN:
            problems.append(f"question copies the text: {q.text!r}")
    return problems
