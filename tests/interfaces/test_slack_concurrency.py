"""The Slack bot under load, across restarts, streaming, and its text escaping: the faults of
issue 11, each reproduced over real HTTP (signed requests to the bot's own server, the Web API
stand-in of ``slack_fake``), with the real Assistant over the session's index."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time

import httpx
import pytest
from slack_sdk import WebClient

from assistant import Assistant
from assistant.feedback import FeedbackStore
from assistant.interfaces.slack import SlackBot
from assistant.interfaces.slack import formatting as fmt
from assistant.interfaces.slack.history import ThreadHistory
from assistant.models import Answer, Citation
from assistant.settings import Settings
from assistant.state import Database
from tests.answering.fake_openai import FakeOpenAI, passages_in
from tests.interfaces.slack_fake import (
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    SlackSender,
    loopback_only,
    serving,
)
from tests.servers import app_process, free_port

SUBSCRIBER_Q = "Can the police force a company to hand over subscriber information?"
SAFEGUARDS_Q = "And what safeguards apply to that?"
ACK_LIMIT = 3.0  # Slack's deadline for an acknowledgement


@pytest.fixture(scope="module", autouse=True)
def _loopback():
    with loopback_only():
        yield


@pytest.fixture(scope="module")
def slack():
    fake = FakeSlack()
    yield fake
    fake.close()


def make_bot(assistant, slack: FakeSlack, state: Database, **kw) -> SlackBot:
    client = WebClient(token=BOT_TOKEN, base_url=slack.base_url)
    return SlackBot(assistant, client=client, signing_secret=SIGNING_SECRET, state=state, **kw)


def timed(fn, *args, **kw) -> tuple[httpx.Response, float]:
    start = time.monotonic()
    resp = fn(*args, **kw)
    return resp, time.monotonic() - start


def listen_backlog(port: int) -> int | None:
    """The listening socket's accept backlog as the kernel reports it (``ss``: Send-Q)."""
    if not shutil.which("ss"):
        return None
    out = subprocess.run(
        ["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout.split()
    return int(out[2]) if len(out) > 2 else None


# --- acknowledgements under load ------------------------------------------------------------


def test_acks_within_3s_while_8_answers_are_in_progress(bot, slack, tmp_path, monkeypatch):
    """Slash commands, button clicks and events are acknowledged within Slack's 3 s while 8
    answers are being written (and more queue): the acks never wait for a worker, the answers
    run 8 at a time (no global lock, a bounded pool), and nothing is lost."""
    bot.ensure_ready()
    state = Database(tmp_path / "state.sqlite3")
    slack_bot = make_bot(bot, slack, state, answer_workers=8)
    gate, lock = threading.Event(), threading.Lock()
    running, peak = [0], [0]
    real_stream = slack_bot.ask_stream

    def held_stream(question, history):
        def stream():
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
            try:
                assert gate.wait(120), "the test never released the answers"
                yield from real_stream(question, history)
            finally:
                with lock:
                    running[0] -= 1

        return stream()

    monkeypatch.setattr(slack_bot, "ask_stream", held_stream)
    rated = slack_bot.answers.put(bot.ask(SUBSCRIBER_Q))
    with serving(slack_bot.app) as (sender, server):
        backlog = listen_backlog(server.server_address[1])
        assert backlog is None or backlog >= 128  # the standard library's default is 5
        for _ in range(10):
            (_, resp), took = timed(sender.mention, "C0BUSY0001", SUBSCRIBER_Q)
            assert resp.status_code == 200 and took < ACK_LIMIT
        deadline = time.monotonic() + 30
        while running[0] < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert running[0] == 8  # 8 answers in progress, 2 queued

        slash, took_slash = timed(
            sender.command, "C0BUSY0002", SUBSCRIBER_Q, slack.response_url("busy-q")
        )
        article, took_article = timed(
            sender.command, "C0BUSY0002", "27", slack.response_url("busy-27")
        )
        click, took_click = timed(
            sender.click, fmt.ACTION_HELPFUL, rated, slack.response_url("busy-click")
        )
        for resp, took in ((slash, took_slash), (article, took_article), (click, took_click)):
            assert resp.status_code == 200 and took < ACK_LIMIT, (resp.status_code, took)
        # 20 simultaneous signed deliveries: every one acknowledged in time, none reset
        barrier, results = threading.Barrier(20), []

        def deliver() -> None:
            barrier.wait()
            try:
                (_, resp), took = timed(sender.mention, "C0BURST001", SUBSCRIBER_Q)
                results.append((resp.status_code, took < ACK_LIMIT))
            except httpx.HTTPError as exc:
                results.append((type(exc).__name__, False))

        threads = [threading.Thread(target=deliver) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert results == [(200, True)] * 20

        # work that is not answering (an article, a click) is not stuck behind the answers
        assert "Article 27" in slack.wait_for("respond:busy-27", timeout=10)[0].blocks_text
        assert "recorded as helpful" in slack.wait_for("respond:busy-click")[0].blocks_text
        assert running[0] == 8 and not slack.find("chat.postMessage", channel="C0BUSY0001")

        gate.set()
        answers = slack.wait_for("chat.postMessage", channel="C0BUSY0001", count=10, timeout=120)
        assert all("Art. 27(b)" in c.blocks_text for c in answers)
        (posted,) = slack.wait_for("chat.postMessage", channel="C0BUSY0002", timeout=60)
        assert "<@U0ALICE01> asked" in posted.blocks_text
        slack.wait_for("chat.postMessage", channel="C0BURST001", count=20, timeout=180)
    assert peak[0] == 8  # answered in parallel, never more than the pool at once
    assert [(r.interface, r.rating) for r in FeedbackStore(state).all()] == [("slack", 1)]
    slack_bot.close()


# --- restart --------------------------------------------------------------------------------


def test_restart_loses_no_history_and_answers_nothing_twice(
    bot, slack, index_dir, mirror_dir, tmp_path
):
    """``assistant slack`` (HTTP mode) is stopped and started again on the same state store:
    Slack's retry of an event answered before the restart is not answered again, a follow-up
    in the thread gets the thread's history, and a button from before the restart still rates
    its answer."""
    data = tmp_path / "data"
    shutil.copytree(index_dir / "chroma", data / "chroma")
    port = free_port()
    env = {
        "ASSISTANT_SOURCE_DIR": str(mirror_dir),
        "ASSISTANT_DATA_DIR": str(data),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_MODE": "http",
        "SLACK_PORT": str(port),
        "SLACK_API_URL": slack.base_url,
    }
    health = f"http://127.0.0.1:{port}/healthz"
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
    channel = "C0RESTART1"
    ts = sender.new_ts()
    event = {
        "type": "app_mention",
        "user": "U0ALICE01",
        "text": f"<@{BOT_USER_ID}> {SUBSCRIBER_Q}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    log = tmp_path / "slack.log"
    with app_process(["slack"], env, health, log):
        assert sender.event(event, event_id="Ev0RESTART1").status_code == 200
        (first,) = slack.wait_for("chat.postMessage", channel=channel, timeout=60)
    buttons = {e["action_id"]: e["value"] for e in first.params["blocks"][-1]["elements"]}

    with app_process(["slack"], env, health, log):
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert sender.event(event, event_id="Ev0RESTART1", headers=retry).status_code == 200
        sender.mention(channel, SAFEGUARDS_Q, thread_ts=ts)
        calls = slack.wait_for("chat.postMessage", channel=channel, count=2, timeout=60)
        sender.click(fmt.ACTION_HELPFUL, buttons[fmt.ACTION_HELPFUL], slack.response_url("rs"))
        (thanks,) = slack.wait_for("respond:rs", timeout=30)
        time.sleep(1.0)  # time for a (wrong) second answer to the retried event
    assert len(slack.find("chat.postMessage", channel=channel)) == 2  # the retry: no answer
    follow_up = calls[1]
    assert follow_up.params["thread_ts"] == ts
    first_answer = bot.ask(SUBSCRIBER_Q)
    expected = bot.ask(SAFEGUARDS_Q, history=[(SUBSCRIBER_Q, first_answer.text)])
    without = bot.ask(SAFEGUARDS_Q)
    # answered with the history from before the restart: read as a follow-up to it, which the
    # same question alone is not
    assert expected.notice.startswith("Read as a follow-up to") and not without.notice
    assert "Read as a follow-up to" in follow_up.blocks_text
    assert SUBSCRIBER_Q in follow_up.blocks_text
    for c in expected.citations:
        assert f"[{c.label}]" in follow_up.blocks_text
    assert "recorded as helpful" in thanks.blocks_text
    state = Database(data / "state.sqlite3")
    assert [q for q, _ in ThreadHistory(state).turns((channel, ts))] == [
        SUBSCRIBER_Q,
        SAFEGUARDS_Q,
    ]
    (record,) = FeedbackStore(state).all()
    assert (record.interface, record.rating, record.question) == ("slack", 1, SUBSCRIBER_Q)


# --- streaming ------------------------------------------------------------------------------


class PacedOpenAI(FakeOpenAI):
    """The scripted OpenAI-compatible server, sending its stream chunks ``pace`` s apart."""

    def __init__(self, pace: float):
        self.pace = pace
        super().__init__()

    def _handler(self):
        base, pace = super()._handler(), self.pace

        class Paced(base):
            def _event(self, payload: dict) -> None:
                time.sleep(pace)
                super()._event(payload)

        return Paced


@pytest.fixture(scope="module")
def llm_server():
    server = PacedOpenAI(pace=0.06).start()
    yield server
    server.stop()


def test_answer_streams_into_its_message_then_is_replaced_by_the_checked_answer(
    slack, llm_server, index_dir, mirror_dir, tmp_path
):
    settings = Settings(
        source_dir=mirror_dir,
        data_dir=index_dir,
        llm="openai:fake",
        llm_base_url=llm_server.base_url,
        llm_timeout=60,
        llm_retries=0,
    )
    llm_bot = Assistant(settings, progress=False).ensure_ready()

    def reply(body: dict) -> str:  # a faithful answer, with a mass mention slipped in
        sentences = [f"{text} [{label}]." for label, text in passages_in(body)[:3]]
        return "<!channel> " + " ".join(sentences)  # three sentences: streamed

    llm_server.script(reply)
    slack_bot = make_bot(llm_bot, slack, Database(tmp_path / "state.sqlite3"), stream_interval=0.4)
    channel = "C0STREAM01"
    with serving(slack_bot.app) as (sender, _):
        ts, _ = sender.mention(channel, SUBSCRIBER_Q)
        slack.wait_for("chat.update", channel=channel, where=lambda c: "*Sources*" in c.blocks_text)
    slack_bot.close()
    (posted,) = slack.find("chat.postMessage", channel=channel)
    updates = slack.find("chat.update", channel=channel)
    assert posted.params["thread_ts"] == ts
    assert fmt.DRAFT_NOTE in posted.blocks_text  # a draft while the model writes...
    drafts = [u for u in updates if fmt.DRAFT_NOTE in u.blocks_text]
    assert drafts, "no draft update: the answer was not streamed"
    shown = [json.loads(c.blocks_text)[0]["text"]["text"] for c in [posted, *drafts]]
    assert all(len(a) < len(b) for a, b in zip(shown, shown[1:], strict=False))  # growing
    final = updates[-1]  # ...replaced by the checked answer, in the same message
    assert {u.params["ts"] for u in updates} == {posted.ts}
    assert fmt.DRAFT_NOTE not in final.blocks_text and "*Sources*" in final.blocks_text
    assert final.params["blocks"][-1]["type"] == "actions"
    assert len(updates) < 20  # updates are spaced (Slack rate-limits chat.update)
    # the mass mention never reaches Slack unescaped: not in the blocks, not in the text field
    for call in [posted, *updates]:
        assert "<!channel>" not in call.params["text"] + call.blocks_text
    assert "&lt;!channel&gt;" in final.params["text"]


# --- text -----------------------------------------------------------------------------------


def test_text_field_escaped_like_the_blocks(bot, slack, tmp_path, monkeypatch):
    answer = Answer(
        SUBSCRIBER_Q,
        "Tell <!channel> & <@U0EVERY1>: providers must submit <subscriber> data. [Art. 27(b)]",
        [Citation("Art. 27(b)", "convention", 27, "b", "A service provider ...")],
        [],
        abstained=False,
    )
    (message,) = fmt.answer_messages(answer, "id")
    assert "<" not in message.text and ">" not in message.text
    assert message.text.startswith("Tell &lt;!channel&gt; &amp; &lt;@U0EVERY1&gt;")
    # over HTTP: what the bot posts for such an answer
    slack_bot = make_bot(bot, slack, Database(tmp_path / "state.sqlite3"))
    monkeypatch.setattr(slack_bot, "ask_stream", lambda question, history: iter([answer]))
    with serving(slack_bot.app) as (sender, _):
        sender.mention("C0ESCAPE01", SUBSCRIBER_Q)
        (call,) = slack.wait_for("chat.postMessage", channel="C0ESCAPE01")
    slack_bot.close()
    assert "<!channel>" not in call.params["text"] and "<@U0EVERY1>" not in call.params["text"]
    assert "&lt;!channel&gt;" in call.params["text"]
    assert "<!channel>" not in call.blocks_text


ENTITY = re.compile(r"&(?:amp|lt|gt);")


def whole_entities(piece: str) -> bool:
    """No ``&`` in ``piece`` but those starting a complete entity."""
    return "&" not in ENTITY.sub("", piece)


def test_long_text_split_never_cuts_an_entity():
    for unit in ("ab&amp;", "x&lt;y&gt;", "&lt;&lt;&amp;z"):
        text = unit * 1200  # no spaces: split where the limit falls
        pieces = fmt.split_text(text, 3000)
        assert "".join(pieces) == text and all(len(p) <= 3000 for p in pieces)
        assert all(whole_entities(p) for p in pieces), unit
        cut = fmt.truncate(text, 2000)
        assert len(cut) <= 2000 and whole_entities(cut.removesuffix("…"))
    # a Slack link token is not cut either
    link = "<https://example.org/" + "a" * 80 + "|the link>"
    text = "x" * 2950 + link + "y" * 100
    first, *_ = fmt.split_text(text, 3000)
    assert first == "x" * 2950
    # an escaped answer of 400 sentences, split into sections and messages: entities intact
    answer = Answer(
        "q",
        "Data <b>&</b> more [Art. 27(b)] " * 400,
        [Citation("Art. 27(b)", "convention", 27, "b", "quote & <x>")],
        [],
        abstained=False,
    )
    for m in fmt.answer_messages(answer, "id"):
        assert whole_entities(m.text)
        for b in m.blocks:
            if "text" in b:
                assert whole_entities(b["text"]["text"])
