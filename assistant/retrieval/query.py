"""Query analysis: explicit article references, glossary expansion, defined terms."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

# "Article 14", "art. 2(a)", "Art 40 (21)(b)", "articles 23 and 35", "article 40, paragraph 21"
_ART = re.compile(
    r"\b(?:art(?:icle)?s?\.?)\s*(\d{1,4})((?:\s?\([0-9a-z]{1,4}\))*)"
    r"(?:,?\s*(?:para(?:graph)?\.?|§)\s*(\d{1,3}))?"
    r"((?:\s*(?:,|and|or|to|&|-|–)\s*\d{1,4}(?!\s*(?:days?|years?|months?|%)))*)",
    re.IGNORECASE,
)
_MORE = re.compile(r"(,|and|or|to|&|-|–)\s*(\d{1,4})", re.IGNORECASE)


@dataclass(frozen=True)
class ArticleRef:
    article: int
    paragraph: str | None = None  # "1(b)", "a", "21"


def article_refs(text: str) -> list[ArticleRef]:
    """Articles the text names explicitly, in order, without repeats."""
    out: list[ArticleRef] = []
    for m in _ART.finditer(text):
        num = int(m.group(1))
        parts = re.findall(r"\(([0-9a-z]{1,4})\)", m.group(2) or "", re.IGNORECASE)
        if m.group(3):
            parts = [m.group(3)] + parts
        para = None
        if parts:
            para = parts[0].lower() + "".join(f"({p.lower()})" for p in parts[1:])
        out.append(ArticleRef(num, para))
        prev = num
        for sep, n in _MORE.findall(m.group(4) or ""):
            n = int(n)
            if sep.lower() == "to" or sep in "-–":
                out.extend(ArticleRef(k) for k in range(prev + 1, n + 1) if n - prev <= 20)
            else:
                out.append(ArticleRef(n))
            prev = n
    seen, unique = set(), []
    for r in out:
        if r not in seen:
            seen.add(r)
            unique.append(r)
    return unique


@cache
def glossary() -> dict[str, str]:
    data = tomllib.loads(resources.files("assistant.data").joinpath("glossary.toml").read_text())
    return {k.lower(): v for k, v in data["terms"].items()}


@cache
def glossary_patterns() -> list[tuple[re.Pattern, str]]:
    """Keys match as word prefixes ("withdraw" matches "withdrawing"); keys under 4 letters
    match whole words only."""
    out = []
    for key, terms in glossary().items():
        tail = r"\w*" if len(key) >= 4 and key[-1].isalpha() else ""
        out.append((re.compile(rf"(?<!\w){re.escape(key)}{tail}(?!\w)"), terms))
    return out


def expand(text: str) -> str:
    """The question plus the Convention's own terms for the plain words it uses."""
    low = text.lower()
    extra = [terms for pattern, terms in glossary_patterns() if pattern.search(low)]
    return f"{text} {' '.join(extra)}" if extra else text


DEFINITION_CUES = re.compile(
    r"\b(what(?:'s| is| are| does| counts?| qualif\w+| do(?:es)? .{0,30}mean)|defin\w*|meaning of|"
    r"difference between|distinguish\w*|"
    r"mean by|means?\b|counts? as|considered (?:a|an)?|covered by the term)\b",
    re.IGNORECASE,
)


def is_definition_question(text: str) -> bool:
    return bool(DEFINITION_CUES.search(text))


_SOURCE_CUES = {
    "briefing": re.compile(
        r"\b(briefing|reported(ly)?|news|press|article about|UNIS|"
        r"according to (the )?(news|briefing|UNIS))\b",
        re.I,
    ),
    "resolution": re.compile(r"\b(resolution|General Assembly|GA)\b", re.I),
    "notes": re.compile(r"\binterpretative notes?\b", re.I),
}


def wanted_sources(question: str) -> set[str]:
    """Sources the question asks about by name ("according to the briefing", "the resolution")."""
    return {src for src, cue in _SOURCE_CUES.items() if cue.search(question)}
