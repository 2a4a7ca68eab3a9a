"""The Bolt app: mentions, direct messages, ``/convention`` and feedback buttons.

Behaviour (documented in the README, section "Slack bot"):

* **Mentions** (``app_mention``) in channels are answered in the message's thread; a later
  mention in the same thread is a follow-up and is answered with the thread's earlier turns as
  history. Channel messages that do not mention the bot are never answered.
* **Direct messages** (``message.im``) are all answered, in the message's thread; replies in
  that thread are follow-ups.
* **History** is kept by the bot, keyed by (channel, thread_ts), bounded (LRU of threads, at most
  10 turns each) in the shared state store (``assistant/state.py``: SQLite or PostgreSQL), so a
  restart or another replica keeps it; threads are never re-read through Slack's rate-limited
  APIs.
* **Edits**: editing a question the bot already answered (text actually changed) gets one new
  answer in the same thread, which replaces that turn in the history; edits of other messages
  are ignored. **Deletes**: a deleted question is dropped from the thread history (a deleted
  thread root forgets the whole thread).
* **Duplicates**: each event is handled once (event_id, and (channel, ts) of the message, so
  Slack's retries and the same message arriving as two event types never answer twice), also
  across restarts and replicas (the keys are in the state store).
* **Bots**: messages from any bot (bot_id, subtype bot_message) or from this bot are ignored.
* ``/convention 27`` shows Article 27 and ``/convention`` alone shows usage, both only to the
  user (ephemeral); ``/convention <question>`` posts the cited answer in the channel as a new
  message whose thread takes follow-ups (falling back to an ephemeral reply when the bot may not
  post there).
* Every answer carries Helpful / Not helpful buttons, recorded in the feedback store shared with
  the web UI (``interface="slack"``, the Slack user id as ``user``).

**Concurrency.** Every request (event, slash command, button click) is acknowledged in the
thread that received it, before any other work (Bolt lazy listeners with
``process_before_response``), so the acknowledgement never waits for a worker. The listeners
then run on a small pool of their own (``listener_workers``), and questions are answered on a
separate bounded pool (``answer_workers``), several in parallel with no lock: a burst of
questions queues there while clicks, articles and acknowledgements go on. Answers stream into
their message while they are written (``streaming.py``). Web API calls retry on HTTP 429,
honouring Retry-After.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
from assistant.interfaces.slack.history import (
    AnswerRegistry,
    Deduplicator,
    ThreadHistory,
    ThreadKey,
)
from assistant.interfaces.slack.streaming import StreamedReply
from assistant.interfaces.slack.text import article_number, clean_question
from assistant.models import Answer
from assistant.state import Database, open_database

log = logging.getLogger(__name__)

COMMAND = "/convention"
ORDINARY_SUBTYPES = {None, "file_share", "thread_broadcast"}
SORRY = ":x: Sorry, something went wrong while answering. Please try again in a moment."
ANSWER_LEASE = 240.0  # seconds: an unfinished answer's event may be taken up by a retry after


def retry_handlers(max_retries: int = 3) -> list:
    """Retry on HTTP 429 (waiting Retry-After) and on dropped connections."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ConnectionErrorRetryHandler(max_retry_count=1),
    ]


def _ack(ack: Callable) -> None:
    """Every request's acknowledgement: at once, in the thread that received it."""
    ack()


