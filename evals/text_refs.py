"""Official wording inside our question files, kept as references instead of copies.

The repository does not carry the Convention's text, but some probe questions quote it word for
word ("Article 65(1) reads: '...'. When?"). Such a run of the official text is stored as
``{{Art. 65(1)@3-18}}``: words 3 to 18 (whitespace-separated, 0-based, end excluded) of that
provision's text in the index. :func:`expand` puts the words back from the index the assistant
built (from the UN's document or a local mirror); :func:`redact` writes the references.
"""

from __future__ import annotations

import re

from assistant.index.catalog import Catalog

_REF = re.compile(r"\{\{(?P<label>[^@{}]+)@(?P<start>\d+)-(?P<end>\d+)\}\}")
MIN_WORDS = 8  # shorter runs are ordinary phrases, kept as written


def provision_words(catalog: Catalog, label: str) -> list[str]:
    """A provision's text as references count its words (whitespace-separated)."""
    return catalog.by_label[label][0].text.split()


def expand(text: str, catalog: Catalog) -> str:
    """The text with every reference replaced by the official words it stands for."""

    def words(m: re.Match) -> str:
        run = provision_words(catalog, m["label"])[int(m["start"]) : int(m["end"])]
        if not run:
            raise KeyError(f"{m.group()}: not in the index")
        return " ".join(run)

    return _REF.sub(words, text)


def redact(text: str, catalog: Catalog) -> str:
    """The text with every run of at least ``MIN_WORDS`` words that a provision has word for
    word, punctuation included, replaced by a reference to it (the longest run first)."""
    tokens = text.split(" ")
    best: tuple[int, int, str, int] | None = None  # (length, start in text, label, start)
    for label in catalog.by_label:
        source = provision_words(catalog, label)
        where: dict[str, list[int]] = {}
        for j, w in enumerate(source):
            where.setdefault(w, []).append(j)
        for i, k in enumerate(tokens):
            for j in where.get(k, []):
                n = 0
                limit = min(len(tokens) - i, len(source) - j)
                while n < limit and tokens[i + n] == source[j + n]:
                    n += 1
                if n >= MIN_WORDS and (best is None or n > best[0]):
                    best = (n, i, label, j)
    if best is None:
        return text
    n, i, label, j = best
    ref = f"{{{{{label}@{j}-{j + n}}}}}"
    return redact(" ".join(tokens[:i] + [ref] + tokens[i + n :]), catalog)
