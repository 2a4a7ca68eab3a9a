"""Running the bot: Socket Mode, or an HTTP endpoint that verifies Slack's signatures.

HTTP mode serves Bolt over the standard library's threading HTTP server (bound to 127.0.0.1
unless SLACK_HOST says otherwise; put a TLS-terminating proxy in front of it), with a listen
backlog for bursts (Slack delivers many events at once), or as a route of the web app
(``assistant serve --slack``: every worker and replica serves Slack too). Bolt's
RequestVerification middleware checks every request's ``X-Slack-Signature`` (HMAC-SHA256 of
``v0:{timestamp}:{body}`` with the signing secret) and rejects timestamps more than five
minutes off with HTTP 401.
"""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from slack_bolt import App, BoltRequest
from slack_bolt.error import BoltError
from slack_sdk import WebClient

from assistant.core import Assistant
from assistant.interfaces.slack.config import SlackConfig, SlackStartupError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from assistant.interfaces.slack.app import SlackBot
    from assistant.state import Database

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # Slack payloads are a few kB
BACKLOG = 1024  # pending connections the kernel keeps (capped by net.core.somaxconn)


class _BoltServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = BACKLOG  # the standard library's 5 resets bursts of deliveries

    def __init__(self, address: tuple[str, int], app: App, path: str):
        self.bolt_app = app
        self.bolt_path = path
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _BoltServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        if self.path.partition("?")[0] == "/healthz":
            self._send(200, {"Content-Type": ["text/plain"]}, "ok")
        else:
            self._send(404, {}, "")

    def do_POST(self) -> None:  # noqa: N802
        path, _, query = self.path.partition("?")
        if path != self.server.bolt_path:
            self._send(404, {}, "")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True
            self._send(413 if length > MAX_BODY else 400, {}, "")
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        headers = {k.lower(): self.headers.get_all(k) or [] for k in set(self.headers.keys())}
        resp = self.server.bolt_app.dispatch(BoltRequest(body=body, query=query, headers=headers))
        self._send(resp.status, resp.headers, resp.body)

    def _send(self, status: int, headers: dict[str, Any], body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        for k, values in headers.items():
            if k.lower() == "content-length":
                continue
            for v in values if isinstance(values, (list, tuple)) else [values]:
                self.send_header(k, str(v))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        log.debug("%s " + format, self.address_string(), *args)


def make_http_server(
    app: App, host: str = "127.0.0.1", port: int = 3000, path: str = "/slack/events"
):
    """A ready (not yet serving) HTTP server for ``app``; port 0 picks a free port."""
    return _BoltServer((host, port), app, path)


class RedactingFilter(logging.Filter):
    """Replaces any secret value in a log record with ``[redacted]`` (defence in depth)."""

    def __init__(self, secrets: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for s in self.secrets:
                message = message.replace(s, "[redacted]")
            record.msg, record.args = message, None
        return True


def install_redaction(secrets: list[str]) -> None:
    """Attach a :class:`RedactingFilter` to every handler of the root logger."""
    flt = RedactingFilter(secrets)
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=logging.WARNING)
    for handler in root.handlers:
        handler.addFilter(flt)


def make_bot(
    config: SlackConfig,
    assistant: Assistant,
    client: WebClient | None = None,
    state: Database | None = None,
) -> SlackBot:
    """The bot for ``config`` (its token verified with ``auth.test``), or SlackStartupError."""
    from assistant.interfaces.slack.app import SlackBot

    install_redaction(config.secrets())
    client = client or WebClient(token=config.bot_token.reveal(), base_url=config.api_url)
    try:
        return SlackBot(
            assistant,
            client=client,
            signing_secret=config.signing_secret.reveal() if config.signing_secret else "",
            state=state,
            answer_workers=config.workers,
        )
    except BoltError:
        raise SlackStartupError(
            "Slack rejected SLACK_BOT_TOKEN (auth.test failed): check the Bot User OAuth Token"
        ) from None
    except OSError as exc:
        reason = getattr(exc, "reason", None) or exc.__class__.__name__
        raise SlackStartupError(f"could not reach Slack's Web API: {reason}") from None


def add_route(app: FastAPI, bot: SlackBot, path: str = "/slack/events") -> None:
    """Serve the bot's events, commands and actions at ``path`` of a FastAPI app (signatures
    verified by Bolt; the work runs on the bot's own pools, the ack in a request thread)."""

    @app.post(path, include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        chunks, size = [], 0
        async for chunk in request.stream():  # the limit holds for chunked bodies too
            size += len(chunk)
            if size > MAX_BODY:
                return Response(status_code=413)
            chunks.append(chunk)
        body = b"".join(chunks).decode("utf-8", errors="replace")
        headers = {k: request.headers.getlist(k) for k in request.headers}
        resp = await run_in_threadpool(
            bot.app.dispatch, BoltRequest(body=body, query=request.url.query, headers=headers)
        )
        out = {k: v[0] if isinstance(v, (list, tuple)) else v for k, v in resp.headers.items()}
        out.pop("content-length", None)
        return Response(resp.body, status_code=resp.status, headers=out)


def run(
    config: SlackConfig | None = None,
    assistant: Assistant | None = None,
    client: WebClient | None = None,
) -> None:
    """Run the bot until interrupted (configuration from the environment by default;
    ``client`` only to point the Web API elsewhere, e.g. at a test stand-in)."""
    from assistant.interfaces import get_assistant

    config = config or SlackConfig.from_env()
    assistant = (assistant or get_assistant()).ensure_ready()  # index built before Slack calls
    bot = make_bot(config, assistant, client)
    if config.mode == "socket":
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        assert config.app_token is not None
        log.warning("Slack bot connected in Socket Mode")
        SocketModeHandler(bot.app, config.app_token.reveal()).start()
        return
    server = make_http_server(bot.app, config.host, config.port, config.path)
    host, port = server.server_address[:2]
    log.warning("Slack bot listening on http://%s:%s%s", host, port, config.path)
    try:
        server.serve_forever(poll_interval=0.5)
    finally:
        server.server_close()