class SlackBot:
    """Owns the Bolt ``App``, its worker pools and its view of the shared state store."""

    def __init__(
        self,
        assistant: Assistant | Callable[[], Assistant],
        *,
        token: str | None = None,
        signing_secret: str = "",
        client: WebClient | None = None,
        state: Database | None = None,
        feedback: FeedbackStore | None = None,
        token_verification: bool = True,
        rate_limit_retries: int = 3,
        answer_workers: int = 4,
        listener_workers: int = 4,
        stream_interval: float = 1.0,
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
        self.stream_interval = stream_interval
        self._assistant = assistant
        if state is None:
            settings = assistant.settings if isinstance(assistant, Assistant) else None
            if settings is None:
                from assistant.settings import Settings

                settings = Settings()
            state = open_database(settings)
        self.state = state
        self.feedback = feedback or FeedbackStore(state)
        self.history = ThreadHistory(state)
        self.dedup = Deduplicator(state)
        self.answers = AnswerRegistry(state)
        self.answering = ThreadPoolExecutor(answer_workers, thread_name_prefix="slack-answer")
        self.listening = ThreadPoolExecutor(listener_workers, thread_name_prefix="slack-listener")
        self.app = App(
            client=client,
            signing_secret=signing_secret,
            token_verification_enabled=token_verification,
            process_before_response=True,  # ack in the request's thread, work lazily after
            listener_executor=self.listening,
            name="convention-assistant",
        )
        self._register()

    # --- wiring ----------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.event("app_mention")(ack=_ack, lazy=[self.on_mention])
        app.event("message")(ack=_ack, lazy=[self.on_message])
        app.command(COMMAND)(ack=_ack, lazy=[self.on_command])
        app.action(fmt.ACTION_HELPFUL)(ack=_ack, lazy=[self.on_feedback])
        app.action(fmt.ACTION_NOT_HELPFUL)(ack=_ack, lazy=[self.on_feedback])

    @property
    def assistant(self) -> Assistant:
        if not isinstance(self._assistant, Assistant):
            self._assistant = self._assistant()
        return self._assistant

    def close(self) -> None:
        """Stop taking work; answers in progress finish."""
        self.answering.shutdown(wait=False, cancel_futures=True)
        self.listening.shutdown(wait=False, cancel_futures=True)

    # --- events ----------------------------------------------------------------------------

    def on_mention(self, body: dict, event: dict, context: Any, client: WebClient) -> None:
        if self._from_bot(event, context):
            return
        keys = self._claim(body, event)
        if keys is not None:
            self._reply_in_thread(client, event, context, keys)

    def on_message(self, body: dict, event: dict, context: Any, client: WebClient) -> None:
        subtype = event.get("subtype")
        if subtype == "message_deleted":
            self._on_deleted(event)
        elif subtype == "message_changed":
            self._on_edited(body, event, context, client)
        elif subtype in ORDINARY_SUBTYPES and event.get("channel_type") == "im":
            if self._from_bot(event, context):
                return
            keys = self._claim(body, event)
            if keys is not None:
                self._reply_in_thread(client, event, context, keys)
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
        edit = ("edit", channel, ts, question)
        if not self.dedup.claim(edit, ANSWER_LEASE):
            return
        note = ":pencil2: Answer to the edited question:"
        self._submit(self._answer, client, key, ts, question, note=note, keys=[edit])

    def _reply_in_thread(self, client: WebClient, event: dict, context: Any, keys: list) -> None:
        channel, ts = event["channel"], event["ts"]
        key = (channel, event.get("thread_ts") or ts)
        question = clean_question(event.get("text", ""), context.bot_user_id)
        if not question:
            self._post(client, key, [fmt.text_message(fmt.USAGE)])
            self._done(keys)
            return
        self._submit(self._answer, client, key, ts, question, keys=keys)

    def _from_bot(self, event: dict, context: Any) -> bool:
        return bool(
            event.get("bot_id")
            or event.get("subtype") == "bot_message"
            or (context.bot_user_id and event.get("user") == context.bot_user_id)
        )

    def _claim(self, body: dict, event: dict) -> list | None:
        """The de-duplication keys of a first delivery, claimed (None for a repeat: the same
        event id, or the same message seen before, by this process or another)."""
        keys = []
        event_id = body.get("event_id")
        if event_id:
            keys.append(("event", event_id))
        if event.get("channel") and event.get("ts"):
            keys.append(("message", event["channel"], event["ts"]))
        for i, k in enumerate(keys):
            if not self.dedup.claim(k, ANSWER_LEASE):
                log.info("duplicate delivery ignored (%s)", k[0])
                self._done(keys[:i])
                return None
        return keys

    def _done(self, keys: list) -> None:
        for k in keys:
            self.dedup.done(k)

    # --- answering -------------------------------------------------------------------------

    def ask_stream(self, question: str, history: list[tuple[str, str]]) -> Iterator[str | Answer]:
        """Text deltas, then the final Answer (``Assistant.ask_stream``; safe in parallel)."""
        return self.assistant.ask_stream(question, history=history)

    def ask(self, question: str, history: list[tuple[str, str]]) -> Answer:
        *_, answer = self.ask_stream(question, history)
        return answer

    def _submit(self, fn: Callable, *args: Any, **kwargs: Any) -> None:
        """Run answer work on the bounded answer pool (never on the listener threads)."""

        def run() -> None:
            try:
                fn(*args, **kwargs)
            except Exception:
                log.exception("answer work failed")

        self.answering.submit(run)

    def _stream(self, reply: StreamedReply, question: str, history: list) -> Answer:
        return reply.consume(self.ask_stream(question, history))

    def _answer(
        self,
        client: WebClient,
        key: ThreadKey,
        question_ts: str,
        question: str,
        note: str = "",
        keys: list | None = None,
    ) -> None:
        try:
            history = self.history.turns(key, exclude_ts=question_ts)
            reply = StreamedReply(client, *key, interval=self.stream_interval)
            try:
                answer = self._stream(reply, question, history)
            except InvalidQuestion as exc:
                messages = [fmt.text_message(f":warning: {fmt.escape(str(exc))}")]
            except Exception:
                log.exception("answering failed")
                messages = [fmt.text_message(SORRY)]
            else:
                self.history.add(key, question_ts, question, answer.text)
                messages = fmt.answer_messages(answer, self.answers.put(answer))
                if note:
                    messages[0].blocks.insert(0, fmt.context(note))
            try:
                reply.finish(messages)  # replaces the draft, if one was shown
            except SlackApiError as exc:
                log.error("chat.postMessage failed: %s", exc.response.get("error"))
        finally:
            self._done(keys or [])

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

    def on_command(self, command: dict, client: WebClient) -> None:
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
        self._submit(self._answer_command, command, client, text, url)

    def _answer_command(self, command: dict, client: WebClient, text: str, url: str) -> None:
        channel = command.get("channel_id", "")
        reply = StreamedReply(client, channel, None, interval=self.stream_interval)
        try:
            answer = self._stream(reply, text, [])
        except Exception as exc:
            if isinstance(exc, InvalidQuestion):
                failed = fmt.text_message(f":warning: {fmt.escape(str(exc))}")
            else:
                log.exception("answering failed")
                failed = fmt.text_message(SORRY)
            if reply.ts is None:
                self.respond(url, [failed])
            else:  # a draft was shown in the channel: replace it
                try:
                    reply.finish([failed])
                except SlackApiError:
                    self.respond(url, [failed])
            return
        messages = fmt.answer_messages(answer, self.answers.put(answer))
        user = command.get("user_id", "")
        asked = f"<@{user}> asked: " if user else "Question: "
        messages[0].blocks.insert(0, fmt.context(asked + fmt.escape(fmt.truncate(text, 1500))))
        try:
            ts = reply.finish(messages)
        except SlackApiError as exc:
            # e.g. not_in_channel / channel_not_found: answer the user privately instead
            log.info("slash answer not posted in channel (%s)", exc.response.get("error"))
            self.respond(url, messages)
            return
        self.history.add((channel, ts), ts, text, answer.text)

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

    def on_feedback(self, body: dict, action: dict) -> None:
        rating = 1 if action.get("action_id") == fmt.ACTION_HELPFUL else -1
        answer_id = str(action.get("value", ""))
        user = str((body.get("user") or {}).get("id", ""))
        url = body.get("response_url", "")
        answer = self.answers.get(answer_id)
        if answer is None:
            self.respond(
                url,
                [fmt.text_message("This answer can no longer be rated (it is too old).")],
            )
            return
        if not self.dedup.first_time(("feedback", answer_id, user, rating)):
            return  # a double click
        self.feedback.record(answer, rating, interface="slack", user=user)
        thanks = (
            "Thanks — recorded as helpful." if rating > 0 else "Thanks — recorded as not helpful."
        )
        self.respond(url, [fmt.text_message(thanks)])
