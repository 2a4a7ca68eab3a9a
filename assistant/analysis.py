"""Question analysis: the one step that reads what a question asks (its rules are data,
``assistant/data/question_rules.toml``). Retrieval, the abstention policy and the answerers read
its :class:`QueryAnalysis`; nothing else classifies questions.

    >>> a = analyze("How long can a preservation order last?")
    >>> sorted(a.intents), a.quantity_unit
    (['quantity'], None)
"""

from __future__ import annotations

import base64
import binascii
import re
import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources

from assistant.models import SourceKind


class Intent(StrEnum):
    DEFINITION = "definition"  # what a term means or covers
    QUANTITY = "quantity"  # how long / how many / when
    REFUSAL = "refusal"  # grounds on which a State may refuse or decline
    PERMISSION = "permission"  # can / may
    OBLIGATION = "obligation"  # must / have to / required
    ACTOR = "actor"  # who / which authority
    OVERVIEW = "overview"  # what the treaty is about
    MULTI = "multi"  # several things at once: "compare", "both", "and what about"
    CROSS_BORDER = "cross_border"  # another country is involved: abroad, foreign, extradition
    LOCATE = "locate"  # where the text deals with a topic: "which article covers grooming?"
    SAFEGUARD = "safeguard"  # limits on a power, oversight, rights protections


@dataclass(frozen=True)
class ArticleRef:
    article: int
    paragraph: str | None = None  # "1(b)", "a", "21"
    suffix: str | None = (
        None  # "bis", "ter": an inserted article, which this Convention has none of
    )

    @property
    def name(self) -> str:
        return f"{self.article} {self.suffix}" if self.suffix else str(self.article)


@dataclass(frozen=True)
class QueryAnalysis:
    question: str
    intents: frozenset[Intent] = frozenset()
    yes_no: bool = False
    confirms: bool = False  # states something and asks to have it confirmed ("..., right?")
    negated: bool = False
    quantity_unit: str | None = None  # day | month | year | date | count
    named: tuple[ArticleRef, ...] = ()
    named_notes: tuple[int, ...] = ()  # interpretative notes named by number
    named_resolution_paragraphs: tuple[int, ...] = ()  # operative paragraphs of the resolution
    named_chapters: tuple[int, ...] = ()  # chapters of the Convention named ("Chapter IV")
    named_parts: tuple[str, ...] = ()  # numbered parts it does not have ("Protocol 3", "Annex II")
    named_recitals: tuple[str, ...] = ()  # preamble paragraphs named ("Conv. recital 3")
    other_instrument: str | None = None  # as the question names it
    mentions_this_convention: bool = False
    national_law: str | None = None  # the country whose own law is asked about
    status: bool = False  # current signatures, ratifications, votes
    injection: bool = False
    sources: frozenset[SourceKind] = frozenset()  # sources asked about by name
    preamble: bool = False
    refers_back: bool = False  # reads as a follow-up (when there is a conversation)
    lookup: bool = False  # only asks what the named articles say ("What does Article 14 say?")
    parts: tuple[str, ...] = field(default_factory=tuple)  # sub-questions of a multi-part one
    topic: str = ""  # the question without how the answer should look or whom it is for
    language: str | None = None  # the language it is written in, when not English ("French")
    claims: tuple[str, ...] = ()  # what it states about the text ("Since Article 24 abolished ...")
    quotes: tuple[str, ...] = ()  # what it quotes as the text's own words

    @property
    def searched(self) -> str:
        """What retrieval and the in-scope model read: the topic, else the whole question."""
        return self.topic or self.question

    def has(self, intent: Intent) -> bool:
        return intent in self.intents


@cache
def rules() -> dict:
    text = resources.files("assistant.data").joinpath("question_rules.toml").read_text()
    return tomllib.loads(text)


_SPACED = re.compile(r"(?<!\w)(?:\w ){3,}\w(?!\w)")
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff]")
# A word mixing letters with the digits that stand for letters ("pr3v10u5"), not "2fa" or "4g".
_LEET_WORD = re.compile(r"\b(?=\w*[a-z])(?=\w*[013457])(?=(?:\w*?[a-z]){2})[a-z013457]{4,}\b", re.I)
_LEET = str.maketrans("013457", "oieast")
_PUNCTUATED = re.compile(r"(?<![\w.*_-])(?:\w[.*_-]){2,}\w(?![\w*_-])")
# Twelve or more characters spelled out one by one: a way of hiding words, not of asking.
_SPELLED_OUT = re.compile(r"(?<!\w)(?:\w\s+){11,}\w(?!\w)")


_BASE64 = re.compile(r"(?<![\w+/=])[A-Za-z0-9+/]{16,}={0,2}(?![\w+/=])")


