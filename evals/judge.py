"""An independent citation judge for the metrics: does the cited text support each claim?

It is deliberately separate from the verifier the LLM answerer uses
(``assistant/answering/verify.py``): a metric computed by the same check the pipeline applies
could never see what that check misses. A claim (a stretch of answer text closed by its labels)
is **supported** only when all of these hold:

1. it cites at least one provision that exists, and has at least two content words of its own
   ("No [Art. 27(b)]." is not an answer);
2. **coverage**: at least ``min_coverage`` of its content words (stemmed) occur in the cited
   text, so a swapped label or a claim about something else fails;
3. **quantities**: every number, duration, ordinal and date it states occurs in the cited text
   with the same value (durations with the same unit): "thirtieth" against "fortieth" fails;
4. **negation**: a word it negates ("not", "never", "no", "cannot", "n't") must be negated in
   the cited text too, and a word the cited text negates must not be stated positively;
5. **modal force**: "must / shall / is required" needs "shall", "must" or "required" in the
   cited text ("may" does not make an obligation);
6. **article numbers** written in the prose ("under Article 99") must exist and be cited or
   named by the cited text.

Whether the answer *answers the question* is measured by the key facts (``evals/facts.py``):
an answer of correct quotes that never states the asked time limit scores low there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.labels import cited_segments, parse_article_label
from assistant.language.quantities import quantities
from assistant.models import Answer
from evals.text import stems, tokens

_NEGATION = re.compile(r"^(?:not|never|no|none|cannot|nor|neither|without)$")
_STRONG = re.compile(r"\b(?:must|shall|required|obliged|obligated|has to|have to)\b", re.I)
_STRONG_SOURCE = re.compile(r"\b(?:shall|must|required|obliged|undertake)\b", re.I)
_PROSE_ARTICLE = re.compile(r"\b(?:Article|Art\.)\s*(\d{1,4})\b", re.I)
_YES_NO = {"yes", "no"}


@dataclass
class Verdict:
    claim: str
    labels: list[str]
    supported: bool
    reasons: list[str] = field(default_factory=list)


def _negated(text: str, window: int = 4) -> set[str]:
    """Stems of the content words that a negation governs (the next ``window`` words)."""
    words = tokens(text.replace("n't", " not").replace("n’t", " not"))
    out: set[str] = set()
    for i, w in enumerate(words):
        if _NEGATION.match(w):
            for nxt in words[i + 1 : i + 1 + window]:
                out.update(stems(nxt))
    return out


class CitationJudge:
    def __init__(self, provision_text: dict[str, str], last_article: int, min_coverage=0.6):
        self.provision_text = provision_text  # label -> quoted text (with lead-in, headings)
        self.last_article = last_article
        self.min_coverage = min_coverage

    def claim(self, claim: str, labels: list[str]) -> Verdict:
        reasons = []
        cited = [self.provision_text[lab] for lab in labels if lab in self.provision_text]
        source = " ".join(cited)
        own = [w for w in stems(claim) if w not in _YES_NO]
        if not cited:
            reasons.append("cites no existing provision")
        if len(own) < 2:
            reasons.append("no content of its own")
        if cited and own:
            have = set(stems(source))
            coverage = sum(w in have for w in own) / len(own)
            if coverage < self.min_coverage:
                reasons.append(f"only {coverage:.0%} of its words are in the cited text")
            missing = _missing_quantities(claim, source)
            if missing:
                reasons.append(f"states {', '.join(missing)}, which the cited text does not")
            flipped = (_negated(claim) & have) - _negated(source)
            if flipped:
                reasons.append(f"negates {', '.join(sorted(flipped))}, which the text affirms")
            denied = _negated(source) & set(own) - _negated(claim)
            if denied and _asserted_against(claim, source, denied):
                reasons.append(f"affirms {', '.join(sorted(denied))}, which the text negates")
            if _STRONG.search(claim) and not _STRONG_SOURCE.search(source):
                reasons.append("states an obligation where the text does not")
        for m in _PROSE_ARTICLE.finditer(claim):
            n = int(m.group(1))
            named = {p[0] for lab in labels if (p := parse_article_label(lab))}
            named |= {int(x) for x in re.findall(r"\b[Aa]rticles?\s+(\d{1,3})", source)}
            if not 1 <= n <= self.last_article or n not in named:
                reasons.append(f"writes Article {n}, which it does not cite")
        return Verdict(claim, labels, not reasons, reasons)

    def answer(self, answer: Answer) -> list[Verdict]:
        return [self.claim(c, labs) for c, labs in cited_segments(answer.text)]


def _missing_quantities(claim: str, source: str) -> list[str]:
    have = {q.value_key for q in quantities(source)}
    years = " ".join(q.text for q in quantities(source) if q.kind in ("date", "year"))
    out = []
    for q in quantities(claim):
        if q.kind in ("date", "year"):
            if q.text.lower() not in years.lower() and q.text.lower() not in source.lower():
                out.append(q.text)
        elif q.value_key not in have:
            out.append(q.text)
    return out


def _asserted_against(claim: str, source: str, denied: set[str]) -> bool:
    """The claim states positively a word the cited text only uses negated ("may refuse"
    against "shall not refuse"): true when the source never uses the word un-negated."""
    words = tokens(source.replace("n't", " not"))
    free = set()
    for i, w in enumerate(words):
        if not any(_NEGATION.match(x) for x in words[max(0, i - 4) : i]):
            free.update(stems(w))
    return bool(denied - free)
