"""The Bolt app: mentions, direct messages, ``/convention`` and feedback buttons.

Behaviour (documented in the README, section "Slack bot"):

* **Mentions** (``app_mention``) in channels are answered in the message's thread; a later
  mention in the same thread is a follow-up and is answered with the thread's earlier turns as
  history. Channel messages that do not mention the bot are never answered.
* **Direct messages** (``message.im``) are all answered, in the message's thread; replies in
  that thread are follow-ups.
* **History** is kept by the bot, keyed by (channel, thread_ts), bounded (LRU of threads, at most
  10 turns each) and in memory: threads are never re-read through Slack's rate-limited APIs.
* **Edits**: editing a question the bot already answered (text actually changed) gets one new
  answer in the same thread, which replaces that turn in the history; edits of other messages
  are ignored. **Deletes**: a deleted question is dropped from the thread history (a deleted
  thread root forgets the whole thread).
* **Duplicates**: each event is handled once (event_id, and (channel, ts) of the message, so
  Slack's retries and the same message arriving as two event types never answer twice).
* **Bots**: messages from any bot (bot_id, subtype bot_message) or from this bot are ignored.
* ``/convention 27`` shows Article 27 and ``/convention`` alone shows usage, both only to the
  user (ephemeral); ``/convention <question>`` posts the cited answer in the channel as a new
  message whose thread takes follow-ups (falling back to an ephemeral reply when the bot may not
  post there).
* Every answer carries Helpful / Not helpful buttons, recorded in the feedback store shared with
  the web UI (``interface="slack"``, the Slack user id as ``user``).

Every handler acknowledges at once (events are acknowledged by Bolt before the listener runs;
commands and actions call ``ack()`` first) and answers afterwards on Bolt's worker threads.
Web API calls retry on HTTP 429, honouring Retry-After.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from assistant.answering.guard import InvalidQuestion
from assistant.core import Assistant
from assistant.feedback import FeedbackStore
from assistant.interfaces.slack import formatting as fmt
from assistant.interfaces.slack.history import AnswerRegistry, ThreadHistory, ThreadKey, TTLSet
from assistant.interfaces.slack.text import article_number, clean_question
from assistant.models import Answer

log = logging.getLogger(__name__)

COMMAND = "/convention"
ORDINARY_SUBTYPES = {None, "file_share", "thread_broadcast"}
SORRY = ":x: Sorry, something went wrong while answering. Please try again in a moment."


def retry_handlers(max_retries: int = 3) -> list:
    """Retry on HTTP 429 (waiting Retry-After) and on dropped connections."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ConnectionErrorRetryHandler(max_retry_count=1),
    ]


