"""Slack settings, from the environment only (tokens are never read from files or flags).

SLACK_BOT_TOKEN       xoxb-… bot token (always required)
SLACK_APP_TOKEN       xapp-… app-level token with connections:write (Socket Mode)
SLACK_SIGNING_SECRET  signing secret (HTTP mode: every request's signature is verified)
SLACK_MODE            socket | http (default: socket when SLACK_APP_TOKEN is set, else http)
SLACK_HOST            HTTP mode bind address (default 127.0.0.1; put a TLS proxy in front)
SLACK_PORT            HTTP mode port (default 3000)
SLACK_PATH            HTTP mode endpoint for events, commands and actions (default /slack/events)
SLACK_WORKERS         questions answered in parallel (default 4; more queue, acks never wait)
SLACK_API_URL         Slack's Web API base URL (default https://slack.com/api/; a proxy, or a
                      local stand-in in tests)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


class SlackConfigError(ValueError):
    """The environment does not hold what the chosen mode needs (names the variables only)."""


class SlackStartupError(RuntimeError):
    """Slack could not be reached or rejected the bot token at start-up (no secrets inside)."""


class Secret:
    """A token that never shows itself in a repr, str, log line or traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)


Mode = Literal["socket", "http"]
DEFAULT_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class SlackConfig:
    bot_token: Secret
    mode: Mode
    app_token: Secret | None = None
    signing_secret: Secret | None = None
    host: str = "127.0.0.1"
    port: int = 3000
    path: str = "/slack/events"
    workers: int = 4
    api_url: str = DEFAULT_API_URL

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SlackConfig:
        env = os.environ if env is None else env

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        bot, app, secret = (
            get("SLACK_BOT_TOKEN"),
            get("SLACK_APP_TOKEN"),
            get("SLACK_SIGNING_SECRET"),
        )
        mode = get("SLACK_MODE").lower() or ("socket" if app else "http")
        if mode not in ("socket", "http"):
            raise SlackConfigError(f"SLACK_MODE must be 'socket' or 'http', not {mode!r}")
        missing = [] if bot else ["SLACK_BOT_TOKEN"]
        if mode == "socket" and not app:
            missing.append("SLACK_APP_TOKEN")
        if mode == "http" and not secret:
            missing.append("SLACK_SIGNING_SECRET")
        if missing:
            need = (
                "SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode)"
                if mode == "socket"
                else "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode)"
            )
            raise SlackConfigError(
                f"missing environment variable(s) {', '.join(missing)}: the Slack bot in "
                f"{mode} mode needs {need}; see the README section 'Slack bot'"
            )
        if app and not app.startswith("xapp-") and mode == "socket":
            raise SlackConfigError("SLACK_APP_TOKEN must be an app-level token (xapp-…)")
        try:
            port = int(get("SLACK_PORT") or 3000)
        except ValueError:
            raise SlackConfigError("SLACK_PORT must be a port number") from None
        if not 0 <= port <= 65535:
            raise SlackConfigError("SLACK_PORT must be a port number")
        path = get("SLACK_PATH") or "/slack/events"
        try:
            workers = int(get("SLACK_WORKERS") or 4)
        except ValueError:
            raise SlackConfigError("SLACK_WORKERS must be a number of threads") from None
        if not 1 <= workers <= 64:
            raise SlackConfigError("SLACK_WORKERS must be between 1 and 64")
        api_url = get("SLACK_API_URL") or DEFAULT_API_URL
        if not api_url.startswith(("https://", "http://")):
            raise SlackConfigError("SLACK_API_URL must be an http(s) URL")
        return cls(
            bot_token=Secret(bot),
            mode=mode,  # type: ignore[arg-type]
            app_token=Secret(app) if app else None,
            signing_secret=Secret(secret) if secret else None,
            host=get("SLACK_HOST") or "127.0.0.1",
            port=port,
            path=path if path.startswith("/") else "/" + path,
            workers=workers,
            api_url=api_url if api_url.endswith("/") else api_url + "/",
        )

    def secrets(self) -> list[str]:
        """The secret values, for log redaction."""
        return [s.reveal() for s in (self.bot_token, self.app_token, self.signing_secret) if s]