def _hides_encoded_text(text: str) -> bool:
    """Text hidden in base64 ("decode this: SWdub3Jl..."): a question is not asked that way."""
    for m in _BASE64.finditer(text):
        token = m.group(0)
        if not (re.search(r"[a-z]", token) and re.search(r"[A-Z]", token)):
            continue  # a hash, an identifier or a plain word
        try:
            raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
            decoded = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            continue
        words = re.findall(r"[^\W\d_]{2,}", decoded)
        if len(decoded) >= 8 and decoded.isprintable() and len(words) >= 2:
            return True
    return False


def _despaced(text: str) -> str:
    """Words spelled out letter by letter ("w r i t e", "I-G-N-O-R-E"), cut by invisible
    characters or written with digits for letters ("1gn0r3") joined or read again, so that an
    instruction hidden that way reads as one."""
    text = _INVISIBLE.sub("", text)
    text = _LEET_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
    text = _PUNCTUATED.sub(lambda m: re.sub(r"[.*_-]", "", m.group(0)), text)
    return _SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)


@cache
def _compiled(section: str, key: str, flags: int = re.IGNORECASE) -> re.Pattern:
    """A rule's pattern; a rule given as a list of forms matches any of them."""
    rule = rules()[section][key]
    if isinstance(rule, list):
        rule = "|".join(f"(?:{form})" for form in rule)
    return re.compile(rule, flags)


@cache
def _country_pattern() -> re.Pattern:
    c = rules()["countries"]
    names = sorted(c["names"] + c["demonyms"], key=len, reverse=True)
    return re.compile(r"(?<![\w.])(" + "|".join(re.escape(n) for n in names) + r")(?![\w])")


# "Article 14", "art. 2(a)", "Art 40 (21)(b)", "articles 23 and 35", "article 40, paragraph 21"
# This Convention by name after "Article N of": "the Convention", "the UN cybercrime treaty", "the
# Convention against Cybercrime" (not "the Convention on Cybercrime" or "... against Corruption").
_THIS_NAME = (
    r"(?:the\s+)?(?:(?:new|un|u\.n\.|united\s+nations|hanoi|global|international)\s+)*"
    r"(?:cyber\s?crime\s+)?(?:convention|treaty)(?:\s+against\s+cyber\s?crime)?"
    # not "the Convention on Cybercrime" / "... of the Child": another one, named in capitals
    # (or "on cybercrime"); "the Convention on provisional application" is this one
    r"(?![\w-]|\s+(?:on|of|for|against|to)\s+(?:(?-i:[A-Z])|cyber\s?crime\b|the\b|\W))"
)
# not followed by "of the Budapest Convention" and the like (but "of this Convention" is ours)
_NOT_FOREIGN = (
    r"(?!\s*(?:of|in)\s+(?:the\s+)?(?!(?:the\s+)?(?:this|these)\b|" + _THIS_NAME + "|"
    r"(?:full|detail|short|brief|plain|simple|practice|summary|other\s+words)\b)"
    r"(?:[A-Z]|budapest|gdpr|eu\b))"
)
_ART = re.compile(
    r"\b(?:art(?:icle)?s?\.?)\s*(\d{1,4})(?!\d)((?:\s?\([0-9a-z]{1,4}\))*)"
    r"(?:,?\s*(?:para(?:graph)?\.?|§)\s*(\d{1,3})(?!\d))?"
    r"((?:\s*(?:,|and|or|to|&|-|–)\s*\d{1,4}(?!\s*(?:days?|years?|months?|%)))*)" + _NOT_FOREIGN,
    re.IGNORECASE,
)
_SUFFIX = re.compile(r"\s*-?\s*(bis|ter|quater|quinquies|sexies|septies|octies)\b", re.I)
_MORE = re.compile(r"(,|and|or|to|&|-|–)\s*(\d{1,4})", re.IGNORECASE)


_UNITS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_UNITS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
]
_ORDINAL_TEENS = [w + "th" for w in _TEENS]
_ORDINAL_TEENS[0], _ORDINAL_TEENS[2] = "tenth", "twelfth"


def _number_words() -> dict[str, int]:
    """ "one" .. "ninety-nine" and "first" .. "ninety-ninth" (also with a space for the hyphen)."""
    out: dict[str, int] = {}
    for i, w in enumerate(_UNITS, 1):
        out[w], out[_ORDINAL_UNITS[i - 1]] = i, i
    for i, w in enumerate(_TEENS, 10):
        out[w], out[_ORDINAL_TEENS[i - 10]] = i, i
    for t, w in enumerate(_TENS, 2):
        out[w], out[w[:-1] + "ieth"] = 10 * t, 10 * t
        for u, uw in enumerate(_UNITS, 1):
            for sep in ("-", " "):
                out[f"{w}{sep}{uw}"] = 10 * t + u
                out[f"{w}{sep}{_ORDINAL_UNITS[u - 1]}"] = 10 * t + u
    return out


