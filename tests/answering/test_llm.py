"""The LLM answer path against a real OpenAI-compatible HTTP server on 127.0.0.1 (a replay
server, tests/answering/fake_openai.py) through LangChain's ChatOpenAI: verified citations,
follow-up condensing, streaming, and the extractive fallback on timeout and outage."""

from __future__ import annotations

import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import pytest

from assistant import Assistant
from assistant.analysis import analyze
from assistant.answering.base import Draft
from assistant.answering.condense import clean_rewrite
from assistant.answering.llm import (
    LLMAnswerer,
    LLMClient,
    LLMUnavailable,
    chat_model_kwargs,
    load_prompt,
)
from assistant.answering.pipeline import AnswerPipeline
from assistant.answering.support import SUPPORT_THRESHOLD, support
from assistant.answering.verify import normalise_label, resolve_label, split_sentences, verify
from assistant.models import Answer
from assistant.settings import Settings
from tests.answering.fake_openai import FakeOpenAI, Reply, passages_in

Q = "Can the police force a company to hand over subscriber information?"
HACKING_BACK = "The Convention legalises hacking back"


@pytest.fixture(scope="module")
def fake():
    server = FakeOpenAI().start()
    yield server
    server.stop()


def llm_settings(mirror_dir, index_dir, base_url: str, **kw) -> Settings:
    values = dict(llm="openai:fake", llm_timeout=2, llm_retries=1) | kw
    return Settings(source_dir=mirror_dir, data_dir=index_dir, llm_base_url=base_url, **values)


@pytest.fixture(scope="module")
def llm_bot(fake, mirror_dir, index_dir):
    bot = Assistant(llm_settings(mirror_dir, index_dir, fake.base_url), progress=False)
    bot.ensure_ready()
    bot.answerer.client.backoff = 0.1
    return bot


@pytest.fixture(autouse=True)
def _fresh_client(request):
    yield
    if "llm_bot" in request.fixturenames:
        request.getfixturevalue("llm_bot").answerer.client.reset()


def quoting(body: dict, n: int = 2, extra: str = "") -> str:
    """A faithful answer: the first ``n`` supplied passages, each cited by its label."""
    parts = [f"{text} [{label}]." for label, text in passages_in(body)[:n]]
    return " ".join(parts) + (" " + extra if extra else "")


def system_of(body: dict) -> str:
    return next(m["content"] for m in body["messages"] if m["role"] == "system")


def user_of(body: dict) -> str:
    return next(m["content"] for m in body["messages"] if m["role"] == "user")


# --- verification against the real server -------------------------------------------------------


def test_valid_citations_kept_invented_removed_unsupported_dropped(llm_bot, fake):
    def reply(body):
        (l1, t1), (l2, t2) = passages_in(body)[:2]
        return (
            f"{t1} [{l1}]. {t2} [{l2}; Art. 99]. {HACKING_BACK} [{l1}]. "
            "It also obliges providers to decrypt everything [Art. 27(z)]."
        )

    fake.script(reply)
    ans = llm_bot.ask(Q)
    body = fake.requests[0]
    supplied = [label for label, _ in passages_in(body)]
    assert "NOT IN PASSAGES" in system_of(body)  # the prompt file's rules were sent
    assert f"Question: {Q}" in user_of(body)
    assert body["model"] == "fake" and body["temperature"] == 0

    assert not ans.abstained
    assert [c.label for c in ans.citations] == supplied[:2]
    assert all(f"[{lab}]" in ans.text for lab in supplied[:2])
    assert "Art. 99" not in ans.text and "27(z)" not in ans.text
    assert HACKING_BACK not in ans.text and "decrypt" not in ans.text
    assert "Removed invented citation Art. 99, Art. 27(z)" in ans.notice
    assert "Dropped 2 sentence(s)" in ans.notice
    assert "extractive" not in ans.notice
    # the draft carries its own verification (no state is kept on the shared answerer)
    fake.script(reply)
    v = llm_bot.answerer.draft(Q, llm_bot.retriever.search(analyze(Q), k=5)).verification
    assert [s.claim for s in v.unsupported] == [HACKING_BACK + "."]
    assert v.unsupported[0].score < SUPPORT_THRESHOLD
    assert not hasattr(llm_bot.answerer, "last")


