"""Official wording in our question files is kept as references to the index, never copied
(real index: the words are read from it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from evals.probes import HERE
from evals.text_refs import MIN_WORDS, expand, provision_words, redact


def test_a_quoted_run_becomes_a_reference_and_comes_back_word_for_word(bot):
    bot.ensure_ready()
    run = " ".join(provision_words(bot.catalog, "Art. 27(b)")[:12])
    question = f"Article 27(b) reads: {run} Who decides?"
    stored = redact(question, bot.catalog)
    assert "{{Art. 27(b)@0-12}}" in stored and run not in stored
    assert expand(stored, bot.catalog) == question
    # a run shorter than MIN_WORDS stays as written
    short = " ".join(provision_words(bot.catalog, "Art. 27(b)")[: MIN_WORDS - 1])
    assert redact(f"It says {short} here", bot.catalog) == f"It says {short} here"


def test_the_probe_files_carry_no_run_of_the_official_text(bot):
    """No 15 words in a row of a provision (a sentence) are copied into the probe files; short
    phrases such as an article's title or a clause a question paraphrases may occur."""
    bot.ensure_ready()
    grams = set()
    for chunks in bot.catalog.by_label.values():
        w = re.findall(r"\w+", chunks[0].text.lower())
        grams.update(tuple(w[i : i + 15]) for i in range(len(w) - 14))
    for name in ("injections", "legitimate"):
        text = Path(HERE, f"{name}.jsonl").read_text()
        for line in text.splitlines():
            w = re.findall(r"\w+", json.loads(line)["q"].lower())
            copied = [w[i : i + 15] for i in range(len(w) - 14) if tuple(w[i : i + 15]) in grams]
            assert not copied, (name, copied[0])
