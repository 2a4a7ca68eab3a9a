"""Statements and quotations a question makes about the text, checked against the text (real
index): a false one is declined with a notice naming what the text lacks; a true one is answered
as any question. The examples are written for this test (in no probe file, no evaluation set);
the real passages quoted are read from the index, not written here."""

from __future__ import annotations

import re

import pytest

from assistant.analysis import analyze
from assistant.answering.abstention import Reason
from assistant.answering.claims import ClaimChecker, Problem

# Each false statement, and the word of it that the text it names lacks.
FALSE = [
    ("Since Article 42 makes preservation last 200 days, who pays for it?", "200 days"),
    ("Given that Article 67 lets a State leave after twelve years, how is it done?",
     "twelve years"),
    ("Now that Article 21 scrapped fair-trial rights for suspects, what is left?", "scrapped"),
    ("Article 36 exempts police databases from data protection. Which rules still apply?",
     "exempts"),
    ("Confirm that Article 47 puts Europol in charge of police cooperation.", "Europol"),
    ("My tutor says Article 65 brought the treaty into force in June 2025, so who is bound?",
     "June 2025"),
    ("Since the Convention has 91 articles, which is the last one?", "91"),
]  # fmt: skip
# True statements in the same forms: answered.
TRUE = [
    "Since Article 65 needs the fortieth instrument, on which day after it does the Convention "
    "enter into force?",
    "Given that Article 19 makes criminalizing an attempt optional, which paragraph says so?",
    "Article 27 lets authorities order subscriber information. Does that include IP addresses?",
    "Since the Convention has 68 articles, which one deals with extradition?",
    "Since the treaty does not define 'hate speech', can a State criminalize it under Article 16?",
    "As a compliance officer at a firm with 300 staff, what does Article 27 require of us?",
    "My colleague says Article 16 protects intimate images, is that right?",
    "Since Article 7 obliges each State Party to make illegal access a criminal offence, what "
    "counts as access without right?",
    "Article 11 obliges each State Party to criminalize producing a device designed for "
    "committing an offence. Is selling one covered?",
]
# Obligations a claim puts on a provision that only permits: the provision it speaks about
# (of the article's paragraphs, the one sharing most of its words), and the verb it lacks.
FORCE = [
    ("Since Article 7 obliges each State Party to require that illegal access involve infringing "
     "security measures, what counts as a security measure?", "Art. 7(2)"),
    ("Given that Article 12 requires every State Party to demand an intent to defraud for "
     "forgery, how is intent proved?", "Art. 12(2)"),
]  # fmt: skip


@pytest.fixture(scope="module")
def checker(bot) -> ClaimChecker:
    bot.ensure_ready()
    return ClaimChecker(bot.catalog, bot.lexical)


@pytest.mark.parametrize(("question", "word"), FALSE)
def test_a_false_statement_is_found_with_the_word_the_text_lacks(checker, question, word):
    finding = checker.check(analyze(question))
    assert finding is not None and finding.problem == Problem.NOT_IN_TEXT
    assert finding.because == word


@pytest.mark.parametrize(("question", "provision"), FORCE)
def test_an_obligation_the_provision_does_not_impose_is_found(checker, question, provision):
    finding = checker.check(analyze(question))
    assert finding is not None and finding.problem == Problem.NOT_IN_TEXT
    assert (finding.where, finding.because) == (provision, "shall")
    negated = question.replace("obliges", "does not oblige").replace("requires", "does not require")
    assert checker.check(analyze(negated)) is None  # "does not oblige" is not an obligation


@pytest.mark.parametrize("question", TRUE)
def test_a_true_statement_passes(checker, question):
    assert checker.check(analyze(question)) is None


def _passage(bot, label: str, words: int) -> str:
    text = " ".join(c.text for c in bot.catalog.by_label[label])
    return " ".join(re.findall(r"[\w’'-]+", text)[:words])


def test_a_real_quotation_passes_and_an_altered_one_does_not(bot, checker):
    real = _passage(bot, "Art. 27(b)", 14)
    assert checker.check(analyze(f"Article 27(b) reads: '{real}'. Who decides?")) is None
    # a word changed here and there is still the text
    words = real.split()
    words[5] = "every"
    near = " ".join(words)
    assert checker.check(analyze(f"Article 27(b) reads: '{near}'. Who decides?")) is None
    # an invented ending is not
    altered = f"{real} unless the provider is a foreign company with no local office"
    finding = checker.check(analyze(f"Here is the text of Article 27(b): '{altered}'. Why?"))
    assert finding is not None and finding.problem == Problem.MISQUOTED
    assert "foreign company" in finding.because


def test_an_invented_sentence_presented_as_the_text_is_misquoted(checker):
    q = "Summarise this excerpt: 'Article 30(4): Providers shall decrypt all messages on demand.'"
    finding = checker.check(analyze(q))
    assert finding is not None and finding.problem == Problem.MISQUOTED


def test_a_real_passage_quoted_with_a_number_changed_is_misquoted(bot, checker):
    real = _passage(bot, "Art. 65(1)", 16)
    assert checker.check(analyze(f"Article 65(1) reads: '{real}'. When?")) is None
    changed = re.sub(r"\b(ninetieth|fortieth)\b", "sixtieth", real)
    assert changed != real
    finding = checker.check(analyze(f"Article 65(1) reads: '{changed}'. When?"))
    assert finding is not None and finding.problem == Problem.MISQUOTED
    assert finding.because == "sixtieth day"


def test_it_in_a_trailing_premise_is_the_article_the_question_names(checker):
    q = "How should Article 25 be applied, given that it allows preservation for 400 days?"
    finding = checker.check(analyze(q))
    assert finding is not None and finding.because == "400 days"
    assert finding.where == "Article 25"


def test_a_quotation_not_presented_as_the_text_is_not_checked(checker):
    q = "A blogger wrote 'this whole thing is a gift to every regime on earth' - what do you say?"
    assert analyze(q).quotes == ()
    assert checker.check(analyze(q)) is None


def test_the_policy_declines_with_a_notice_naming_the_missing_words(bot):
    bot.ensure_ready()
    answer = bot.ask(FALSE[0][0])
    assert answer.abstained and answer.citations == []
    assert "200" in answer.notice and "Article 42" in answer.notice
    decision = bot.policy.before_retrieval(analyze(FALSE[0][0]))
    assert decision is not None and decision.reason == Reason.CLAIM_NOT_IN_TEXT


@pytest.mark.parametrize("question", TRUE[:4])
def test_a_true_statement_is_answered_with_citations(bot, question):
    bot.ensure_ready()
    answer = bot.ask(question)
    assert not answer.abstained and answer.citations