class SlackBot:
    """Owns the Bolt ``App`` and the bot's bounded state."""

    def __init__(
        self,
        assistant: Assistant | Callable[[], Assistant],
        *,
        token: str | None = None,
        signing_secret: str = "",
        client: WebClient | None = None,
        feedback: FeedbackStore | None = None,
        history: ThreadHistory | None = None,
        token_verification: bool = True,
        rate_limit_retries: int = 3,
    ):
        if client is None:
            if not token:
                raise ValueError("a bot token or a WebClient is required")
            client = WebClient(token=token)
        elif token and client.token != token:
            raise ValueError("token and client.token differ")
        known = {type(h) for h in client.retry_handlers}
        client.retry_handlers.extend(
            h for h in retry_handlers(rate_limit_retries) if type(h) not in known
        )
        self.rate_limit_retries = rate_limit_retries
        self._assistant = assistant
        self._feedback = feedback
        self._ask_lock = threading.Lock()
        self.history = history or ThreadHistory()
        self.dedup = TTLSet()
        self.answers = AnswerRegistry()
        self.app = App(
            client=client,
            signing_secret=signing_secret,
            token_verification_enabled=token_verification,
            process_before_response=False,
            name="convention-assistant",
        )
        self._register()

    # --- wiring ----------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.command(COMMAND)(self.on_command)
        app.action(fmt.ACTION_HELPFUL)(self.on_feedback)
        app.action(fmt.ACTION_NOT_HELPFUL)(self.on_feedback)

    @property
    def assistant(self) -> Assistant:
        if not isinstance(self._assistant, Assistant):
            self._assistant = self._assistant()
        return self._assistant

    @property
    def feedback(self) -> FeedbackStore:
        if self._feedback is None:
            self._feedback = FeedbackStore(self.assistant.settings.feedback_db)
        return self._feedback

    # --- events ----------------------------------------------------------------------------

    def on_mention(self, body: dict, event: dict, context: Any, client: WebClient) -> None:
        if self._from_bot(event, context) or not self._first(body, event):
            return
        self._reply_in_thread(client, event, context)

    def on_message(self, body: dict, event: dict, context: Any, client: WebClient) -> None:
        subtype = event.get("subtype")
        if subtype == "message_deleted":
            self._on_deleted(event)
        elif subtype == "message_changed":
            self._on_edited(body, event, context, client)
        elif subtype in ORDINARY_SUBTYPES and event.get("channel_type") == "im":
            if self._from_bot(event, context) or not self._first(body, event):
                return
            self._reply_in_thread(client, event, context)
        # Channel messages without a mention, joins, bot messages...: nothing to do.

    def _on_deleted(self, event: dict) -> None:
        channel, ts = event.get("channel"), event.get("deleted_ts")
        if channel and ts and self.history.forget_message(channel, ts):
            log.info("dropped a deleted question from a thread history")

    def _on_edited(self, body: dict, event: dict, context: Any, client: WebClient) -> None:
        message = event.get("message") or {}
        channel, ts = event.get("channel"), message.get("ts")
        if not channel or not ts or self._from_bot(message, context):
            return
        found = self.history.find(channel, ts)
        if found is None:
            return  # only questions the bot answered are re-answered when edited
        key, turn = found
        question = clean_question(message.get("text", ""), context.bot_user_id)
        if not question or question == turn.question:
            return  # e.g. a link preview was added: the question did not change
        if not self.dedup.first_time(("event", body.get("event_id") or event.get("event_ts"))):
            return
        if not self.dedup.first_time(("edit", channel, ts, question)):
            return
        self._answer(client, key, ts, question, note=":pencil2: Answer to the edited question:")

    def _reply_in_thread(self, client: WebClient, event: dict, context: Any) -> None:
        channel, ts = event["channel"], event["ts"]
        key = (channel, event.get("thread_ts") or ts)
        question = clean_question(event.get("text", ""), context.bot_user_id)
        if not question:
            self._post(client, key, [fmt.text_message(fmt.USAGE)])
            return
        self._answer(client, key, ts, question)

    def _from_bot(self, event: dict, context: Any) -> bool:
        return bool(
            event.get("bot_id")
            or event.get("subtype") == "bot_message"
            or (context.bot_user_id and event.get("user") == context.bot_user_id)
        )

    def _first(self, body: dict, event: dict) -> bool:
        """False for a repeated delivery: the same event id, or the same message seen before."""
        event_id = body.get("event_id")
        if event_id and not self.dedup.first_time(("event", event_id)):
            log.info("duplicate event %s ignored", event_id)
            return False
        message = (event.get("channel"), event.get("ts"))
        if all(message) and not self.dedup.first_time(("message", *message)):
            log.info("message already handled (%s event)", event.get("type"))
            return False
        return True

    # --- answering -------------------------------------------------------------------------

    def ask(self, question: str, history: list[tuple[str, str]]) -> Answer:
        with self._ask_lock:  # one answer at a time: the retrieval stack is shared
            return self.assistant.ask(question, history=history)

    def _answer(
        self, client: WebClient, key: ThreadKey, question_ts: str, question: str, note: str = ""
    ) -> None:
        history = self.history.turns(key, exclude_ts=question_ts)
        try:
            answer = self.ask(question, history)
        except InvalidQuestion as exc:
            self._post(client, key, [fmt.text_message(f":warning: {fmt.escape(str(exc))}")])
            return
        except Exception:
            log.exception("answering failed")
            self._post(client, key, [fmt.text_message(SORRY)])
            return
        self.history.add(key, question_ts, question, answer.text)
        messages = fmt.answer_messages(answer, self.answers.put(answer))
        if note:
            messages[0].blocks.insert(0, fmt.context(note))
        self._post(client, key, messages)

    def _post(self, client: WebClient, key: ThreadKey, messages: list[fmt.SlackMessage]) -> None:
        channel, thread_ts = key
        for m in messages:
            try:
                client.chat_postMessage(
                    channel=channel,
                    thread_ts=thread_ts,
                    text=m.text,
                    blocks=m.blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SlackApiError as exc:
                log.error("chat.postMessage failed: %s", exc.response.get("error"))
                return

    # --- /convention -----------------------------------------------------------------------

    def on_command(self, ack: Callable, command: dict, client: WebClient) -> None:
        ack()  # within Slack's 3 seconds; the reply follows through response_url / the channel
        text = clean_question(command.get("text", ""))
        url = command.get("response_url", "")
        if not text or text.lower() in ("help", "?"):
            self.respond(url, [fmt.text_message(fmt.USAGE)])
            return
        number = article_number(text)
        if number is not None:
            view = self.assistant.article(number) if 0 < number < 1000 else None
            self.respond(url, fmt.article_messages(view) if view else [fmt.no_such_article(number)])
            return
        try:
            answer = self.ask(text, [])
        except InvalidQuestion as exc:
            self.respond(url, [fmt.text_message(f":warning: {fmt.escape(str(exc))}")])
            return
        except Exception:
            log.exception("answering failed")
            self.respond(url, [fmt.text_message(SORRY)])
            return
        messages = fmt.answer_messages(answer, self.answers.put(answer))
        user = command.get("user_id", "")
        asked = f"<@{user}> asked: " if user else "Question: "
        messages[0].blocks.insert(0, fmt.context(asked + fmt.escape(fmt.truncate(text, 1500))))
        channel = command.get("channel_id", "")
        try:
            first = client.chat_postMessage(
                channel=channel,
                text=messages[0].text,
                blocks=messages[0].blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as exc:
            # e.g. not_in_channel / channel_not_found: answer the user privately instead
            log.info("slash answer not posted in channel (%s)", exc.response.get("error"))
            self.respond(url, messages)
            return
        key = (channel, str(first["ts"]))
        self.history.add(key, key[1], text, answer.text)
        self._post(client, key, messages[1:])

    def respond(
        self, response_url: str, messages: list[fmt.SlackMessage], response_type: str = "ephemeral"
    ) -> None:
        """Send through a response_url (slash commands, actions), retrying on 429."""
        if not response_url:
            log.warning("no response_url to answer through")
            return
        webhook = WebhookClient(
            response_url, retry_handlers=retry_handlers(self.rate_limit_retries)
        )
        for m in messages:
            resp = webhook.send(
                text=m.text,
                blocks=m.blocks,
                response_type=response_type,
                replace_original=False,
            )
            if resp.status_code != 200:
                log.error("response_url answered HTTP %s", resp.status_code)
                return

    # --- feedback buttons ------------------------------------------------------------------

    def on_feedback(self, ack: Callable, body: dict, action: dict) -> None:
        ack()
        rating = 1 if action.get("action_id") == fmt.ACTION_HELPFUL else -1
        answer_id = str(action.get("value", ""))
        user = str((body.get("user") or {}).get("id", ""))
        url = body.get("response_url", "")
        answer = self.answers.get(answer_id)
        if answer is None:
            self.respond(
                url,
                [fmt.text_message("This answer can no longer be rated (the bot was restarted).")],
            )
            return
        if not self.dedup.first_time(("feedback", answer_id, user, rating)):
            return  # a double click
        self.feedback.record(answer, rating, interface="slack", user=user)
        thanks = (
            "Thanks — recorded as helpful." if rating > 0 else "Thanks — recorded as not helpful."
        )
        self.respond(url, [fmt.text_message(thanks)])
