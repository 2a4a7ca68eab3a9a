"""An answer shown in Slack while it is written: one message, posted and then updated.

``Assistant.ask_stream`` yields text deltas and then the final :class:`Answer`. An answer that
arrives at once (the extractive answerer yields all of it within milliseconds) is posted once,
finished. One that keeps coming for longer than ``first_after`` seconds (an LLM writing) is
posted as a marked draft, updated with ``chat.update`` at most every ``interval`` seconds, and
finally replaced by the finished answer, whose checked text replaces the raw draft; long
answers continue in further messages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from assistant.interfaces.slack import formatting as fmt
from assistant.models import Answer

log = logging.getLogger(__name__)


class StreamedReply:
    """One reply in ``channel`` (in ``thread_ts``'s thread, or as a new message)."""

    def __init__(
        self,
        client: WebClient,
        channel: str,
        thread_ts: str | None = None,
        *,
        first_after: float = 0.5,
        interval: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.client = client
        self.channel = channel
        self.thread_ts = thread_ts
        self.first_after = first_after
        self.interval = interval
        self._clock = clock
        self.ts: str | None = None  # the streamed message, once posted
        self._draft = ""
        self._started: float | None = None
        self._shown_at = 0.0
        self._broken = False  # a draft post failed: the finished answer is posted as usual

    def consume(self, items: Iterable[str | Answer]) -> Answer:
        """Show the deltas of ``items`` as they come; returns the final Answer (not posted)."""
        for item in items:
            if isinstance(item, Answer):
                return item
            self.delta(item)
        raise RuntimeError("the answer stream ended without an answer")

    def delta(self, text: str) -> None:
        self._draft += text
        now = self._clock()
        if self._started is None:
            self._started = now
        if self._broken or now - self._started < self.first_after:
            return
        if self.ts is not None and now - self._shown_at < self.interval:
            return
        self._shown_at = now
        draft = fmt.draft_message(self._draft)
        try:
            if self.ts is None:
                self.ts = self._post(draft)
            else:
                self._update(draft)
        except SlackApiError as exc:
            log.info("draft not shown (%s)", exc.response.get("error"))
            self._broken = self.ts is None

    def finish(self, messages: list[fmt.SlackMessage]) -> str:
        """Replace the draft by ``messages[0]`` (or post it), post the rest in the same thread;
        returns the ts of the first message. Raises SlackApiError when that one fails."""
        first, rest = messages[0], messages[1:]
        if self.ts is not None:
            try:
                self._update(first)
            except SlackApiError as exc:  # e.g. message deleted meanwhile: post a new one
                log.info("chat.update failed (%s): posting anew", exc.response.get("error"))
                self.ts = None
        if self.ts is None:
            self.ts = self._post(first)
        thread = self.thread_ts or self.ts
        for m in rest:
            try:
                self._post(m, thread)
            except SlackApiError as exc:
                log.error("chat.postMessage failed: %s", exc.response.get("error"))
                break
        return self.ts

    def _post(self, m: fmt.SlackMessage, thread_ts: str | None = None) -> str:
        resp = self.client.chat_postMessage(
            channel=self.channel,
            thread_ts=thread_ts or self.thread_ts,
            text=m.text,
            blocks=m.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(resp["ts"])

    def _update(self, m: fmt.SlackMessage) -> None:
        self.client.chat_update(channel=self.channel, ts=self.ts, text=m.text, blocks=m.blocks)