_NUMBER_WORDS = _number_words()
_WORDS = "|".join(sorted(map(re.escape, _NUMBER_WORDS), key=len, reverse=True))
_THE = r"(?:the|its|(?:the\s+)?(?:convention|treaty)['’]s)"
# Other ways of naming a provision, rewritten as "Article N(p)" before references are read.
_PARA_WORD = r"(?:sub)?+para(?:graph)?+s?+\.?+"
_LIST_SEP = r"\s*(?:,\s*(?:and\s+|or\s+)?|and|or|&|to|through|-|–)\s*"
_PARA_LIST = (
    rf"\(?([0-9]{{1,3}}|[a-z])\)?(?!\w)((?:{_LIST_SEP}\(?(?:[0-9]{{1,3}}|[a-z])\)?(?![\w(]))++)"
)


def _expand_list(first: str, rest: str) -> list[str]:
    """ "2", " and 3" -> ["2", "3"]; "2", "-4" -> ["2", "3", "4"]; "a", " and (b)" -> ["a", "b"]."""
    items, prev = [first], first
    for sep, item in re.findall(rf"({_LIST_SEP})\(?([0-9]{{1,3}}|[a-z])\)?", rest, re.I):
        span = re.search(r"to|through|-|–", sep)
        if span and prev.isdigit() and item.isdigit() and 0 < int(item) - int(prev) <= 10:
            items += [str(k) for k in range(int(prev) + 1, int(item) + 1)]
        elif span and prev.isalpha() and item.isalpha() and 0 < ord(item) - ord(prev) <= 10:
            items += [chr(k) for k in range(ord(prev) + 1, ord(item) + 1)]
        else:
            items.append(item)
        prev = item
    return items


def _each(article: str, head: str, items: list[str]) -> str:
    """ "Article 63", "", ["2", "3"] -> "Article 63(2) and Article 63(3)"."""
    return " and ".join(f"{article}{head}({i.lower()})" for i in items)


