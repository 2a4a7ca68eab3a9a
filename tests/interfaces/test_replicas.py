"""Replicas: two app processes (``assistant serve --slack``, one of them with two workers)
against one real Chroma server and one real PostgreSQL server on 127.0.0.1 share the answer
feedback, the Slack thread history, the Slack event de-duplication and the feedback buttons."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import subprocess
import threading
import time

import httpx
import pytest

from assistant.feedback import FeedbackStore
from assistant.interfaces.slack import formatting as fmt
from assistant.interfaces.slack.history import ThreadHistory
from assistant.state import Database
from tests.interfaces.slack_fake import (
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    SlackSender,
    loopback_only,
)
from tests.servers import (
    assistant_exe,
    chroma_server,
    free_port,
    postgres_server,
    start_app,
    stop,
    wait_healthy,
)

SUBSCRIBER_Q = "Can the police force a company to hand over subscriber information?"
SAFEGUARDS_Q = "And what safeguards apply to that?"


@pytest.fixture(scope="module")
def postgres_url():
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="module")
def chroma_port(index_dir, tmp_path_factory):
    path = tmp_path_factory.mktemp("chroma-server") / "chroma"
    shutil.copytree(index_dir / "chroma", path)  # the session's index, served as is
    with chroma_server(path) as port:
        yield port


@pytest.fixture(scope="module")
def slack():
    with loopback_only():
        fake = FakeSlack()
        yield fake
        fake.close()


@pytest.fixture(scope="module")
def replicas(postgres_url, chroma_port, slack, mirror_dir, tmp_path_factory):
    """Two app processes: A with two workers (HTTP API and Slack), B with the page too."""
    data = tmp_path_factory.mktemp("replica-data")
    env = {
        "CHROMA_HOST": "127.0.0.1",
        "CHROMA_PORT": str(chroma_port),
        "ASSISTANT_DATABASE_URL": postgres_url,
        "ASSISTANT_SOURCE_DIR": str(mirror_dir),
        "ASSISTANT_DATA_DIR": str(data),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
    }
    ports = free_port(), free_port()
    args = [
        ["serve", "--port", str(ports[0]), "--slack", "--workers", "2"],
        ["serve", "--port", str(ports[1]), "--slack"],
    ]
    with contextlib.ExitStack() as stack:
        procs = []
        for name, a in zip("AB", args, strict=True):
            proc = start_app(a, env, data / f"replica-{name}.log")
            stack.callback(stop, proc)
            procs.append(proc)
        for proc, port, a in zip(procs, ports, args, strict=True):
            wait_healthy(proc, f"http://127.0.0.1:{port}/healthz", f"assistant {' '.join(a)}")
        yield [f"http://127.0.0.1:{p}" for p in ports], env, data


def test_feedback_shared_between_replicas(replicas, postgres_url, tmp_path):
    (a, b), env, data = replicas
    answer = httpx.post(f"{a}/api/ask", json={"question": SUBSCRIBER_Q}, timeout=60)
    assert answer.status_code == 200 and "Art. 27(b)" in answer.text
    one = httpx.post(f"{a}/api/feedback", json={"answer": answer.json(), "rating": 1}, timeout=30)
    two = httpx.post(
        f"{b}/api/feedback",
        json={"answer": answer.json(), "rating": -1, "comment": "from B"},
        timeout=30,
    )
    assert one.status_code == two.status_code == 200
    assert two.json()["id"] > one.json()["id"]  # one sequence: one store
    rows = FeedbackStore(Database(postgres_url)).all()
    assert [(r.rating, r.comment, r.question) for r in rows[-2:]] == [
        (1, "", SUBSCRIBER_Q),
        (-1, "from B", SUBSCRIBER_Q),
    ]
    # the CLI export reads the same store
    out = tmp_path / "feedback.jsonl"
    done = subprocess.run(
        [assistant_exe(), "feedback", "export", str(out)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["comment"] for line in out.read_text().splitlines()][-2:] == [
        "",
        "from B",
    ]
    assert not (data / "chroma").exists()  # both answered from the Chroma server
    assert not (data / "state.sqlite3").exists()  # and kept no state of their own


def test_slack_deduplication_and_history_shared_between_replicas(
    replicas, slack, bot, postgres_url
):
    (a, b), _, _ = replicas
    ts_counter = itertools.count(1)  # one clock of message ts for both senders
    senders = [SlackSender(f"{url}/slack/events", SIGNING_SECRET, ts_counter) for url in (a, b)]
    channel, ts = "C0REPLICA1", senders[0].new_ts()
    event = {
        "type": "app_mention",
        "user": "U0ALICE01",
        "text": f"<@{BOT_USER_ID}> {SUBSCRIBER_Q}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }
    # the same event reaches both replicas at once (e.g. a retry routed to the other one)
    barrier, statuses = threading.Barrier(2), []

    def deliver(sender: SlackSender, retry: str) -> None:
        barrier.wait()
        headers = {"X-Slack-Retry-Num": retry} if retry != "0" else None
        statuses.append(sender.event(event, event_id="Ev0REPLICA1", headers=headers).status_code)

    threads = [
        threading.Thread(target=deliver, args=(s, r)) for s, r in zip(senders, "01", strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert statuses == [200, 200]
    (answer,) = slack.wait_for("chat.postMessage", channel=channel, timeout=60)
    assert senders[1].event(event, event_id="Ev0REPLICA1").status_code == 200  # later retry
    time.sleep(1.5)  # time for a (wrong) second answer
    assert len(slack.find("chat.postMessage", channel=channel)) == 1

    # a follow-up sent to the other replica gets the thread's history
    senders[1].mention(channel, SAFEGUARDS_Q, thread_ts=ts)
    first, follow_up = slack.wait_for("chat.postMessage", channel=channel, count=2, timeout=60)
    expected = bot.ask(SAFEGUARDS_Q, history=[(SUBSCRIBER_Q, bot.ask(SUBSCRIBER_Q).text)])
    for c in expected.citations:
        assert f"[{c.label}]" in follow_up.blocks_text
    state = Database(postgres_url)
    assert [q for q, _ in ThreadHistory(state).turns((channel, ts))] == [SUBSCRIBER_Q, SAFEGUARDS_Q]

    # a button of one replica's answer, clicked through the other, rates that answer once
    value = next(e["value"] for e in answer.params["blocks"][-1]["elements"])
    for sender in senders:
        sender.click(fmt.ACTION_HELPFUL, value, slack.response_url("replica-click"))
    slack.wait_for("respond:replica-click", timeout=30)
    time.sleep(1.0)
    rows = [r for r in FeedbackStore(state).all() if r.interface == "slack"]
    assert [(r.rating, r.user, r.question) for r in rows] == [(1, "U0BOB0001", SUBSCRIBER_Q)]
