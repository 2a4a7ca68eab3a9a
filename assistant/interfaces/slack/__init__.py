"""Slack bot (slack-bolt): mentions, direct messages, ``/convention``, feedback buttons.

``assistant slack`` runs it; see ``app.py`` for the behaviour and ``config.py`` for settings.
"""

from assistant.interfaces.slack.app import SlackBot
from assistant.interfaces.slack.config import SlackConfig, SlackConfigError, SlackStartupError
from assistant.interfaces.slack.server import add_route, make_bot, make_http_server, run

__all__ = [
    "SlackBot",
    "SlackConfig",
    "SlackConfigError",
    "SlackStartupError",
    "add_route",
    "make_bot",
    "make_http_server",
    "run",
]
