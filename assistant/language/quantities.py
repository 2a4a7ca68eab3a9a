"""Numbers, ordinals, durations and dates in English legal prose, as comparable values.

    >>> [q.key for q in quantities("on the ninetieth day after the fortieth instrument")]
    [('ordinal', 90), ('ordinal', 40)]
    >>> [q.key for q in quantities("a period of up to 90 days, renewable for one year")]
    [('duration', 90, 'day'), ('duration', 1, 'year')]

Cross-references ("article 40", "paragraph 3 (b)", "resolution 74/247", "24/7") are not
quantities. "One" and "first" on their own are not either (they are mostly pronouns and
enumerations); inside a duration ("one year") they are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
_ORD_UNITS = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19,
}  # fmt: skip
_ORD_TENS = {
    "twentieth": 20, "thirtieth": 30, "fortieth": 40, "fiftieth": 50, "sixtieth": 60,
    "seventieth": 70, "eightieth": 80, "ninetieth": 90, "hundredth": 100,
}  # fmt: skip
_MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
_FRACTIONS = {"half": 0.5, "third": 1 / 3, "thirds": 1 / 3, "quarter": 0.25, "quarters": 0.25}
_UNIT_WORDS = {
    "day": "day", "days": "day", "week": "week", "weeks": "week", "month": "month",
    "months": "month", "year": "year", "years": "year", "hour": "hour", "hours": "hour",
}  # fmt: skip

_CARD = "|".join(sorted(list(_UNITS) + list(_TENS), key=len, reverse=True))
_ORD = "|".join(sorted(list(_ORD_UNITS) + list(_ORD_TENS), key=len, reverse=True))
_WORD_NUMBER = rf"(?:(?:{'|'.join(_TENS)})[- ](?:{'|'.join(_UNITS)})|{_CARD}|hundred)"
_WORD_ORDINAL = rf"(?:(?:{'|'.join(_TENS)})[- ](?:{'|'.join(_ORD_UNITS)})|{_ORD})"

_TOKEN = re.compile(
    rf"(?P<date>\b\d{{1,2}}\s+(?:{_MONTHS})\s+\d{{4}}\b|\b(?:{_MONTHS})\s+\d{{4}}\b)"
    rf"|(?P<fraction>\b(?:{_CARD}|\d+)[- ](?:half|thirds?|quarters?)\b)"
    rf"|(?P<percent>\b\d+(?:\.\d+)?\s*(?:%|per\s*cent|percent)\b)"
    rf"|(?P<ordinal>\b(?:{_WORD_ORDINAL}|\d+(?:st|nd|rd|th))\b)"
    rf"|(?P<number>\b(?:{_WORD_NUMBER}|\d+(?:[.,]\d+)?)\b)",
    re.IGNORECASE,
)
# What a number must not be: a cross-reference or a document symbol.
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:articles?|arts?\.?|paragraphs?|paras?\.?|subparagraphs?|chapters?|resolutions?|"
    r"notes?|sections?|§|protocol|no\.)\s*(?:\d+\s*(?:\([a-z0-9]+\)\s*)*(?:,|and|or|to|-|–)\s*)*"
    r"|/|(?:\d|\))\s?\()$",  # "Article 25(2)", "40(21)(3)": a paragraph, not a quantity
    re.IGNORECASE,
)
_REFERENCE_AFTER = re.compile(r"^(?:/\d|\s*\([a-z]{1,4}\))", re.IGNORECASE)
_UNIT_AFTER = re.compile(
    r"^\s*(?:(?:calendar|working|business|consecutive|full)\s+)?"
    r"(days?|weeks?|months?|years?|hours?)\b",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")


@dataclass(frozen=True)
class Quantity:
    kind: str  # number | ordinal | duration | date | fraction | percent | year
    value: float
    unit: str = ""  # day/week/month/year for durations
    text: str = ""  # as written
    span: tuple[int, int] = field(default=(-1, -1), compare=False)  # where, in the text read

    @property
    def key(self) -> tuple:
        v = int(self.value) if float(self.value).is_integer() else round(self.value, 4)
        return (self.kind, v, self.unit) if self.unit else (self.kind, v)

    @property
    def value_key(self) -> tuple:
        """Comparable across the ways of writing it: "fortieth" ~ "40" ~ "forty"; a duration
        keeps its unit ("90 days" is not "90 months")."""
        v = int(self.value) if float(self.value).is_integer() else round(self.value, 4)
        if self.kind == "duration":
            return ("duration", v, self.unit)
        if self.kind in ("date", "year"):
            return (self.kind, self.text.lower())
        return ("value", v)


def word_value(word: str) -> float | None:
    """The value of a number or ordinal written in words or digits ("ninetieth" -> 90)."""
    w = word.lower().replace("–", "-").strip()
    m = re.fullmatch(r"(\d+)(?:st|nd|rd|th)?", w)
    if m:
        return float(m.group(1))
    if re.fullmatch(r"\d+[.,]\d+", w):
        return float(w.replace(",", "."))
    parts = re.split(r"[- ]", w)
    if len(parts) == 2 and parts[0] in _TENS:
        tail = _UNITS.get(parts[1], _ORD_UNITS.get(parts[1]))
        return float(_TENS[parts[0]] + tail) if tail is not None else None
    for table in (_UNITS, _TENS, _ORD_UNITS, _ORD_TENS):
        if w in table:
            return float(table[w])
    return 100.0 if w == "hundred" else None


def quantities(text: str) -> list[Quantity]:
    out: list[Quantity] = []
    for m in _TOKEN.finditer(text):
        span = (m.start(), m.end())
        before, after = text[max(0, m.start() - 60) : m.start()], text[m.end() : m.end() + 30]
        raw = m.group(0)
        if m.group("date"):
            out.append(Quantity("date", 0, text=" ".join(raw.split()), span=span))
            continue
        if m.group("fraction"):
            num, den = re.split(r"[- ]", raw.lower(), maxsplit=1)
            value = (word_value(num) or 0) * _FRACTIONS[den]
            out.append(Quantity("fraction", value, text=raw, span=span))
            continue
        if m.group("percent"):
            out.append(
                Quantity("percent", float(re.match(r"[\d.]+", raw).group(0)), text=raw, span=span)
            )
            continue
        if _REFERENCE_BEFORE.search(before) or _REFERENCE_AFTER.match(after):
            continue
        value = word_value(raw)
        if value is None:
            continue
        unit = _UNIT_AFTER.match(after)
        if unit:
            out.append(
                Quantity("duration", value, _UNIT_WORDS[unit.group(1).lower()], raw, span=span)
            )
            continue
        if m.group("ordinal"):
            if value == 1 and raw.lower() == "first":
                continue  # "first" enumerates more often than it counts
            out.append(Quantity("ordinal", value, text=raw, span=span))
            continue
        if _YEAR.match(raw):
            out.append(Quantity("year", value, text=raw, span=span))
            continue
        if value == 1 and not raw.isdigit():
            continue  # "one of its nationals", "one another"
        out.append(Quantity("number", value, text=raw, span=span))
    return out


def unsupported_quantities(claim: str, source: str | Sequence[Quantity]) -> list[Quantity]:
    """Quantities the claim states that the source does not (by value, durations by unit).
    ``source`` is a text, or the quantities already read from one (a long text read once)."""
    found = quantities(source) if isinstance(source, str) else source
    have = {q.value_key for q in found}
    years = {q.text for q in found if q.kind in ("date", "year")}
    missing = []
    for q in quantities(claim):
        if q.kind in ("date", "year"):
            # "2025" is supported by "… 2025" in a full date too
            if not any(q.text.lower() in y.lower() or y.lower() in q.text.lower() for y in years):
                missing.append(q)
        elif q.value_key not in have:
            missing.append(q)
    return missing


def states_value(found: Sequence[Quantity], q: Quantity) -> bool:
    """Does one of ``found`` have ``q``'s value ("under 18" is stated by "18 years of age";
    "90 months" is not by "90 days")?"""
    return any(
        o.value == q.value
        and o.kind not in ("date", "year")
        and (q.kind != "duration" or o.kind != "duration" or o.unit == q.unit)
        for o in found
    )


# the slot a quantity fills, beyond a duration's unit: the comparison it makes ("under 18",
# "at least 60") or the thing it counts ("60 States", "the fortieth instrument")
_COMPARATORS = {"under", "over", "least", "most", "than", "within", "after", "before", "below"}
_NOT_NOUNS = {"of", "and", "or", "the", "a", "an", "to", "in", "on", "for", "by", "per", "than"}


def _slot(text: str, q: Quantity) -> tuple[str, str]:
    """(the comparator before, the stem of the word after) of a quantity read from ``text``."""
    before = re.findall(r"[a-z]+", text[: q.span[0]].lower()[-20:])
    after = re.match(r"\W*([a-z]+)", text[q.span[1] :].lower())
    comparator = before[-1] if before and before[-1] in _COMPARATORS else ""
    noun = after.group(1) if after and after.group(1) not in _NOT_NOUNS else ""
    return comparator, noun[:5]


def conflicting_quantities(claim: str, source: str) -> list[tuple[Quantity, Quantity]]:
    """(as the claim states it, as the source states it) for each quantity of the claim that
    the source states otherwise: the same slot (a duration of the same unit; or the same
    comparison, or the same thing counted) with another value. A value the source states
    anywhere is no conflict, nor are dates and years.

        >>> [(a.text, b.text) for a, b in conflicting_quantities(
        ...     "within two years of entry into force?", "within one year after the entry")]
        [('two', 'one')]
    """
    found = quantities(source)
    out = []
    for q in quantities(claim):
        if q.kind in ("date", "year") or states_value(found, q):
            continue
        comparator, noun = _slot(claim, q)
        for other in found:
            if other.kind in ("date", "year"):
                continue
            theirs = _slot(source, other)
            if comparator and comparator == theirs[0]:
                same = q.kind != "duration" or q.unit == other.unit or other.kind != "duration"
            elif q.kind == "duration" or other.kind == "duration":
                same = q.kind == other.kind and q.unit == other.unit
            else:
                same = bool(noun and noun == theirs[1])
            if same:
                out.append((q, other))
                break
    return out