_REF_LISTS = (
    # "paragraphs 2 and 3 of Article 63", "subparagraphs (a) to (c) of article 40(9)"
    (
        re.compile(
            rf"\b{_PARA_WORD}\s*{_PARA_LIST}\s+of\s+(?:the\s+)?"
            r"(art(?:icle)?\.?\s*\d{1,3}+((?:\([0-9a-z]{1,3}\))*+))" + _NOT_FOREIGN,
            re.I,
        ),
        lambda m: _each(m.group(3), "", _expand_list(m.group(1), m.group(2))),
    ),
    # "Article 63, paragraphs 2 and 3", "Art. 63 paras. 2-4"
    (
        re.compile(
            rf"\b(art(?:icle)?\.?\s*\d{{1,3}}+),?\s+{_PARA_WORD}\s*{_PARA_LIST}" + _NOT_FOREIGN,
            re.I,
        ),
        lambda m: _each(m.group(1), "", _expand_list(m.group(2), m.group(3))),
    ),
    # "Article 63(2) and (3)", "Article 2(c), (d) and (e)", "Art. 40(9)(a) and (b)"
    (
        re.compile(
            r"\b(art(?:icle)?\.?\s*\d{1,3}+)((?:\([0-9a-z]{1,3}\))*)\(([0-9a-z]{1,3})\)"
            r"((?:\s*(?:,\s*(?:and\s+|or\s+)?|and|or|&|to|-|–)\s*\([0-9a-z]{1,3}\))++)"
            + _NOT_FOREIGN,
            re.I,
        ),
        lambda m: _each(m.group(1), m.group(2), _expand_list(m.group(3), m.group(4))),
    ),
)
_REF_FORMS = (
    # "paragraph 8 of Article 42", "subparagraph (b) of article 27"
    (
        re.compile(
            r"\b(?:sub)?para(?:graph)?s?\.?\s*\(?([0-9]{1,3}|[a-z])\)?\s+of\s+(?:the\s+)?"
            r"(art(?:icle)?\.?)\s*(\d{1,3})\b",
            re.I,
        ),
        lambda m: f"{m.group(2)} {m.group(3)}({m.group(1)})",
    ),
    # "Article 27, subparagraph (b)", "Article 2, paragraph (h)"
    (
        re.compile(
            r"\b(art(?:icle)?\.?)\s*(\d{1,3}),?\s+(?:sub)?para(?:graph)?\.?\s*\(([a-z0-9]{1,3})\)",
            re.I,
        ),
        lambda m: f"{m.group(1)} {m.group(2)}({m.group(3)})",
    ),
    # "art. 42.8"
    (
        re.compile(r"\b(art(?:icle)?\.?)\s*(\d{1,3})\.(\d{1,3})\b", re.I),
        lambda m: f"{m.group(1)} {m.group(2)}({m.group(3)})",
    ),
    # "Article XXII" (upper-case Roman numerals)
    (
        re.compile(r"\b([Aa]rt(?:icle)?\.?)\s+((?:X{0,6})(?:IX|IV|V?I{0,3}))\b(?<=[IVX])"),
        lambda m: (
            f"{m.group(1)} {_roman(m.group(2))}"
            if len(m.group(2)) > 1 or m.group(2) != "I"
            else m.group(0)
        ),
    ),
    # "article twenty-seven"
    (
        re.compile(rf"\b(art(?:icle)?\.?)\s+({_WORDS})\b", re.I),
        lambda m: f"{m.group(1)} {_number(m.group(2))}",
    ),
    # "the 24th article", "the twenty-fourth article", "the Convention's first article"
    (
        re.compile(
            rf"\b{_THE}\s+(\d{{1,3}})(?:st|nd|rd|th)\s+article\b|\b{_THE}\s+({_WORDS})\s+article\b",
            re.I,
        ),
        lambda m: f"article {_number(m.group(1) or m.group(2))}",
    ),
    # "Art 27 b say?", "Article 2 letter h", "Article 2, point (h)"
    (
        re.compile(
            r"\b(art(?:icle)?\.?)\s*(\d{1,3}),?\s+(?:(?:letter|point|item)\s*\(?([a-z])\)?|"
            r"([b-z])\b(?=\s*[),.?:;]|\s+(?:says?|require[sd]?|provides?|means?|covers?)\b))",
            re.I,
        ),
        lambda m: f"{m.group(1)} {m.group(2)}({(m.group(3) or m.group(4)).lower()})",
    ),
    # "letter (h) of Article 2"
    (
        re.compile(
            r"\b(?:letter|point|item)\s*\(?([a-z])\)?\s+of\s+(art(?:icle)?\.?)\s*(\d{1,3})\b", re.I
        ),
        lambda m: f"{m.group(2)} {m.group(3)}({m.group(1).lower()})",
    ),
    # "the third interpretative note", "interpretative note three"
    (
        re.compile(
            rf"\bthe\s+(?:(\d{{1,2}})(?:st|nd|rd|th)|({_WORDS}))\s+interpretative\s+note\b|"
            rf"\binterpretative\s+note\s+({_WORDS})\b",
            re.I,
        ),
        lambda m: "interpretative note " + str(_number(next(g for g in m.groups() if g))),
    ),
    # "the fifth operative paragraph", "the resolution's fifth paragraph"
    (
        re.compile(
            rf"\b(?:the\s+)?(?:resolution(?:'s|’s)\s+)?(?:(\d{{1,2}})(?:st|nd|rd|th)|({_WORDS}))\s+"
            rf"(?:operative\s+paragraph|paragraph\s+of\s+the\s+resolution)\b|"
            rf"\bresolution(?:'s|’s)\s+(?:(\d{{1,2}})(?:st|nd|rd|th)|({_WORDS}))\s+"
            rf"(?:operative\s+)?paragraph\b",
            re.I,
        ),
        lambda m: (
            "paragraph " + str(_number(next(g for g in m.groups() if g))) + " of the resolution"
        ),
    ),
)


def _normalised_refs(text: str) -> str:
    for pattern, repl in (*_REF_LISTS, *_REF_FORMS):
        text = pattern.sub(repl, text)
    return text


def article_refs(text: str) -> list[ArticleRef]:
    """Articles of this Convention the text names, in order, without repeats ("Article 32 of
    the Budapest Convention" is not one)."""
    return _refs_in(_normalised_refs(text))


def _refs_in(text: str) -> list[ArticleRef]:
    """:func:`article_refs` of a text whose references are already normalised."""
    out: list[ArticleRef] = []
    for m in _ART.finditer(text):
        num = int(m.group(1))
        parts = re.findall(r"\(([0-9a-z]{1,4})\)", m.group(2) or "", re.IGNORECASE)
        if m.group(3):
            parts = [m.group(3)] + parts
        para = None
        if parts:
            para = parts[0].lower() + "".join(f"({p.lower()})" for p in parts[1:])
        suffix = _SUFFIX.match(text, m.end(1))
        out.append(ArticleRef(num, para, suffix.group(1).lower() if suffix else None))
        prev = num
        for sep, n in _MORE.findall(m.group(4) or ""):
            n = int(n)
            if sep.lower() == "to" or sep in "-–":
                out.extend(ArticleRef(k) for k in range(prev + 1, n + 1) if n - prev <= 20)
            else:
                out.append(ArticleRef(n))
            prev = n
    return list(dict.fromkeys(out))


