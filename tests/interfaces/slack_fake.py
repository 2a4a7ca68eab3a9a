"""A stand-in for Slack on 127.0.0.1: the Web API, response_urls, and signed deliveries.

``FakeSlack`` is a real ``http.server`` that records every call (method, JSON/form params,
headers, status) and answers like Slack's Web API; it can answer HTTP 429 with Retry-After for
a chosen method. ``SlackSender`` POSTs correctly signed Events API / slash command /
interactivity requests to the bot's HTTP endpoint.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode

import httpx

BOT_USER_ID = "UBOTCONV1"
BOT_TOKEN = "xoxb-0000-test-bot-token-do-not-log"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_ID = "BBOTCONV1"
TEAM_ID = "T0TEST001"


@dataclass
class Call:
    method: str  # Web API method ("chat.postMessage") or "respond:<name>" for a response_url
    params: dict
    headers: dict
    status: int = 200
    ts: str = ""  # the message a chat.postMessage / chat.update answered for

    @property
    def blocks_text(self) -> str:
        return json.dumps(self.params.get("blocks") or [], ensure_ascii=False)


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    rate_limits: dict[str, int] = field(default_factory=dict)  # method -> 429s still to send
    errors: dict[str, str] = field(default_factory=dict)  # method -> Slack error to answer once
    socket_url: str = ""  # what apps.connections.open answers (Socket Mode tests)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in parse_qs(raw).items()}
                    for k in ("blocks", "attachments"):
                        if isinstance(params.get(k), str):
                            params[k] = json.loads(params[k])
                path = self.path.partition("?")[0]
                if path.startswith("/api/"):
                    method = path.removeprefix("/api/")
                elif path.startswith("/respond/"):
                    method = "respond:" + path.removeprefix("/respond/")
                else:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                status, body, extra = fake._answer(method, params)
                ts = json.loads(body).get("ts", "") if body.startswith("{") else ""
                with fake._lock:
                    fake.calls.append(Call(method, params, dict(self.headers.items()), status, ts))
                data = body.encode()
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    # --- the fake API ----------------------------------------------------------------------

    def _answer(self, method: str, params: dict) -> tuple[int, str, dict]:
        with self._lock:
            if self.rate_limits.get(method, 0) > 0:
                self.rate_limits[method] -= 1
                return 429, json.dumps({"ok": False, "error": "ratelimited"}), {"Retry-After": "1"}
            error = self.errors.pop(method, None)
        if error:
            return 200, json.dumps({"ok": False, "error": error}), {}
        if method.startswith("respond:"):
            return 200, "ok", {}
        if method == "auth.test":
            return (
                200,
                json.dumps(
                    {
                        "ok": True,
                        "url": "https://fake.invalid/",
                        "team": "Test",
                        "user": "convention",
                        "team_id": TEAM_ID,
                        "user_id": BOT_USER_ID,
                        "bot_id": BOT_ID,
                    }
                ),
                {},
            )
        if method == "apps.connections.open" and self.socket_url:
            return 200, json.dumps({"ok": True, "url": self.socket_url}), {}
        if method in ("chat.postMessage", "chat.update"):
            ts = params.get("ts") or f"1800000000.{next(self._ts):06d}"
            message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "ts": ts}
            message["text"] = params.get("text", "")
            return (
                200,
                json.dumps(
                    {"ok": True, "channel": params.get("channel"), "ts": ts, "message": message}
                ),
                {},
            )
        return 200, json.dumps({"ok": True}), {}

    # --- for tests -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    def find(self, method: str, *, channel: str | None = None, ok_only: bool = True) -> list[Call]:
        with self._lock:
            calls = list(self.calls)
        return [
            c
            for c in calls
            if c.method == method
            and (channel is None or c.params.get("channel") == channel)
            and (c.status == 200 or not ok_only)
        ]

    def wait_for(
        self,
        method: str,
        *,
        channel: str | None = None,
        count: int = 1,
        timeout: float = 60.0,
        where: Callable[[Call], bool] | None = None,
    ) -> list[Call]:
        """Poll the recorded calls until ``count`` matching ones arrived (or fail)."""
        deadline = time.monotonic() + timeout
        while True:
            calls = [c for c in self.find(method, channel=channel) if where is None or where(c)]
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"expected {count} {method} call(s) for {channel}, got {len(calls)}: "
                    f"{[c.method for c in self.calls]}"
                )
            time.sleep(0.05)

    def messages(self, channel: str) -> dict[str, Call]:
        """Each message in ``channel`` as it finally reads (its chat.postMessage, or the last
        chat.update of it), by ts, in the order they were posted."""
        final: dict[str, Call] = {}
        for c in self.find("chat.postMessage", channel=channel) + self.find(
            "chat.update", channel=channel
        ):
            final[c.ts] = c  # updates come after the post they update
        return final

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def loopback_only() -> Iterator[None]:
    """Fail any name resolution but the loopback interface's (e.g. of slack.com)."""
    real = socket.getaddrinfo

    def guarded(host, *args, **kwargs):
        if host not in ("127.0.0.1", "localhost", b"127.0.0.1"):
            raise OSError(f"test tried to reach {host!r}: only 127.0.0.1 is allowed")
        return real(host, *args, **kwargs)

    socket.getaddrinfo = guarded
    try:
        yield
    finally:
        socket.getaddrinfo = real


