"""Checks on a question before it reaches retrieval: validity, injection, other instruments."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from importlib import resources

from assistant.retrieval.query import ArticleRef

LAST_ARTICLE = 68


class InvalidQuestion(ValueError):
    """The question cannot be processed (empty, too long, binary); the message says why."""


def validate(question: object, *, max_chars: int) -> str:
    """Return the question, whitespace-normalised, or raise :class:`InvalidQuestion`."""
    if isinstance(question, bytes):
        raise InvalidQuestion("The question must be text, not bytes.")
    if not isinstance(question, str):
        raise InvalidQuestion(f"The question must be text, not {type(question).__name__}.")
    if "\x00" in question or any(
        unicodedata.category(ch) in ("Cc", "Cs", "Co") and ch not in "\n\r\t" for ch in question
    ):
        raise InvalidQuestion(
            "The question contains control or binary characters; please send plain text."
        )
    if "\ufffd" in question:
        raise InvalidQuestion("The question is not valid text (it contains undecodable bytes).")
    text = " ".join(question.split())
    if not text:
        raise InvalidQuestion(
            "The question is empty. Ask something about the Convention, "
            "e.g. “Can police make a provider hand over subscriber data?”"
        )
    if len(text) > max_chars:
        raise InvalidQuestion(
            f"The question is too long ({len(text):,} characters; the limit is "
            f"{max_chars:,}). Please shorten it."
        )
    if not re.search(r"[^\W\d_]", text):
        raise InvalidQuestion("The question has no words in it. Please ask in plain language.")
    return text


_INJECTION = re.compile(
    r"(ignore|disregard|forget|override|bypass)\b.{0,40}\b(instruction|prompt|rule|guideline|"
    r"polic|previous|above|system)"
    r"|system prompt|developer mode|jailbreak|\bDAN\b|do anything now"
    r"|you are (now|no longer)|act as (if|an?|my)\b|pretend (that|to be|you|there|article)"
    r"|(reveal|print|show|repeat|output) (me )?(your|the) (hidden |system |initial )?"
    r"(prompt|instructions|rules|configuration)"
    r"|without (any )?(citations?|restrictions|filters)|make up|invent (an?|some)? ?"
    r"(article|citation|provision)|roleplay|role-play"
    r"|system override|admin mode|(reply|respond|answer) (only )?with (only )?(the|this|a)\b"
    r"|say (only|exactly)|forget (the|your|everything|all|what)"
    r"|write (me )?(a|an|some)? ?(python |working )?(code|script|program|keylogger|malware|"
    r"virus|exploit|ransomware)",
    re.IGNORECASE,
)


_STATUS = re.compile(
    r"\b(which|what|how many)\b.{0,40}\b(countries|states|nations|governments)\b.{0,40}"
    r"\b(signed|ratified|joined|acceded|voted|support(ed)?|opposed)\b"
    r"|\b(so far|to date|as of (today|now)|currently|right now|latest|yet)\b.{0,60}"
    r"\b(sign|ratif|join|in force)\w*"
    r"|\b(sign|ratif)\w*\b.{0,40}\b(so far|to date|yet|currently)\b"
    r"|\bvot(e|ed|ing)\b.{0,40}\b(in favou?r|against|abstain)",
    re.IGNORECASE,
)


def is_status_question(text: str) -> bool:
    """Questions about the treaty's current status (signatures, ratifications, votes): facts
    that the text cannot hold."""
    return bool(_STATUS.search(text))


_COUNTRY = (
    r"(?:uk|u\.k\.|us|u\.s\.|usa|united states|united kingdom|britain|british|england|english|"
    r"france|french|germany|german|italy|italian|spain|spanish|china|chinese|russia|russian|"
    r"india|indian|japan|japanese|brazil|brazilian|canada|canadian|australia|australian|"
    r"nigeria|nigerian|kenya|kenyan|south africa|mexico|mexican|egypt|egyptian|turkey|turkish|"
    r"indonesia|pakistan|iran|saudi arabia|netherlands|dutch|belgium|belgian|switzerland|swiss|"
    r"sweden|swedish|norway|poland|polish|ukraine|ukrainian|viet ?nam|vietnamese|korea|korean|"
    r"singapore|philippines|argentina|colombia|israel|ireland|irish|austria|austrian|eu)"
)
_NATIONAL_LAW = re.compile(
    rf"\b(?:under|in|according to|by)\s+(?:the\s+)?(?:law|laws|legislation|courts?|criminal code)"
    rf"\s+of\s+(?:the\s+)?{_COUNTRY}\b"
    rf"|\b(?:under|in|according to)\s+(?:the\s+)?{_COUNTRY}(?:'s)?\s+(?:\w+\s+)?"
    rf"(?:law|laws|legislation|courts?|criminal code|statutes?)\b"
    rf"|\bin\s+(?:the\s+)?{_COUNTRY}\s*\??\s*$",
    re.IGNORECASE,
)


def is_national_law_question(text: str) -> bool:
    """Questions about one country's own law, which the Convention does not state."""
    return bool(_NATIONAL_LAW.search(text))


def is_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


@dataclass(frozen=True)
class Instrument:
    name: str
    pattern: re.Pattern


def _load_instruments() -> list[Instrument]:
    data = tomllib.loads(resources.files("assistant.data").joinpath("instruments.toml").read_text())
    return [Instrument(i["name"], re.compile(i["pattern"], re.I)) for i in data["instrument"]]


OTHER_INSTRUMENTS = _load_instruments()

_THIS_TREATY = re.compile(
    r"\b(this|the|un|u\.n\.|united nations|new|hanoi)\s+(cyber ?crime\s+)?"
    r"(convention|treaty)\b(?!\s+(on cybercrime|of the council))|a/res/79/243|79/243",
    re.I,
)


def other_instrument(text: str) -> Instrument | None:
    """The other treaty or law the question is about, if it is about one."""
    for inst in OTHER_INSTRUMENTS:
        if inst.pattern.search(text):
            return inst
    return None


def mentions_this_convention(text: str) -> bool:
    # "the Budapest Convention" matches "the ... convention": drop other names first.
    cleaned = re.sub(
        r"\b(the\s+)?(budapest|malabo|palermo|european|african union|arab|geneva|council of "
        r"europe)\s+(convention|treaty)s?(\s+on\s+\w+(\s+\w+)?)?",
        " ",
        text,
        flags=re.I,
    )
    for inst in OTHER_INSTRUMENTS:
        cleaned = inst.pattern.sub(" ", cleaned)
    return bool(_THIS_TREATY.search(cleaned))


def unknown_articles(refs: list[ArticleRef], known: set[int]) -> list[int]:
    return [r.article for r in refs if r.article not in known]