_NOTE_REF = re.compile(
    r"\binterpretative\s+notes?\s+(?:no\.?\s*|number\s+)?(\d{1,3})\b|"
    r"\bnote\s+(\d{1,3})\s+(?:of|in)\s+the\s+annex\b|\bannex(?:'s|’s)?\s+note\s+(\d{1,3})\b",
    re.I,
)
_ORDINAL = "|".join(w for w in _WORDS.split("|") if re.search(r"(?:st|nd|rd|th)$", w))
_ORDINAL += r"|\d{1,2}(?:st|nd|rd|th)"
_PREAMBLE_PARA = r"(?:recital|preambular\s+paragraph)\b"
_DOC = r"(?:the\s+)?(?P<{}>resolution|convention)(?:'s|’s)?"
_RECITAL_REF = re.compile(
    # "recital 3 of the Convention's preamble"
    rf"\b(?:recital|preambular\s+paragraph|paragraph)\s+(?P<n1>\d{{1,2}}|{_WORDS})\s+of\s+"
    rf"{_DOC.format('d1')}\s+preamble\b|"
    # "the resolution's recital 2", "the Convention's preamble recital 3"
    rf"\b{_DOC.format('d2')}\s+(?:preamble(?:'s|’s)?\s+)?(?:(?P<o2>{_ORDINAL})\s+)?"
    rf"{_PREAMBLE_PARA}(?:\s+(?P<n2>\d{{1,2}}|{_WORDS})\b)?|"
    # "the first recital of the resolution", "the 3rd preambular paragraph of the Convention"
    rf"\b(?P<o3>{_ORDINAL})\s+{_PREAMBLE_PARA}(?:\s+(?:of|in)\s+{_DOC.format('d3')})?|"
    # "recital 3"
    rf"\brecital\s+(?P<n4>\d{{1,2}}|{_WORDS})\b",
    re.I,
)


def recital_refs(text: str) -> list[str]:
    """Preamble paragraphs named by number, as labels ("Conv. recital 3", "Res. recital 2"):
    the resolution's when the question says so, the Convention's otherwise. Recitals are
    numbered as the text numbers them (the opening formula is not one)."""
    out = []
    for m in _RECITAL_REF.finditer(text):
        number = next((m[g] for g in ("n1", "o2", "n2", "o3", "n4") if m[g]), None)
        if number is None:
            continue  # "the Convention's recitals" names none
        doc = m["d1"] or m["d2"] or m["d3"]
        if not doc:
            doc = "resolution" if re.search(r"\bresolution\b", text, re.I) else "convention"
        label = "Res." if doc.lower() == "resolution" else "Conv."
        number = re.sub(r"(?<=\d)(?:st|nd|rd|th)$", "", number)
        out.append(f"{label} recital {_number(number)}")
    return list(dict.fromkeys(out))


_RES_REF = re.compile(
    r"\b(?:operative\s+)?para(?:graph)?s?\.?\s*(\d{1,3})\s+of\s+(?:the\s+)?(?:GA\s+|General\s+"
    r"Assembly\s+)?resolution\b|\bresolution(?:\s+79/243)?(?:'s|’s)?,?\s+(?:operative\s+)?"
    r"para(?:graph)?s?\.?\s*(\d{1,3})\b|\bRes\.\s*para\.\s*(\d{1,3})\b|"
    r"\boperative\s+para(?:graph)?s?\.?\s*(\d{1,3})\b",
    re.I,
)


_CHAPTER_REF = re.compile(rf"\bchapter\s+([ivx]{{1,5}}|\d{{1,2}}|{_WORDS})\b", re.I)
_ROMAN = {"i": 1, "v": 5, "x": 10}


def _roman(numeral: str) -> int:
    values = [_ROMAN[c] for c in numeral.lower()]
    return sum(-v if v < nxt else v for v, nxt in zip(values, [*values[1:], 0], strict=True))


def _number(token: str) -> int:
    """A number written in figures, in words ("five", "fifth") or in Roman numerals ("IV")."""
    token = token.lower()
    if token.isdigit():
        return int(token)
    if token in _NUMBER_WORDS:
        return _NUMBER_WORDS[token]
    return _roman(token)


def roman(number: int) -> str:
    """1..39 in Roman numerals (chapter numbers)."""
    tens, units = divmod(number, 10)
    ones = ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"]
    return "X" * tens + ones[units]