def test_nothing_supported_falls_back_to_extractive(llm_bot, bot, fake):
    def reply(body):
        (l1, _), (l2, _) = passages_in(body)[:2]
        return f"{HACKING_BACK} [{l1}]. Victims may sue hackers for damages [{l2}; Art. 99]."

    fake.script(reply)
    ans = llm_bot.ask(Q)
    assert ans.text == bot.ask(Q).text  # the extractive answer
    assert "did not pass the citation check" in ans.notice
    assert "invented citation Art. 99" in ans.notice
    assert "showing the extractive answer" in ans.notice


def test_passages_do_not_answer(llm_bot, fake):
    fake.script("NOT IN PASSAGES")
    ans = llm_bot.ask(Q)
    assert ans.abstained and not ans.citations
    assert "do not answer this question" in ans.text


# --- timeouts, retries, outage ----------------------------------------------------------------


def test_timeout_falls_back_with_reason(llm_bot, bot, fake):
    fake.script(Reply("too late", delay=3.5))
    t0 = time.perf_counter()
    ans = llm_bot.ask(Q)
    assert time.perf_counter() - t0 < 3.4  # not waiting for the slow server, not retried
    assert ans.text == bot.ask(Q).text
    assert "LLM unavailable (timeout after 2 s): showing the extractive answer." in ans.notice
    assert len(fake.requests) == 1


def test_server_error_is_retried_then_falls_back(llm_bot, bot, fake):
    fake.script(Reply("boom", status=500), Reply("boom", status=500))
    ans = llm_bot.ask(Q)
    assert len(fake.requests) == 2  # one retry (llm_retries=1)
    assert "LLM unavailable (HTTP 500 after 2 attempts)" in ans.notice
    assert ans.text == bot.ask(Q).text
    # The endpoint just failed: the next question does not wait for it again.
    fake.script(quoting)
    assert "LLM unavailable" in llm_bot.ask(Q).notice and not fake.requests


def test_retry_recovers_after_one_error(llm_bot, fake):
    fake.script(Reply("busy", status=503), quoting)
    ans = llm_bot.ask(Q)
    assert len(fake.requests) == 2
    assert "unavailable" not in ans.notice and len(ans.citations) == 2


def test_dropped_connection_falls_back(llm_bot, fake):
    fake.script(Reply(close=True), Reply(close=True))
    ans = llm_bot.ask(Q)
    assert "LLM unavailable (cannot connect to the endpoint after 2 attempts)" in ans.notice


def test_outage_connection_refused(llm_bot, bot, mirror_dir, index_dir):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = llm_settings(mirror_dir, index_dir, f"http://127.0.0.1:{port}/v1", llm_retries=0)
    answerer = LLMAnswerer(
        LLMClient(settings), llm_bot.extractive, partial(support, llm_bot.lexical)
    )
    ans = AnswerPipeline(llm_bot.retriever, answerer, llm_bot.policy, settings).run(Q)
    assert ans.text == bot.ask(Q).text
    assert "LLM unavailable (cannot connect to the endpoint)" in ans.notice


def test_missing_integration_is_a_clear_reason(mirror_dir, index_dir):
    settings = llm_settings(mirror_dir, index_dir, "", llm="nonexistent-provider:model")
    with pytest.raises(LLMUnavailable, match="cannot use ASSISTANT_LLM"):
        LLMClient(settings).invoke([("user", "hi")])