@contextlib.contextmanager
def serving(app) -> Iterator[tuple[SlackSender, object]]:
    """The Bolt ``app`` served over HTTP on 127.0.0.1 by the bot's own server; yields a sender
    of signed requests and the server."""
    from assistant.interfaces.slack import make_http_server

    server = make_http_server(app, "127.0.0.1", 0, "/slack/events")
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    host, port = server.server_address[:2]
    try:
        yield SlackSender(f"http://{host}:{port}/slack/events", SIGNING_SECRET), server
    finally:
        server.shutdown()
        server.server_close()


def signature(secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackSender:
    """Delivers signed requests to the bot's HTTP endpoint, as Slack does."""

    url: str
    secret: str
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        headers: dict | None = None,
    ) -> httpx.Response:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        sent = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret or self.secret, ts, body),
            **(headers or {}),
        }
        return httpx.post(self.url, content=body.encode(), headers=sent, timeout=10)

    # --- payloads --------------------------------------------------------------------------

    def new_ts(self) -> str:
        return f"1700000000.{next(self._ts):06d}"

    def event(
        self, event: dict, *, event_id: str | None = None, headers: dict | None = None, **kw
    ) -> httpx.Response:
        body = json.dumps(
            {
                "token": "legacy-verification-token",
                "team_id": TEAM_ID,
                "api_app_id": "A0TEST001",
                "type": "event_callback",
                "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
                "event_time": int(time.time()),
                "event": event,
                "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            }
        )
        return self.post(body, "application/json", headers=headers, **kw)

    def mention(self, channel: str, text: str, *, thread_ts: str | None = None, **kw):
        ts = self.new_ts()
        event = {
            "type": "app_mention",
            "user": "U0ALICE01",
            "text": f"<@{BOT_USER_ID}> {text}",
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return ts, self.event(event, **kw)

    def dm(self, channel: str, text: str, *, user: str = "U0ALICE01", **extra):
        ts = self.new_ts()
        event = {
            "type": "message",
            "channel_type": "im",
            "user": user,
            "text": text,
            "ts": ts,
            "channel": channel,
            "event_ts": ts,
            "client_msg_id": str(uuid.uuid4()),
            **extra,
        }
        return ts, self.event(event)

    def command(self, channel: str, text: str, response_url: str, **kw) -> httpx.Response:
        form = {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "channel_id": channel,
            "user_id": "U0ALICE01",
            "user_name": "alice",
            "command": "/convention",
            "text": text,
            "api_app_id": "A0TEST001",
            "response_url": response_url,
            "trigger_id": "1.2.3",
        }
        return self.post(urlencode(form), "application/x-www-form-urlencoded", **kw)

    def click(self, action_id: str, value: str, response_url: str, user: str = "U0BOB0001"):
        payload = {
            "type": "block_actions",
            "team": {"id": TEAM_ID},
            "user": {"id": user},
            "api_app_id": "A0TEST001",
            "channel": {"id": "C0FEEDBACK"},
            "container": {"type": "message", "channel_id": "C0FEEDBACK"},
            "trigger_id": "1.2.3",
            "response_url": response_url,
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": f"feedback:{value}",
                    "value": value,
                    "action_ts": str(time.time()),
                }
            ],
        }
        form = urlencode({"payload": json.dumps(payload)})
        return self.post(form, "application/x-www-form-urlencoded")