# A numbered protocol, annex, appendix, schedule or part said to belong to this Convention
# ("Protocol 3 to the Convention", "the treaty's Annex II"). The text has none of them: no
# protocol has been adopted (Article 62 only provides for them), its one annex is unnumbered.
_PART_REF = re.compile(
    r"\b(protocol|annex|appendix|schedule|part)\s+(?:no\.?\s*|number\s+)?(\d{1,2}|[ivx]{1,5})\b"
    r"(?=\s+(?:to|of|in)\s+(?:the|this)\s+(?:un\s+)?(?:cyber\s?crime\s+)?(?:convention|treaty))|"
    r"\b(?:convention|treaty)(?:'s|’s)\s+(protocol|annex|appendix|schedule|part)\s+"
    r"(?:no\.?\s*)?(\d{1,2}|[ivx]{1,5})\b",
    re.I,
)


def part_refs(text: str) -> list[str]:
    """Numbered parts the text names as this Convention's ("Protocol 3", "Annex II")."""
    out = []
    for m in _PART_REF.finditer(text):
        kind, number = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        out.append(f"{kind.capitalize()} {number.upper() if not number.isdigit() else number}")
    return list(dict.fromkeys(out))


def chapter_refs(text: str) -> list[int]:
    """Chapters named by number ("Chapter IV", "chapter 4", "chapter four")."""
    return list(dict.fromkeys(_number(m.group(1)) for m in _CHAPTER_REF.finditer(text)))


def note_refs(text: str) -> list[int]:
    return list(
        dict.fromkeys(int(next(g for g in m.groups() if g)) for m in _NOTE_REF.finditer(text))
    )


def resolution_refs(text: str) -> list[int]:
    return list(
        dict.fromkeys(int(next(g for g in m.groups() if g)) for m in _RES_REF.finditer(text))
    )


_DETACHED_PARAS = re.compile(
    rf"\b{_PARA_WORD}\s*(?>{_PARA_LIST}|\(?([0-9]{{1,3}}|[a-z])\)?(?![\w(]))(?!\s+(?:of|in)\b)",
    re.I,
)


def _bind_paragraphs(text: str) -> str:
    """ "In Article 63, what do paragraphs 2 and 3 provide?": paragraphs named apart from the
    one article the question names are that article's ("Article 63(2) and Article 63(3)")."""
    arts = list(_ART.finditer(text))
    if len(arts) != 1 or arts[0].group(2) or arts[0].group(3) or arts[0].group(4):
        return text
    m = _DETACHED_PARAS.search(text, arts[0].end())
    if m is None:
        return text
    items = _expand_list(m.group(1), m.group(2)) if m.group(1) else [m.group(3)]
    art = arts[0]
    return text[: art.start()] + _each(art.group(0), "", items) + text[art.end() :]


def _own_article_refs(text: str, instrument: str | None) -> list[ArticleRef]:
    """:func:`article_refs` of a normalised text, without the articles of another instrument
    named just before or just after ("GDPR Article 37", "the AI Act's article 5", "Article 6
    GDPR"), or a few words on in the clause that names it ("Under the GDPR, which Article 6 legal
    basis ..."; not "Under the GDPR, does Article 36 of this treaty ...")."""
    if instrument:
        name = re.escape(instrument)
        ref = r"(?i:art(?:icle)?s?\.?)\s*\d+\b(?:\s*\([0-9a-z]+\))*"
        text = re.sub(
            rf"{name}(?:'s|’s)?\s+{ref}|{ref}\s+(?:(?i:of|in)\s+)?(?:the\s+)?{name}"
            # "Under the GDPR, which Article 6 legal basis ...": the same clause, a few words on
            rf"|(?i:under|in)\s+(?:the\s+)?{name},?\s+(?:[\w-]+\s+){{0,3}}?{ref}(?!\s+(?i:of|in)\s)",
            " ",
            text,
        )
    return _refs_in(_bind_paragraphs(text))


_LEADING = re.compile(
    r"^(?:(?:under|does|do|did|is|are|was|were|what|how|when|who|which|why|in|according|to|"
    r"the|a|an|per|by|can|could|may|must|should|would|will|has|have|explain|tell|compare|"
    r"and|or|but|if|as|with|from|for|on|since|given|now|because|considering|knowing|that|so|"
    r"once|while|although|though|after|before|then)\s+)+",
    re.IGNORECASE,
)


_INSTRUMENT_NOUN = r"(?:convention|treaty|protocol|covenant)s?\b"
_NAME_WORDS = r"(?:\s+(?-i:[A-Z][\w-]*)){0,3}"  # capitalised words of a name, not "support the"


@cache
def _other_convention_name() -> re.Pattern[str]:
    """Another convention named by one of its words and a convention, treaty, protocol or
    covenant: "the European Convention on Human Rights", "the Council of Europe's Second Additional
    Protocol"; not "the European Union support the convention"."""
    scope = rules()["scope"]
    other = f"(?:{scope['treaty_place_names']}|{scope['other_convention_words']})"
    return re.compile(rf"{other}(?:['’]s)?{_NAME_WORDS}\s+{_INSTRUMENT_NOUN}", re.I)