def test_api_key_is_secret_and_local_servers_get_a_placeholder(mirror_dir, index_dir, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    s = llm_settings(mirror_dir, index_dir, "http://127.0.0.1:1/v1")
    assert chat_model_kwargs(s)["api_key"] == "not-needed"
    s = llm_settings(mirror_dir, index_dir, "http://127.0.0.1:1/v1", llm_api_key="sk-secret")
    assert "sk-secret" not in repr(s) and chat_model_kwargs(s)["api_key"] == "sk-secret"
    assert chat_model_kwargs(s)["max_retries"] == 0 and chat_model_kwargs(s)["timeout"] == 2


# --- follow-up condensing ------------------------------------------------------------------------


def test_condenser_rewrites_only_followups(llm_bot, fake):
    history = [(Q, "Providers can be ordered to submit subscriber information.")]
    # A standalone question is never sent to the condenser: one request, the answer.
    fake.script(quoting)
    llm_bot.ask("What does the Convention say about extradition?", history=history)
    assert len(fake.requests) == 1
    assert "NOT IN PASSAGES" in system_of(fake.requests[0])

    standalone = "Can a State order a service provider to collect traffic data in real time?"
    fake.script(standalone, quoting)
    ans = llm_bot.ask("And what about traffic data?", history=history)
    condense, answer = fake.requests
    assert "standalone question" in system_of(condense)
    assert Q in user_of(condense) and "And what about traffic data?" in user_of(condense)
    assert f"Question: {standalone}" in user_of(answer)
    assert ans.resolved_question == standalone
    assert f"Read as: “{standalone}”" in ans.notice
    assert not ans.abstained and ans.citations


def test_condenser_failure_uses_rule_based_resolution(llm_bot, fake):
    history = [(Q, "Providers can be ordered to submit subscriber information [Art. 27(b)].")]
    fake.script(Reply(status=500), Reply(status=500))
    ans = llm_bot.ask("And is a court order needed for that?", history=history)
    assert "Read as a follow-up to" in ans.notice
    assert "(following up on:" in ans.resolved_question
    assert "LLM unavailable" in ans.notice  # the endpoint is down: extractive answer
    assert len(fake.requests) == 2  # the condenser's two attempts; the answerer did not wait


def test_clean_rewrite():
    q = "And for them?"
    assert clean_rewrite('Standalone question: "What must providers keep?"\n', q) == (
        "What must providers keep?"
    )
    assert clean_rewrite("", q) == "" and clean_rewrite("And for them?", q) == ""


# --- streaming ----------------------------------------------------------------------------------


def test_llm_streaming_yields_verified_sentences_then_the_answer(llm_bot, fake):
    fake.script(lambda body: quoting(body, extra=f"{HACKING_BACK} [Art. 99]."))
    items = list(llm_bot.ask_stream(Q))
    deltas, final = items[:-1], items[-1]
    assert fake.requests[0]["stream"] is True
    assert len(deltas) == 2 and all(isinstance(d, str) for d in deltas)
    streamed = "".join(deltas)
    # only sentences that passed verification are ever shown, never the raw tokens
    assert "Art. 99" not in streamed and HACKING_BACK not in streamed
    assert isinstance(final, Answer)
    assert final.text == streamed
    assert len(final.citations) == 2 and "Removed invented citation Art. 99" in final.notice


def test_llm_streaming_falls_back_on_timeout(llm_bot, bot, fake):
    fake.script(Reply("late", delay=3.5))
    items = list(llm_bot.ask_stream(Q))
    assert isinstance(items[-1], Answer) and items[-1].text == bot.ask(Q).text
    assert "timeout after 2 s" in items[-1].notice


def test_extractive_streaming_yields_sentences_then_the_answer(bot):
    items = list(bot.ask_stream(Q))
    final = items[-1]
    assert isinstance(final, Answer) and final == bot.ask(Q)
    assert "".join(items[:-1]) == final.text and len(items) >= 2


# --- the verifier on its own --------------------------------------------------------------------


def test_verifier_units(bot):
    bot.ensure_ready()
    ps = bot.retrieve(Q, k=5)
    score = partial(support, bot.lexical)
    labels = [p.label for p in ps]
    assert normalise_label("Article 27 (b)") == "Art. 27(b)"
    assert resolve_label("Art. 99", labels) == []
    assert split_sentences("One claim. [Art. 1] Two claims.\n- Three [Art. 2].") == [
        "One claim. [Art. 1]",
        "Two claims.",
        "Three [Art. 2].",
    ]
    p = ps[0]
    parent = p.label.split("(")[0]  # "Art. 27" for "Art. 27(b)": mapped, not invented
    v = verify(f"{p.text} [{parent}]", [p], score)
    assert v.kept and not v.invented and v.kept[0].labels == [p.label]
    # A label that supports nothing in a supported sentence is pruned.
    other = next(x for x in ps if x.article != p.article)
    v = verify(f"{p.text} [{p.label}; {other.label}]", [p, other], score)
    assert v.kept[0].labels == [p.label] and v.pruned == [other.label]


def test_prompts_load():
    system, user = load_prompt("answer")
    assert "{passages}" in user and "{question}" in user and "[Art. 27(b)]" in system
    system, user = load_prompt("condense")
    assert "{history}" in user and "{question}" in user


def test_draft_type_streamed_last(llm_bot, fake):
    fake.script(quoting)
    retrieval = llm_bot.retriever.search(analyze(Q), k=5)
    items = list(llm_bot.answerer.stream(Q, retrieval))
    assert isinstance(items[-1], Draft) and not items[-1].abstained


# --- claim checks: answers that contradict their citations (issue 11) --------------------------

Q_FORCE = "When does the Convention enter into force?"


def passage_with(body: dict, needle: str) -> tuple[str, str]:
    """``(label, text)`` of the first supplied passage containing ``needle``."""
    return next((lab, t) for lab, t in passages_in(body) if needle in t)


def edited(body: dict, needle: str, old: str, new: str, prefix: str = "") -> str:
    """A supplied passage quoted faithfully except for one edit, cited by its own label."""
    label, text = passage_with(body, needle)
    assert old in text
    return f"{prefix}{text.replace(old, new, 1)} [{label}]."


def faithful(body: dict, needle: str) -> str:
    label, text = passage_with(body, needle)
    return f"{text} [{label}]."


def test_changed_ordinal_is_caught(llm_bot, fake):
    fake.script(
        lambda b: edited(b, "fortieth", "fortieth", "twentieth") + " " + faithful(b, "fortieth")
    )
    ans = llm_bot.ask(Q_FORCE)
    assert "twentieth" not in ans.text and "fortieth" in ans.text
    assert "contradict the provisions they cite (number: twentieth)" in ans.notice
    # the reply: a confident wrong ordinal, nothing else -> never shown ("thirtieth"
    # occurs in the cited text, but as "the thirtieth day", not an instrument)
    fake.script(
        lambda b: (
            "The Convention enters into force after the thirtieth instrument "
            f"[{passage_with(b, 'fortieth')[0]}]."
        )
    )
    ans = llm_bot.ask(Q_FORCE)
    assert "thirtieth instrument" not in ans.text
    assert "number: thirtieth" in ans.notice and "showing the extractive answer" in ans.notice


def test_swapped_numbers_are_caught(llm_bot, fake):
    def reply(body):
        label, text = passage_with(body, "thirtieth day")
        swapped = text.replace("thirtieth", "@").replace("fortieth", "thirtieth")
        return f"{swapped.replace('@', 'fortieth')} [{label}]. {faithful(body, 'fortieth')}"

    fake.script(reply)
    ans = llm_bot.ask(Q_FORCE)
    assert "fortieth day" not in ans.text and "thirtieth instrument" not in ans.text
    assert "number: thirtieth, fortieth" in ans.notice


def test_negated_obligation_is_caught(llm_bot, fake):
    fake.script(
        lambda b: (
            edited(b, "subscriber information", "shall adopt", "shall not adopt")
            + " "
            + faithful(b, "subscriber information")
        )
    )
    ans = llm_bot.ask(Q)
    assert "shall not" not in ans.text and "[Art. 27(b)]" in ans.text
    assert "contradict the provisions they cite (modality: prohibition)" in ans.notice
    # the reply: "never obliged ... may not order it"
    fake.script(
        lambda b: (
            faithful(b, "subscriber information")
            + " States are never obliged to order a service provider to submit subscriber "
            "information and may not order it [Art. 27(b)]."
        )
    )
    ans = llm_bot.ask(Q)
    assert "never" not in ans.text and "may not" not in ans.text
    assert "Dropped 1 sentence(s)" in ans.notice


def test_bare_yes_no_needs_a_supported_reason(llm_bot, fake):
    fake.script("No [Art. 27(b)].")  # the reply: a bare "No"
    ans = llm_bot.ask(Q)
    assert not ans.text.startswith("No") and "showing the extractive answer" in ans.notice
    assert "bare yes/no" in ans.notice
    # "No." before a reason that says yes: the "No" goes, the supported reason stays
    fake.script(lambda b: "No. " + faithful(b, "subscriber information"))
    ans = llm_bot.ask(Q)
    assert not ans.text.startswith("No") and "[Art. 27(b)]" in ans.text
    assert "bare yes/no" in ans.notice
    # "Yes." before a supported reason is shown
    fake.script(lambda b: "Yes. " + faithful(b, "subscriber information"))
    ans = llm_bot.ask(Q)
    assert ans.text.startswith("Yes. Each State Party") and "bare" not in ans.notice


def test_article_numbers_in_prose_must_be_real_and_supplied(llm_bot, fake):
    fake.script(
        lambda b: (
            edited(b, "subscriber information", "Each State Party", "Under Article 99, each")
            + " "
            + faithful(b, "subscriber information")
        )
    )
    ans = llm_bot.ask(Q)
    assert "Article 99" not in ans.text
    assert "article: Article 99 (no such article)" in ans.notice
    fake.script(
        lambda b: (
            edited(b, "subscriber information", "Each State Party", "Under Article 12, each")
            + " "
            + faithful(b, "subscriber information")
        )
    )
    ans = llm_bot.ask(Q)
    assert "Article 12" not in ans.text and "article: Article 12" in ans.notice
    assert "no such article" not in ans.notice


def test_a_trickling_reply_is_bounded_by_one_deadline(llm_bot, bot, fake):
    # each chunk arrives well within the timeout (2 s), the whole reply would take ~8 s
    retrieval = llm_bot.retriever.search(analyze(Q), k=5)
    llm_bot.answerer.client.model()  # built (imports done) before the clock starts
    for call in (llm_bot.answerer.draft, lambda q, r: list(llm_bot.answerer.stream(q, r))[-1]):
        fake.script(lambda b: Reply(faithful(b, "subscriber information"), chunk_delay=0.12))
        t0 = time.perf_counter()
        d = call(Q, retrieval)
        assert time.perf_counter() - t0 < 2.8  # the deadline is for the whole call
        assert "timeout after 2 s" in d.notice
        llm_bot.answerer.client.reset()


def test_the_prompts_sentence_limit_is_enforced(llm_bot, fake):
    from assistant.answering.llm import MAX_SENTENCES

    assert MAX_SENTENCES == 5 and "At most five sentences" in load_prompt("answer")[0]
    sixty = lambda b: " ".join([faithful(b, "subscriber information")] * 60)  # noqa: E731
    fake.script(sixty)
    ans = llm_bot.ask(Q)
    assert ans.text.count("[Art. 27(b)]") == 5
    assert "went past 5 sentences; only the first 5 were read" in ans.notice
    fake.script(lambda b: Reply(sixty(b), chunk_delay=0.002))
    items = list(llm_bot.ask_stream(Q))
    assert len(items) == 6 and items[-1].text.count("[Art. 27(b)]") == 5
    assert "went past 5 sentences" in items[-1].notice


def test_a_cut_off_stream_is_detected(llm_bot, fake):
    def reply(body):
        text = faithful(body, "subscriber information") + " " + faithful(body, "subscriber")
        chunks = len(re.findall(r"\S+\s*|\s+", faithful(body, "subscriber information")))
        return Reply(text, cut_after=chunks + 6)  # the second sentence breaks off

    fake.script(reply)
    items = list(llm_bot.ask_stream(Q))
    final = items[-1]
    assert final.text.count("[Art. 27(b)]") == 1 and len(items) == 2
    assert "cut off (the stream ended without a finish reason)" in final.notice
    # the non-streamed call: the server says the reply hit the token limit
    fake.script(
        lambda b: Reply(faithful(b, "subscriber information") + " Each State", finish="length")
    )
    ans = llm_bot.ask(Q)
    assert ans.text.endswith("[Art. 27(b)]") and ans.text.count("Each State") == 1
    assert "cut off (it reached the token limit)" in ans.notice


def test_a_malformed_reply_is_reported_as_such(llm_bot, fake):
    for raw in (b'{"nope": 1}', b"this is not JSON"):
        fake.script(Reply(raw=raw))
        ans = llm_bot.ask(Q)
        assert "LLM unavailable (malformed reply from the endpoint" in ans.notice
        assert "HTTP 200" not in ans.notice
        llm_bot.answerer.client.reset()
    fake.script(Reply(raw=b"data: {not json}\n\n"))
    final = list(llm_bot.ask_stream(Q))[-1]
    assert "malformed reply from the endpoint" in final.notice


def test_max_tokens_is_sent_as_the_server_honours_it(llm_bot, fake, mirror_dir, index_dir):
    fake.script(quoting)
    llm_bot.ask(Q)
    body = fake.requests[0]
    # an OpenAI-compatible server (llama.cpp, vLLM) honours max_tokens, not max_completion_tokens
    assert body["max_tokens"] == 512 and "max_completion_tokens" not in body
    hosted = chat_model_kwargs(llm_settings(mirror_dir, index_dir, ""))
    assert hosted["max_tokens"] == 512 and "extra_body" not in hosted


def test_concurrent_answers_share_no_state(llm_bot, fake):
    """Faithful and contradicting replies for different questions, answered at once."""

    def reply(body):
        if Q_FORCE in user_of(body):
            return (
                edited(body, "fortieth", "fortieth", "twentieth") + " " + faithful(body, "fortieth")
            )
        return faithful(body, "subscriber information")

    fake.script(default=reply)
    questions = [Q, Q_FORCE] * 4
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda q: list(llm_bot.ask_stream(q))[-1], questions))
    for q, ans in zip(questions, answers, strict=True):
        assert ans.question == q and not ans.abstained
        if q == Q:
            assert "[Art. 27(b)]" in ans.text and ans.notice == ""
        else:
            assert "twentieth" not in ans.text and "number: twentieth" in ans.notice
    fake.script()
