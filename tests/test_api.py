"""The public Python API contract (other tools and the evaluation call exactly this)."""

from __future__ import annotations

import dataclasses

import pytest

from assistant import Answer, Assistant, Citation, InvalidQuestion, Passage


def test_ask_contract(bot):
    ans = bot.ask(
        "Is hacking a crime under the treaty?", history=[("previous q", "previous answer")]
    )
    assert isinstance(ans, Answer)
    assert isinstance(ans.text, str) and ans.text
    assert isinstance(ans.abstained, bool) and not ans.abstained
    assert ans.citations and all(isinstance(c, Citation) for c in ans.citations)
    c = ans.citations[0]
    assert isinstance(c.article, int) and c.label.startswith(f"Art. {c.article}")
    assert {"article", "paragraph", "label", "source", "quote"} <= {
        f.name for f in dataclasses.fields(c)
    }
    assert ans.passages and all(isinstance(p, Passage) for p in ans.passages)
    assert 7 in {c.article for c in ans.citations}


def test_retrieve_contract(bot):
    out = bot.retrieve("What counts as personal data?", k=3)
    assert len(out) == 3 and all(isinstance(p, Passage) for p in out)
    p = out[0]
    for name in ("text", "source", "article", "paragraph", "title", "chapter", "score"):
        assert hasattr(p, name)
    assert p.source == "convention" and p.article == 2 and p.score > 0


def test_non_article_sources_have_no_article_number(bot):
    out = bot.retrieve(
        "What day did the General Assembly designate International Anti-Cybercrime Day?", k=5
    )
    res = [p for p in out if p.source == "resolution"]
    assert res and res[0].article is None and res[0].label.startswith("Res. para.")


@pytest.mark.parametrize("bad", ["", "  ", "a" * 4001, "\x00\x01binary", b"bytes"])
def test_bad_input_raises_a_clear_error(bot, bad):
    with pytest.raises(InvalidQuestion):
        bot.ask(bad)
    with pytest.raises(InvalidQuestion):
        bot.retrieve(bad)


def test_bad_history_and_k(bot):
    with pytest.raises(InvalidQuestion):
        bot.ask("Is hacking a crime?", history=["not a pair"])
    with pytest.raises(ValueError):
        bot.retrieve("Is hacking a crime?", k=0)


def test_article_view(bot):
    view = bot.article(27)
    assert view.title == "Production order" and view.chapter == 4
    assert "(b) A service provider" in view.text()
    assert bot.article(99) is None
    assert [a.number for a in bot.articles()] == list(range(1, 69))


def test_default_construction_is_lazy():
    bot = Assistant()
    assert not bot._ready  # nothing is loaded until the first question