def other_instrument(text: str) -> str | None:
    """Another treaty, law, regulation or code the question names (as it names it)."""
    for m in re.finditer(rules()["scope"]["instrument_name"], text):
        name = _LEADING.sub("", " ".join(m.group(0).split())).strip(" ,.?")
        if name and not _compiled("scope", "this_convention").search(name):
            words = name.split()
            if len(words) == 1 and not re.search(r"\d", text[m.end() : m.end() + 6]):
                continue  # a bare "Convention", "Act" or "Protocol": not a name
            return name
    m = _other_convention_name().search(text)
    if m:  # "the European Convention on Human Rights", "Council of Europe's Second Protocol"
        return m.group(0)
    m = _compiled("scope", "treaty_place_names").search(text)
    if m and re.search(rf"\b{_INSTRUMENT_NOUN}", text, re.I):  # "the Budapest one's protocol"
        return m.group(0)
    for acr in re.finditer(rules()["scope"]["instrument_acronym"], text):
        if acr.group(1) not in rules()["scope"]["known_acronyms"]:
            return acr.group(1)
    return None


def mentions_this_convention(text: str) -> bool:
    """Does the question name this Convention (besides any other instrument it names)?"""
    cleaned = _other_convention_name().sub(" ", text)
    name = other_instrument(cleaned)
    if name:
        cleaned = cleaned.replace(name, " ")
    return bool(_compiled("scope", "this_convention_mention").search(cleaned))


def national_law(text: str) -> str | None:
    """The country whose own law the question asks about, if it does."""
    for m in _country_pattern().finditer(text):
        before, after = text[: m.start()], text[m.end() :]
        if (
            _compiled("scope", "national_law_before").search(before)
            or _compiled("scope", "national_law_after").match(after)
            or (
                _compiled("scope", "national_law_in").search(before)
                and re.match(r"\s*(?:\?|$|,|\.)", after)
            )
        ):
            return m.group(1)
    return None


def is_lookup(text: str) -> bool:
    """Nothing but named articles (or chapters) and the words of asking what they say (``text``
    with its references normalised)."""
    if not (_ART.search(text) or _CHAPTER_REF.search(text)):
        return False
    rest = re.findall(r"[a-z']+", _CHAPTER_REF.sub(" ", _ART.sub(" ", text)).lower())
    return set(rest) <= frozenset(rules()["lookup"]["words"])


def _unit(text: str) -> str | None:
    for unit, pattern in rules()["quantity_units"].items():
        if re.search(pattern, text, re.IGNORECASE):
            return unit
    return None


@cache
def _function_words() -> tuple[frozenset[str], dict[str, frozenset[str]]]:
    """English's function words and each other language's ([language] rules), as sets."""
    lang = rules()["language"]
    return frozenset(lang["english"]), {n: frozenset(ws) for n, ws in lang["words"].items()}


def language_of(text: str) -> str | None:
    """The language (or script) a question is written in when it is not English ([language]
    rules): ``None`` for English, or when too little text tells."""
    lang = rules()["language"]
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    for name, pattern in lang["scripts"].items():
        if len(re.findall(pattern, text)) > len(letters) / 2:
            return name
    words = [w for w in re.findall(r"[^\W\d_]+", text.lower()) if len(w) > 1 or w in "aeoyé"]
    if len(words) < len(re.findall(r"\S+", text)) / 2:  # spelled-out letters, not words
        return None
    english_words, other_words = _function_words()
    english = sum(w in english_words for w in words)
    counts = {name: sum(w in ws for w in words) for name, ws in other_words.items()}
    name, best = max(counts.items(), key=lambda kv: kv[1])
    return name if best >= int(lang["min_words"]) and best > 2 * english else None


def topic_of(text: str) -> str:
    """The question without its framing ([framing]: "In plain language, ...", "For our NGO's
    submission, ...", "quote the exact wording of ..."); the question itself when taking the
    framing out would leave fewer than three words."""
    pattern = _compiled("framing", "forms")
    out = text
    for _ in range(3):  # "I need to brief a minister: in a sentence or two, what ..."
        shorter = " ".join(pattern.sub(" ", out).split())
        if shorter == out:
            break
        out = shorter
    out = re.sub(r"\s+([?.!])", r"\1", out).strip(" ,;:")
    return out if out != text and len(re.findall(r"\w+", out)) >= 3 else ""


# Quotation marks, not apostrophes: a quote opens after a space or punctuation and closes
# before one ("it's", "States' " are not quotes).
QUOTED = re.compile(r"(?<![\w’'])'(?=\S)([^']+?)(?<=\S)'(?![\w’])|\"([^\"]+)\"|‘([^’]+)’|“([^”]+)”")


