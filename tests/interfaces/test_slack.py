"""The Slack bot end to end: the real Bolt app served over HTTP on 127.0.0.1, signed requests
delivered with httpx, a real Web API stand-in (``slack_fake.FakeSlack``) recording what the bot
posts, and the real Assistant over the session's index. Nothing reaches slack.com: name
resolution of anything but the loopback interface fails in this module."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest
from slack_sdk import WebClient

from assistant.feedback import FeedbackStore
from assistant.interfaces.slack import SlackBot, SlackConfig, SlackConfigError, make_http_server
from assistant.interfaces.slack import formatting as fmt
from assistant.interfaces.slack.history import Deduplicator, ThreadHistory
from assistant.interfaces.slack.server import RedactingFilter
from assistant.interfaces.slack.text import article_number, clean_question
from assistant.models import Answer, Citation
from assistant.state import Database
from tests.interfaces.slack_fake import BOT_ID, BOT_USER_ID, FakeSlack, SlackSender

BOT_TOKEN = "xoxb-0000-test-bot-token-do-not-log"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
SUBSCRIBER_Q = "Can the police force a company to hand over subscriber information?"
SAFEGUARDS_Q = "And what safeguards apply to that?"


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def loopback_only():
    """Fail any connection attempt to a host other than 127.0.0.1 (e.g. slack.com)."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1"):
            raise OSError(f"test tried to reach {host!r}: only 127.0.0.1 is allowed")
        return real(host, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(socket, "getaddrinfo", guarded)
    yield
    mp.undo()


@pytest.fixture(scope="module")
def slack(loopback_only):
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Database:
    return Database(tmp_path_factory.mktemp("slack") / "state.sqlite3")


@pytest.fixture(scope="module")
def feedback_store(state) -> FeedbackStore:
    return FeedbackStore(state)


@pytest.fixture(scope="module")
def slack_bot(bot, slack, state) -> SlackBot:
    bot.ensure_ready()
    client = WebClient(token=BOT_TOKEN, base_url=slack.base_url)
    # token verification stays on: App() calls auth.test, on the fake server
    slack_bot = SlackBot(bot, client=client, signing_secret=SIGNING_SECRET, state=state)
    yield slack_bot
    slack_bot.close()


@pytest.fixture(scope="module")
def sender(slack_bot) -> SlackSender:
    server = make_http_server(slack_bot.app, "127.0.0.1", 0, "/slack/events")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    host, port = server.server_address[:2]
    yield SlackSender(f"http://{host}:{port}/slack/events", SIGNING_SECRET)
    server.shutdown()
    server.server_close()


def settle(seconds: float = 1.0) -> None:
    """Give the bot's worker threads time to (wrongly) post something."""
    time.sleep(seconds)


def _until(condition, timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass (the assertion after it
    says what failed): the bot writes its thread history just after it posts."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def labels_in_blocks(call) -> list[str]:
    return [
        b["text"]["text"].split("]*")[0].removeprefix("*[")
        for b in call.params["blocks"]
        if b.get("type") == "section" and b["text"]["text"].startswith("*[")
    ]


# --- Events API -----------------------------------------------------------------------------


def test_mention_gets_threaded_answer_with_citations(slack, sender):
    ts, resp = sender.mention("C0MENTION1", SUBSCRIBER_Q)
    assert resp.status_code == 200
    (call,) = slack.wait_for("chat.postMessage", channel="C0MENTION1")
    assert call.params["thread_ts"] == ts
    assert call.headers["Authorization"] == f"Bearer {BOT_TOKEN}"
    blocks = call.params["blocks"]
    text = call.blocks_text
    assert "[Art. 27(b)]" in text
    assert "*Sources*" in text
    assert "Art. 27(b)" in labels_in_blocks(call)
    assert "subscriber information" in text
    assert blocks[-1]["type"] == "actions"
    assert {e["action_id"] for e in blocks[-1]["elements"]} == {
        fmt.ACTION_HELPFUL,
        fmt.ACTION_NOT_HELPFUL,
    }
    assert len(blocks) <= fmt.MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= fmt.SECTION_LIMIT for b in blocks if "text" in b)


def test_direct_message_answered_in_thread(slack, sender):
    ts, resp = sender.dm("D0DIRECT01", "When does the Convention enter into force?")
    assert resp.status_code == 200
    (call,) = slack.wait_for("chat.postMessage", channel="D0DIRECT01")
    assert call.params["thread_ts"] == ts
    assert "[Art. 65(1)]" in call.blocks_text


def test_acknowledges_before_answering(slack, sender, slack_bot, monkeypatch):
    """The HTTP response (the ack) does not wait for a slow answer."""
    real_stream = slack_bot.ask_stream

    def slow_stream(question, history):
        time.sleep(2)
        return real_stream(question, history)

    monkeypatch.setattr(slack_bot, "ask_stream", slow_stream)
    start = time.monotonic()
    _, resp = sender.mention("C0SLOWACK1", SUBSCRIBER_Q)
    assert resp.status_code == 200
    assert time.monotonic() - start < 1.5
    slack.wait_for("chat.postMessage", channel="C0SLOWACK1")


def test_follow_up_in_thread_uses_history(slack, sender, slack_bot, bot, monkeypatch):
    seen: list[tuple[str, list]] = []
    real_stream = slack_bot.ask_stream

    def recording_stream(question, history):
        seen.append((question, list(history)))
        return real_stream(question, history)

    monkeypatch.setattr(slack_bot, "ask_stream", recording_stream)
    root, _ = sender.mention("C0FOLLOW01", SUBSCRIBER_Q)
    slack.wait_for("chat.postMessage", channel="C0FOLLOW01")
    sender.mention("C0FOLLOW01", SAFEGUARDS_Q, thread_ts=root)
    first, second = slack.wait_for("chat.postMessage", channel="C0FOLLOW01", count=2)
    assert second.params["thread_ts"] == root

    first_answer = bot.ask(SUBSCRIBER_Q)
    assert seen[1] == (SAFEGUARDS_Q, [(SUBSCRIBER_Q, first_answer.text)])
    expected = bot.ask(SAFEGUARDS_Q, history=[(SUBSCRIBER_Q, first_answer.text)])
    assert labels_in_blocks(second) == [c.label for c in expected.citations]
    assert any(label.startswith("Art. 24") for label in labels_in_blocks(second))
    # the history is the thread's own: a new thread in the same channel starts afresh
    sender.mention("C0FOLLOW01", SAFEGUARDS_Q)
    slack.wait_for("chat.postMessage", channel="C0FOLLOW01", count=3)
    assert seen[2] == (SAFEGUARDS_Q, [])


def test_follow_up_in_direct_message_thread(slack, sender, slack_bot):
    root, _ = sender.dm("D0FOLLOW02", SUBSCRIBER_Q)
    slack.wait_for("chat.postMessage", channel="D0FOLLOW02")
    sender.dm("D0FOLLOW02", SAFEGUARDS_Q, thread_ts=root)
    calls = slack.wait_for("chat.postMessage", channel="D0FOLLOW02", count=2)
    assert calls[1].params["thread_ts"] == root
    assert [q for q, _ in slack_bot.history.turns(("D0FOLLOW02", root))] == [
        SUBSCRIBER_Q,
        SAFEGUARDS_Q,
    ]


def test_duplicate_event_answered_once(slack, sender):
    ts = sender.new_ts()
    event = {
        "type": "app_mention",
        "user": "U0ALICE01",
        "text": f"<@{BOT_USER_ID}> {SUBSCRIBER_Q}",
        "ts": ts,
        "channel": "C0DUPLIC01",
        "event_ts": ts,
    }
    assert sender.event(event, event_id="Ev0DUPLICATE1").status_code == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert sender.event(event, event_id="Ev0DUPLICATE1", headers=retry).status_code == 200
    # the same message under another event id (e.g. a second subscription) is not re-answered
    assert sender.event(event, event_id="Ev0DUPLICATE2").status_code == 200
    slack.wait_for("chat.postMessage", channel="C0DUPLIC01")
    settle()
    assert len(slack.find("chat.postMessage", channel="C0DUPLIC01")) == 1


def test_own_and_other_bot_messages_ignored(slack, sender):
    channel = "D0BOTMSGS1"
    sender.dm(channel, SUBSCRIBER_Q, user=BOT_USER_ID)
    sender.dm(channel, SUBSCRIBER_Q, user="U0OTHERBOT", bot_id="B0OTHERBOT")
    sender.dm(channel, SUBSCRIBER_Q, subtype="bot_message", bot_id=BOT_ID)
    sender.dm(channel, "When does the Convention enter into force?")  # a person: answered
    slack.wait_for("chat.postMessage", channel=channel)
    settle()
    (call,) = slack.find("chat.postMessage", channel=channel)
    assert "Art. 65(1)" in call.blocks_text


def test_channel_message_without_mention_ignored(slack, sender):
    ts = sender.new_ts()
    event = {"type": "message", "channel_type": "channel", "user": "U0ALICE01"}
    event |= {"text": SUBSCRIBER_Q, "ts": ts, "channel": "C0NOMENT01", "event_ts": ts}
    assert sender.event(event).status_code == 200
    settle()
    assert slack.find("chat.postMessage", channel="C0NOMENT01") == []


def test_edited_question_answered_once_more(slack, sender, slack_bot):
    channel = "D0EDITED01"
    ts, _ = sender.dm(channel, "When does the Convention enter into force?")
    slack.wait_for("chat.postMessage", channel=channel)
    edited = {
        "type": "message",
        "subtype": "message_changed",
        "channel": channel,
        "channel_type": "im",
        "hidden": True,
        "ts": sender.new_ts(),
        "message": {"type": "message", "user": "U0ALICE01", "text": SUBSCRIBER_Q, "ts": ts},
        "previous_message": {"type": "message", "user": "U0ALICE01", "ts": ts},
    }
    sender.event(edited)
    sender.event(edited)  # the same edit again (another event id): not re-answered
    calls = slack.wait_for("chat.postMessage", channel=channel, count=2)
    assert calls[1].params["thread_ts"] == ts
    assert "edited question" in calls[1].blocks_text and "Art. 27(b)" in calls[1].blocks_text
    assert slack_bot.history.turns((channel, ts)) == [
        (SUBSCRIBER_Q, slack_bot.ask(SUBSCRIBER_Q, []).text)
    ]
    # an edit that leaves the text unchanged (e.g. a link preview), or of an unknown message
    unchanged = edited | {"ts": sender.new_ts()}
    sender.event(unchanged)
    other = edited | {"message": edited["message"] | {"ts": "1600000000.000001"}}
    sender.event(other)
    settle()
    assert len(slack.find("chat.postMessage", channel=channel)) == 2


def test_deleted_question_dropped_from_history(slack, sender, slack_bot):
    channel = "D0DELETE01"
    root, _ = sender.dm(channel, SUBSCRIBER_Q)
    slack.wait_for("chat.postMessage", channel=channel)
    follow, _ = sender.dm(channel, SAFEGUARDS_Q, thread_ts=root)
    slack.wait_for("chat.postMessage", channel=channel, count=2)
    deleted = {
        "type": "message",
        "subtype": "message_deleted",
        "channel": channel,
        "channel_type": "im",
        "hidden": True,
        "deleted_ts": follow,
        "ts": sender.new_ts(),
        "previous_message": {"type": "message", "user": "U0ALICE01", "ts": follow},
    }
    assert sender.event(deleted).status_code == 200
    _until(lambda: len(slack_bot.history.turns((channel, root))) == 1)
    assert [q for q, _ in slack_bot.history.turns((channel, root))] == [SUBSCRIBER_Q]
    # deleting the thread's root forgets the thread
    sender.event(deleted | {"deleted_ts": root, "ts": sender.new_ts()})
    _until(lambda: (channel, root) not in slack_bot.history)
    assert (channel, root) not in slack_bot.history
    assert len(slack.find("chat.postMessage", channel=channel)) == 2


def test_rate_limited_post_is_retried(slack, sender):
    slack.rate_limits["chat.postMessage"] = 1
    start = time.monotonic()
    ts, _ = sender.mention("C0RATELIM1", SUBSCRIBER_Q)
    (call,) = slack.wait_for("chat.postMessage", channel="C0RATELIM1")
    assert call.params["thread_ts"] == ts
    attempts = slack.find("chat.postMessage", channel="C0RATELIM1", ok_only=False)
    assert [c.status for c in attempts] == [429, 200]
    assert time.monotonic() - start >= 1.0  # waited Retry-After: 1


def test_url_verification(sender):
    body = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"})
    resp = sender.post(body, "application/json")
    assert resp.status_code == 200 and "abc123" in resp.text


def test_socket_mode(slack, slack_bot):
    """The same app over Socket Mode: slack-sdk's built-in client against a local WebSocket
    server (apps.connections.open on the fake Web API hands out its ws:// URL)."""
    ws_server = pytest.importorskip("websockets.sync.server")
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    acks: list[dict] = []
    envelope = {
        "envelope_id": "env-1",
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": 0,
        "payload": {
            "team_id": "T0TEST001",
            "api_app_id": "A0TEST001",
            "type": "event_callback",
            "event_id": "Ev0SOCKET01",
            "event_time": int(time.time()),
            "event": {
                "type": "app_mention",
                "user": "U0ALICE01",
                "text": f"<@{BOT_USER_ID}> {SUBSCRIBER_Q}",
                "ts": "1700000001.000001",
                "channel": "C0SOCKET01",
                "event_ts": "1700000001.000001",
            },
        },
    }

    def session(ws):
        ws.send(json.dumps({"type": "hello", "num_connections": 1}))
        ws.send(json.dumps(envelope))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                acks.append(json.loads(ws.recv(timeout=0.2)))
            except TimeoutError:
                continue
            except Exception:
                return

    server = ws_server.serve(session, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    slack.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link?ticket=t"
    handler = SocketModeHandler(slack_bot.app, "xapp-1-test-app-token")
    try:
        handler.connect()
        (call,) = slack.wait_for("chat.postMessage", channel="C0SOCKET01")
        assert call.params["thread_ts"] == "1700000001.000001"
        assert "Art. 27(b)" in labels_in_blocks(call)
        assert {"envelope_id": "env-1"} in acks
        (opened,) = slack.find("apps.connections.open")
        assert opened.headers["Authorization"] == "Bearer xapp-1-test-app-token"
    finally:
        handler.close()
        server.shutdown()


# --- security -------------------------------------------------------------------------------


def test_bad_signature_rejected(slack, sender):
    ts = sender.new_ts()
    event = {"type": "app_mention", "user": "U0ALICE01", "text": SUBSCRIBER_Q}
    event |= {"ts": ts, "channel": "C0BADSIGN1", "event_ts": ts}
    assert sender.event(event, secret="not-the-signing-secret").status_code == 401
    body = json.dumps({"type": "event_callback", "event_id": "EvX", "event": event})
    unsigned = {"Content-Type": "application/json", "X-Slack-Request-Timestamp": "1"}
    assert httpx.post(sender.url, content=body, headers=unsigned).status_code == 401
    settle(0.5)
    assert slack.find("chat.postMessage", channel="C0BADSIGN1") == []


def test_stale_timestamp_rejected(slack, sender):
    ts = sender.new_ts()
    event = {"type": "app_mention", "user": "U0ALICE01", "text": SUBSCRIBER_Q}
    event |= {"ts": ts, "channel": "C0STALETS1", "event_ts": ts}
    ten_minutes_ago = int(time.time()) - 600
    assert sender.event(event, timestamp=ten_minutes_ago).status_code == 401  # correctly signed
    settle(0.5)
    assert slack.find("chat.postMessage", channel="C0STALETS1") == []


def test_tokens_never_logged(slack, sender, caplog):
    caplog.set_level(logging.DEBUG)
    sender.mention("C0LOGGING1", SUBSCRIBER_Q)
    sender.command("C0LOGGING1", "27", slack.response_url("logging"))
    sender.event({"type": "app_mention"}, secret="wrong")  # a rejected request is logged too
    slack.wait_for("chat.postMessage", channel="C0LOGGING1")
    slack.wait_for("respond:logging")
    settle(0.5)
    assert caplog.records, "expected debug logs from slack_sdk / slack_bolt"
    assert BOT_TOKEN not in caplog.text
    assert SIGNING_SECRET not in caplog.text


# --- /convention ----------------------------------------------------------------------------


def test_slash_article(slack, sender):
    resp = sender.command("C0SLASH001", "27", slack.response_url("art27"))
    assert resp.status_code == 200 and resp.text == ""  # plain ack, the article follows
    (call,) = slack.wait_for("respond:art27")
    assert call.params["response_type"] == "ephemeral"
    assert "Article 27. Production order" in call.blocks_text
    assert "subscriber information" in call.blocks_text


def test_slash_unknown_article_and_usage(slack, sender):
    sender.command("C0SLASH002", "99", slack.response_url("art99"))
    (call,) = slack.wait_for("respond:art99")
    assert "no Article 99" in call.blocks_text and "1 to 68" in call.blocks_text
    sender.command("C0SLASH002", "", slack.response_url("usage"))
    (call,) = slack.wait_for("respond:usage")
    assert "/convention 27" in call.blocks_text


def test_slash_question_posted_in_channel_with_thread(slack, sender, slack_bot):
    sender.command("C0SLASH003", SUBSCRIBER_Q, slack.response_url("question"))
    (call,) = slack.wait_for("chat.postMessage", channel="C0SLASH003")
    assert "thread_ts" not in call.params  # a new message in the channel...
    assert "<@U0ALICE01> asked" in call.blocks_text
    assert "Art. 27(b)" in labels_in_blocks(call)
    # ...whose thread takes follow-ups (a mention there is answered with the history)
    _until(lambda: slack_bot.history.threads("C0SLASH003"))
    (key,) = slack_bot.history.threads("C0SLASH003")
    sender.mention("C0SLASH003", SAFEGUARDS_Q, thread_ts=key[1])
    calls = slack.wait_for("chat.postMessage", channel="C0SLASH003", count=2)
    assert calls[1].params["thread_ts"] == key[1]
    _until(lambda: len(slack_bot.history.turns(key)) == 2)
    assert len(slack_bot.history.turns(key)) == 2


def test_slash_question_falls_back_to_ephemeral(slack, sender):
    slack.errors["chat.postMessage"] = "not_in_channel"
    sender.command("C0SLASH004", SUBSCRIBER_Q, slack.response_url("fallback"))
    (call,) = slack.wait_for("respond:fallback")
    assert call.params["response_type"] == "ephemeral"
    assert "Art. 27(b)" in call.blocks_text


def test_slash_long_article_split(slack, sender, bot):
    sender.command("C0SLASH005", "Article 40", slack.response_url("art40"))
    calls = slack.wait_for("respond:art40", count=2)
    assert len(bot.article(40).text()) > fmt.MESSAGE_BUDGET
    for c in calls:
        assert len(c.params["blocks"]) <= fmt.MAX_BLOCKS
        assert all(
            len(b["text"]["text"]) <= fmt.SECTION_LIMIT for b in c.params["blocks"] if "text" in b
        )
    text = "".join(c.blocks_text for c in calls)
    assert "Article 40." in calls[0].blocks_text and "21." in text


# --- feedback -------------------------------------------------------------------------------


def test_feedback_buttons_recorded(slack, sender, feedback_store):
    sender.mention("C0FEEDBACK", SUBSCRIBER_Q)
    (call,) = slack.wait_for("chat.postMessage", channel="C0FEEDBACK")
    buttons = {e["action_id"]: e["value"] for e in call.params["blocks"][-1]["elements"]}
    before = len(feedback_store.all())
    assert (
        sender.click(
            fmt.ACTION_HELPFUL, buttons[fmt.ACTION_HELPFUL], slack.response_url("fb1")
        ).status_code
        == 200
    )
    slack.wait_for("respond:fb1")
    sender.click(
        fmt.ACTION_NOT_HELPFUL,
        buttons[fmt.ACTION_NOT_HELPFUL],
        slack.response_url("fb2"),
        user="U0CAROL01",
    )
    slack.wait_for("respond:fb2")
    rows = feedback_store.all()[before:]
    assert [(r.interface, r.rating, r.user) for r in rows] == [
        ("slack", 1, "U0BOB0001"),
        ("slack", -1, "U0CAROL01"),
    ]
    assert rows[0].question == SUBSCRIBER_Q
    assert "Art. 27(b)" in [c["label"] for c in rows[0].citations]
    # an unknown (expired) answer id is explained, not recorded
    sender.click(fmt.ACTION_HELPFUL, "0" * 32, slack.response_url("fb3"))
    (call,) = slack.wait_for("respond:fb3")
    assert "no longer be rated" in call.blocks_text
    assert len(feedback_store.all()) == before + 2


# --- units: formatting, state, config -------------------------------------------------------


def _long_answer(n_sentences: int = 400, n_citations: int = 60) -> Answer:
    sentence = (
        "Each State Party shall adopt measures to order a provider to submit data. [Art. 27(b)] "
    )
    cites = [
        Citation(f"Art. {i}", "convention", i, None, "Quoted text of the provision. " * 80)
        for i in range(1, n_citations + 1)
    ]
    return Answer("q", sentence * n_sentences, cites, [], abstained=False)


def test_long_answer_split_within_limits():
    messages = fmt.answer_messages(_long_answer(), "abc")
    assert len(messages) > 1
    for m in messages:
        assert len(m.blocks) <= fmt.MAX_BLOCKS
        assert all(len(b["text"]["text"]) <= fmt.SECTION_LIMIT for b in m.blocks if "text" in b)
        assert len(m.text) <= fmt.FALLBACK_LIMIT
    assert messages[0].text.startswith(f"(1/{len(messages)})")
    # every citation survives, the buttons come once, at the very end
    body = json.dumps([m.blocks for m in messages])
    assert all(f"[Art. {i}]" in body for i in range(1, 61))
    assert messages[-1].blocks[-1]["type"] == "actions"
    assert sum(b["type"] == "actions" for m in messages for b in m.blocks) == 1


def test_abstention_notice(bot):
    answer = bot.ask("What is the capital of France?")
    assert answer.abstained
    (message,) = fmt.answer_messages(answer, "id")
    text = json.dumps(message.blocks)
    assert "No answer from the Convention text" in text
    assert "Sources" not in text


def test_mrkdwn_conversion():
    out = fmt.to_mrkdwn(
        "a < b & **bold** [site](https://x.org/?a=1&b=2). [Art. 27(b)] Next", {"Art. 27(b)"}
    )
    assert out == "a &lt; b &amp; *bold* <https://x.org/?a=1&amp;b=2|site>. *[Art. 27(b)]*\nNext"
    assert fmt.split_text("x" * 7000, 3000) == ["x" * 3000, "x" * 3000, "x" * 1000]
    parts = fmt.split_text("First sentence here. " * 300, 3000)
    assert all(len(p) <= 3000 and p.endswith(".") for p in parts)


def test_clean_question_and_article_numbers():
    text = f"<@{BOT_USER_ID}> what about <@U0OTHER|bob> in <#C1|general>, "
    text += "see <https://a.b|this> &amp; &lt;x&gt;"
    assert clean_question(text, BOT_USER_ID) == "what about @bob in #general, see this & <x>"
    assert [article_number(t) for t in ("27", "Art. 27", "article 27", "27 please")] == [
        27,
        27,
        27,
        None,
    ]


def test_history_and_dedup_bounded(tmp_path):
    db = Database(tmp_path / "state.sqlite3")
    h = ThreadHistory(db, max_threads=2, max_turns=3)
    for i in range(5):
        h.add(("C", "1"), f"t{i}", f"q{i}", f"a{i}")
    assert h.turns(("C", "1")) == [("q2", "a2"), ("q3", "a3"), ("q4", "a4")]
    h.add(("C", "2"), "x", "q", "a")
    h.add(("C", "3"), "y", "q", "a")
    assert ("C", "1") not in h and ("C", "3") in h
    assert h.turns(("C", "1")) == []
    now = [1000.0]
    seen = Deduplicator(db, ttl=10, clock=lambda: now[0])
    assert seen.first_time("e1") and not seen.first_time("e1")
    now[0] = 1011
    assert seen.first_time("e1")
    # an interrupted claim (no done() within its lease) may be taken up again, a done one not
    assert seen.claim("e2", lease=5) and not seen.claim("e2", lease=5)
    now[0] = 1017
    assert seen.claim("e2", lease=5)
    seen.done("e2")
    now[0] = 1019
    assert not seen.claim("e2", lease=1)


def test_config_from_env():
    socket_env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_APP_TOKEN": "xapp-1-secret-app-token"}
    cfg = SlackConfig.from_env(socket_env)
    assert cfg.mode == "socket" and cfg.app_token.reveal() == "xapp-1-secret-app-token"
    assert BOT_TOKEN not in repr(cfg) and "xapp-1" not in repr(cfg)
    http_env = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_PORT": "8123",
    }
    cfg = SlackConfig.from_env(http_env)
    assert (cfg.mode, cfg.host, cfg.port, cfg.path) == ("http", "127.0.0.1", 8123, "/slack/events")
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET"):
        SlackConfig.from_env({"SLACK_BOT_TOKEN": BOT_TOKEN})
    with pytest.raises(SlackConfigError, match="SLACK_BOT_TOKEN, SLACK_APP_TOKEN"):
        SlackConfig.from_env({"SLACK_MODE": "socket"})
    with pytest.raises(SlackConfigError, match="SLACK_MODE"):
        SlackConfig.from_env(socket_env | {"SLACK_MODE": "carrier-pigeon"})
    cfg = SlackConfig.from_env(http_env | {"SLACK_WORKERS": "8", "SLACK_API_URL": "http://x/api"})
    assert (cfg.workers, cfg.api_url) == (8, "http://x/api/")
    assert SlackConfig.from_env(http_env).api_url == "https://slack.com/api/"
    with pytest.raises(SlackConfigError, match="SLACK_WORKERS"):
        SlackConfig.from_env(http_env | {"SLACK_WORKERS": "0"})


def test_cli_slack_without_tokens(monkeypatch, capsys):
    from assistant.cli import main

    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_MODE"):
        monkeypatch.delenv(name, raising=False)
    assert main(["slack"]) == 2
    err = capsys.readouterr().err
    assert "SLACK_BOT_TOKEN" in err and "SLACK_SIGNING_SECRET" in err
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-token")  # serve --slack is always HTTP mode
    assert main(["serve", "--slack"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SLACK_SIGNING_SECRET" in err


def test_run_http_mode(slack, bot):
    """``run`` (what ``assistant slack`` calls) in HTTP mode, its Web API on the stand-in."""
    from assistant.interfaces.slack import SlackStartupError, run

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET}
    config = SlackConfig.from_env(env | {"SLACK_PORT": str(port), "SLACK_MODE": "http"})
    slack.errors["auth.test"] = "invalid_auth"
    with pytest.raises(SlackStartupError, match="rejected SLACK_BOT_TOKEN") as err:
        run(config, bot, WebClient(token=BOT_TOKEN, base_url=slack.base_url))
    assert BOT_TOKEN not in str(err.value)

    client = WebClient(token=BOT_TOKEN, base_url=slack.base_url)
    threading.Thread(target=run, args=(config, bot, client), daemon=True).start()
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", SIGNING_SECRET)
    deadline = time.monotonic() + 30
    while True:
        try:
            ts, resp = sender.dm("D0RUNHTTP1", "When does the Convention enter into force?")
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline, "the bot did not start listening"
            time.sleep(0.1)
    assert resp.status_code == 200
    (call,) = slack.wait_for("chat.postMessage", channel="D0RUNHTTP1")
    assert call.params["thread_ts"] == ts
    assert httpx.get(f"http://127.0.0.1:{port}/healthz").text == "ok"


def test_redacting_filter():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "token=%s", (BOT_TOKEN,), None)
    RedactingFilter([BOT_TOKEN]).filter(record)
    assert record.getMessage() == "token=[redacted]"


def test_manifest_declares_what_the_bot_uses():
    yaml = pytest.importorskip("yaml")

    path = Path(__file__).resolve().parents[2] / "slack" / "manifest.yaml"
    manifest = yaml.safe_load(path.read_text())
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"app_mentions:read", "chat:write", "commands", "im:history"} <= scopes
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert {"app_mention", "message.im"} <= events
    assert manifest["features"]["slash_commands"][0]["command"] == "/convention"
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