def unquoted(text: str) -> str:
    """The text without what it quotes (a quotation left open runs to the end)."""
    return re.sub(r"(?:^|(?<=\s))['‘“\"].*$", " ", QUOTED.sub(" ", text))


def claims_of(text: str) -> list[str]:
    """Statements the question makes about the text ([claims]): premise clauses, statements
    before a question, claims put up for confirmation or attributed to someone. Only those that
    name the text are kept."""
    c = rules()["claims"]
    names = _compiled("claims", "names_text")
    own = _compiled("claims", "self_description")
    asks = _compiled("claims", "asks_whether").search(text)
    out = []
    for key in [f for f in c["forms"] if f != "attributed"] if asks else c["forms"]:
        for m in re.finditer(c[key], text, re.IGNORECASE):
            claim = next((g for k, g in m.groupdict().items() if g and k.startswith("claim")), "")
            claim = claim.strip(" '\"‘’“”")
            about_text = names.search(unquoted(claim)) and not own.search(claim)
            if claim and about_text and claim not in out:
                out.append(claim)
    return out


def quotes_of(text: str) -> list[str]:
    """Quotations of at least ``quote_min_words`` words in a question that presents them as the
    text's own words (it names an article, the Convention, "the text", "excerpt", ...)."""
    c = rules()["claims"]
    if not _compiled("claims", "quoted_as_text").search(QUOTED.sub(" ", text)):
        return []
    out = []
    for m in QUOTED.finditer(text):
        quote = next(g for g in m.groups() if g is not None).strip()
        if len(re.findall(r"[\w’']+", quote)) >= int(c["quote_min_words"]):
            out.append(quote)
    return out


def _definite_reference(text: str, earlier: str, pattern: str) -> bool:
    """Does a definite noun phrase of ``text`` ("the data") use a word of ``earlier``?"""
    if not earlier:
        return False

    def base(word: str) -> str:
        return re.sub(r"(?:'s|s)$", "", word.lower())

    said = {base(w) for w in re.findall(r"[\w-]+(?:'s)?", earlier)}
    return any(base(w) in said for m in re.finditer(pattern, text, re.I) for w in m.groups() if w)


def analyze(question: str, *, conversation: bool = False, earlier: str = "") -> QueryAnalysis:
    """Read the question. ``conversation``: there are earlier turns it may refer back to;
    ``earlier``: the question asked just before, when known (its words make "the data" refer
    back)."""
    text = question
    intents = frozenset(i for i in Intent if _compiled("intent", i.value).search(text))
    sources = {
        SourceKind(s)
        for s in ("briefing", "resolution", "notes")
        if _compiled("sources", s).search(text)
    }
    refers = False
    if conversation:
        f = rules()["followup"]
        stripped = re.sub(f["this_document"], " ", text, flags=re.I)
        refers = (
            bool(re.search(f["refers_back"], stripped, re.I))
            or len(re.findall(r"\w+", text)) <= int(f["max_words"])
            or _definite_reference(stripped, earlier, f["definite"])
        )
    parts = tuple(
        p.strip(" ?") for p in _compiled("parts", "split").split(text) if len(p.split()) >= 3
    )
    instrument = other_instrument(text)
    refs_text = _normalised_refs(text)  # "paragraph 8 of Article 42" -> "Article 42(8)"
    return QueryAnalysis(
        question=text,
        intents=intents,
        yes_no=bool(_compiled("intent", "yes_no").search(text)),
        confirms=bool(_compiled("intent", "confirm").search(text)),
        negated=bool(_compiled("intent", "negated").search(text)),
        quantity_unit=_unit(text) if Intent.QUANTITY in intents else None,
        named=tuple(_own_article_refs(refs_text, instrument)),
        named_notes=tuple(note_refs(refs_text)),
        named_resolution_paragraphs=tuple(resolution_refs(refs_text)),
        named_chapters=tuple(chapter_refs(refs_text)) if not instrument else (),
        named_recitals=tuple(recital_refs(refs_text)) if not instrument else (),
        named_parts=tuple(part_refs(text)),
        other_instrument=instrument,
        mentions_this_convention=mentions_this_convention(text),
        national_law=national_law(text),
        status=bool(_compiled("scope", "status").search(text)),
        injection=bool(
            _compiled("scope", "injection").search(_despaced(text))
            or _SPELLED_OUT.search(text)
            or _hides_encoded_text(text)
        ),
        sources=frozenset(sources),
        preamble=bool(_compiled("sources", "preamble").search(text)),
        refers_back=refers,
        lookup=is_lookup(refs_text),
        parts=parts if len(parts) > 1 else (),
        topic=topic_of(text),
        language=language_of(text),
        claims=tuple(claims_of(text)),
        quotes=tuple(quotes_of(text)),
    )
