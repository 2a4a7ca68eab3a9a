"""LLM answers through a LangChain chat model, verified before anyone relies on them.

``ASSISTANT_LLM=provider:model`` selects the model (LangChain's ``init_chat_model``): ``openai``
(also any OpenAI-compatible server via ``ASSISTANT_LLM_BASE_URL``: vLLM, llama.cpp server, LM
Studio), ``ollama`` and ``anthropic`` (optional extras). The prompt (``prompts/answer.md``) hands
the model the retrieved passages with their labels; the answer then goes through
:func:`assistant.answering.verify.verify`. When the endpoint is down, slow or misconfigured, or
too little of the answer survives verification, the extractive answer is shown instead, with the
reason in the notice.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from assistant.answering.base import Answerer, Draft
from assistant.answering.support import SUPPORT_THRESHOLD
from assistant.answering.verify import CONTRADICTIONS, Scorer, Verification, Verifier
from assistant.labels import BRACKETED
from assistant.language.sentences import split_sentences
from assistant.models import Passage
from assistant.prompts import message
from assistant.retrieval.retriever import Retrieval
from assistant.settings import Settings

log = logging.getLogger(__name__)

Messages = list[tuple[str, str]]  # (role, content) pairs, as LangChain chat models accept

_NOT_ANSWERED = re.compile(r"NOT[ _]IN[ _]PASSAGES|passages do not (?:answer|address|say)", re.I)
_MAX_TOKENS = 512  # an answer is at most a few sentences; keeps a rambling model short
MAX_SENTENCES = 5  # rule 6 of prompts/answer.md ("At most five sentences"): read no further
_COMPLETE = {"stop", "end_turn", "stop_sequence", "eos", "eos_token"}  # finish reasons: done
_SENTENCE_END = re.compile(r"[.!?][\"”’')]*(?:\s*\[[^\[\]]*\])*\s*$")


# --- prompts -----------------------------------------------------------------------------------


@cache
def load_prompt(name: str) -> tuple[str, str]:
    """``(system, user template)`` of ``assistant/prompts/<name>.md`` ("## system" / "## user")."""
    text = resources.files("assistant.prompts").joinpath(f"{name}.md").read_text()
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    m = re.search(r"^## system\s*\n(.*?)^## user\s*\n(.*)$", text, flags=re.S | re.M)
    if not m:
        raise ValueError(f"prompt {name}.md needs a '## system' and a '## user' section")
    return m.group(1).strip(), m.group(2).strip()


def render(name: str, **values: str) -> Messages:
    system, user = load_prompt(name)
    for key, value in values.items():
        user = user.replace("{" + key + "}", value)
    return [("system", system), ("user", user)]


def format_passage(p: Passage) -> str:
    if p.source == "convention" and p.article:
        where = f"Article {p.article} ({p.title})"
    elif p.source == "briefing":
        where = f"{p.title} (briefing note, not the official text)"
    else:
        where = p.title or p.document
    return f"[{p.label}] {where}: {' '.join(p.sentence().split())}"


# --- the chat model ----------------------------------------------------------------------------


class LLMUnavailable(Exception):
    """The model could not be reached or used; ``reason`` is shown to the user."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def classify(exc: BaseException, timeout: float) -> tuple[str, bool]:
    """A short user-facing reason for a failed call, and whether retrying may help.

    Works across providers by exception names and ``status_code`` (openai, anthropic, httpx and
    ollama errors all follow these conventions)."""
    names = {c.__name__ for c in type(exc).__mro__}
    response = getattr(exc, "response", None)
    status = getattr(exc, "status_code", None) or getattr(response, "status_code", None)
    if isinstance(exc, TimeoutError) or any("Timeout" in n for n in names):
        return f"timeout after {timeout:g} s", False
    if isinstance(status, int) and 200 <= status < 300:  # answered, but not a chat completion
        return f"malformed reply from the endpoint ({type(exc).__name__})", False
    if isinstance(status, int):
        return f"HTTP {status}", status in (408, 409, 429) or status >= 500
    if isinstance(exc, ConnectionError) or names & {
        "APIConnectionError",
        "ConnectError",
        "RemoteProtocolError",
        "ReadError",
    }:
        return "cannot connect to the endpoint", True
    # The call went through but its result could not be read as a chat completion
    # (invalid JSON, missing "choices", an SSE event that is not a chunk, ...).
    return f"malformed reply from the endpoint ({type(exc).__name__}: {str(exc)[:80]})", False


def provider_of(spec: str) -> str:
    return spec.split(":", 1)[0].strip().lower() if ":" in spec else ""


def chat_model_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``init_chat_model``: endpoint, key, timeout, no provider retries
    (:class:`LLMClient` retries itself, with one policy for every provider)."""
    s = settings
    provider = provider_of(s.llm)
    key = s.llm_api_key.get_secret_value()
    kw: dict[str, Any] = {"temperature": s.llm_temperature}
    if s.llm_base_url:
        kw["base_url"] = s.llm_base_url
    if provider == "ollama":
        kw["client_kwargs"] = {"timeout": s.llm_timeout}
        kw["num_predict"] = _MAX_TOKENS
        return kw
    kw.update(timeout=s.llm_timeout, max_retries=0)
    if provider in ("openai", "") and s.llm_base_url:
        # langchain-openai sends ``max_completion_tokens`` (OpenAI's current name), which
        # OpenAI-compatible servers (llama.cpp server, older vLLM, LM Studio) ignore: they honour
        # the classic ``max_tokens``, so send that one, and only that one.
        kw["extra_body"] = {"max_tokens": _MAX_TOKENS}
    else:
        kw["max_tokens"] = _MAX_TOKENS
    if key:
        kw["api_key"] = key
    elif provider in ("openai", "") and s.llm_base_url and not os.environ.get("OPENAI_API_KEY"):
        kw["api_key"] = "not-needed"  # local OpenAI-compatible servers ignore the key
    return kw


def make_chat_model(settings: Settings):
    """The LangChain chat model ``ASSISTANT_LLM`` names; raises :class:`LLMUnavailable` with an
    actionable reason when the integration is missing or the name is wrong."""
    from langchain.chat_models import init_chat_model

    provider = provider_of(settings.llm) or "openai"
    try:
        return init_chat_model(settings.llm, **chat_model_kwargs(settings))
    except ImportError as e:
        extra = f"llm-{provider}" if provider in ("openai", "ollama", "anthropic") else provider
        raise LLMUnavailable(
            f"the {provider} integration is not installed: pip install "
            f"'convention-assistant[{extra}]'"
        ) from e
    except (ValueError, TypeError) as e:
        raise LLMUnavailable(f"cannot use ASSISTANT_LLM={settings.llm!r}: {e}") from e


def _text(message_or_chunk: Any) -> str:
    return str(getattr(message_or_chunk, "text", "") or "")


def _finish_reason(message_or_chunk: Any) -> str | None:
    """Why the model stopped, across providers (openai, ollama, anthropic)."""
    meta = getattr(message_or_chunk, "response_metadata", None) or {}
    reason = meta.get("finish_reason") or meta.get("done_reason") or meta.get("stop_reason")
    return str(reason) if reason else None


@dataclass
class Completion:
    """A whole reply: its text and why the model stopped (None: the stream just ended)."""

    text: str
    finish_reason: str | None = None
    error: str = ""  # the reply broke off with this failure after some text had arrived

    @property
    def cut_off(self) -> str:
        """Why the reply is incomplete ("" when the model finished it)."""
        if self.error:
            return self.error
        if self.finish_reason in _COMPLETE:
            return ""
        if self.finish_reason in ("length", "max_tokens"):
            return "it reached the token limit"
        if self.finish_reason is None:
            return "the stream ended without a finish reason"
        return f"finish reason {self.finish_reason!r}"


def _pump(call: Callable[[], Iterable[Any]], out: queue.Queue, cancel: threading.Event) -> None:
    """Run one model call on a worker thread, handing its items to ``out``."""
    it = iter(())
    try:
        it = iter(call())
        for item in it:
            out.put(("item", item))
            if cancel.is_set():
                break
    except BaseException as e:  # noqa: BLE001 - handed to the caller
        out.put(("error", e))
    else:
        out.put(("end", None))
    finally:
        close = getattr(it, "close", None)
        if close:  # closes the HTTP response of an abandoned stream
            with contextlib.suppress(Exception):
                close()


def _within(call: Callable[[], Iterable[Any]], deadline: float) -> Iterator[Any]:
    """The items of ``call()``, each awaited no later than ``deadline`` (``time.monotonic``):
    the model call runs on a daemon thread, so a slow or trickling reply cannot hold the caller
    past the deadline (the abandoned call ends at its next item or its read timeout)."""
    out: queue.Queue = queue.Queue()
    cancel = threading.Event()
    threading.Thread(target=_pump, args=(call, out, cancel), daemon=True, name="llm").start()
    try:
        while True:
            try:
                kind, value = out.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError("LLM deadline") from None
            if kind == "item":
                yield value
            elif kind == "error":
                raise value
            else:
                return
    finally:
        cancel.set()


class LLMClient:
    """A chat model with one deadline for a whole call (``ASSISTANT_LLM_TIMEOUT``: every
    retry and every read included), retries with exponential backoff (connection errors,
    HTTP 408/409/429/5xx; not timeouts) within that deadline, and failures turned into
    :class:`LLMUnavailable` with a short reason."""

    backoff = 0.5  # seconds before the first retry; doubles each time (plus jitter)
    cooldown = 10.0  # after a failed call, calls fail at once for this long (no double waits)

    def __init__(
        self,
        settings: Settings,
        factory: Callable[[Settings], Any] = make_chat_model,
    ):
        self.settings = settings
        self.timeout = settings.llm_timeout
        self.retries = settings.llm_retries
        self._factory = factory
        self._model = None
        self._lock = threading.Lock()
        self._down: tuple[float, str] | None = None  # (until, reason) after a failure

    @property
    def name(self) -> str:
        return self.settings.llm

    def model(self):
        with self._lock:
            if self._model is None:
                self._model = self._factory(self.settings)
            return self._model

    def reset(self) -> None:
        """Forget a recent failure (the next call tries the endpoint again)."""
        self._down = None

    def _fail_fast(self) -> None:
        down = self._down
        if down and time.monotonic() < down[0]:
            raise LLMUnavailable(down[1])

    def invoke(self, messages: Messages) -> str:
        """The reply's text (the follow-up condenser's call)."""
        return self.complete(messages).text

    def complete(self, messages: Messages) -> Completion:
        """One whole reply, within the deadline."""
        self._fail_fast()
        model = self.model()
        start, attempt = time.monotonic(), 0
        while True:
            try:
                for message in _within(lambda: [model.invoke(messages)], start + self.timeout):
                    return Completion(_text(message), _finish_reason(message))
            except LLMUnavailable:
                raise
            except Exception as e:  # noqa: BLE001 - any endpoint failure means: fall back
                delay = self._retry_delay(e, attempt, start)
            time.sleep(delay)
            attempt += 1

    def stream(self, messages: Messages) -> Iterator[str | Completion]:
        """Text deltas, then the :class:`Completion`, all within the deadline. A failure before
        the first delta is retried (within the deadline); a later one (a dropped connection, the
        deadline) ends the reply, whose Completion then says it was cut off. Closing this
        generator closes the model's stream."""
        self._fail_fast()
        model = self.model()
        start, attempt = time.monotonic(), 0
        while True:
            parts: list[str] = []
            finish: str | None = None
            try:
                with contextlib.closing(
                    _within(lambda: model.stream(messages), start + self.timeout)
                ) as chunks:
                    for chunk in chunks:
                        finish = _finish_reason(chunk) or finish
                        delta = _text(chunk)
                        if delta:
                            parts.append(delta)
                            yield delta
                yield Completion("".join(parts), finish)
                return
            except LLMUnavailable:
                raise
            except Exception as e:  # noqa: BLE001 - any endpoint failure means: fall back
                if parts:  # broke off mid-reply: what arrived is all there is
                    reason, _ = classify(e, self.timeout)
                    log.warning("LLM reply cut off: %s", reason)
                    yield Completion("".join(parts), finish, error=reason)
                    return
                delay = self._retry_delay(e, attempt, start)
            time.sleep(delay)
            attempt += 1

    def _retry_delay(self, exc: Exception, attempt: int, start: float) -> float:
        """Seconds to wait before the next attempt, or raise :class:`LLMUnavailable`."""
        reason, retryable = classify(exc, self.timeout)
        delay = self.backoff * 2**attempt * (1 + 0.2 * random.random())
        elapsed = time.monotonic() - start
        if not retryable or attempt >= self.retries or elapsed + delay > self.timeout:
            tries = f" after {attempt + 1} attempts" if attempt else ""
            log.warning("LLM call failed: %s%s", reason, tries)
            self._down = (time.monotonic() + self.cooldown, reason + tries)
            raise LLMUnavailable(reason + tries) from exc
        log.info("LLM call failed (%s); retry %d in %.1f s", reason, attempt + 1, delay)
        return delay


# --- the answerer ------------------------------------------------------------------------------


def _has_words(piece: str) -> bool:
    return bool(re.search(r"[^\W\d_]", BRACKETED.sub("", piece)))


class _Reading:
    """One reply being read: its sentences go through the verifier as they complete, at most
    ``limit`` of them. Per call, never shared."""

    def __init__(self, verifier: Verifier, limit: int):
        self.verifier = verifier
        self.limit = limit
        self.text = ""  # the raw reply so far
        self.done = 0  # pieces handed to the verifier
        self.sentences = 0  # of which sentences with words (a stray "." or label is not one)
        self.over = False  # the reply went on past the sentence limit
        self.completion: Completion | None = None

    def feed(self, delta: str) -> list[str]:
        """Add text; returns the verified sentences it completes, ready to show."""
        self.text += delta
        pieces = split_sentences(self.text)
        ready = len(pieces) - 1  # the last one may go on
        if pieces and pieces[-1].startswith("["):
            ready -= 1  # a label still being written belongs to the sentence before
        shown = self._take(pieces, ready)
        if self.sentences >= self.limit and any(map(_has_words, pieces[self.done :])):
            self.over = True  # a sentence past the limit has begun
        return shown

    def end(self, completion: Completion) -> list[str]:
        """The reply is over: check what is left. The unfinished last sentence of a reply
        that was cut off is dropped."""
        self.completion = completion
        pieces = split_sentences(self.text)
        last = len(pieces)
        if completion.cut_off and last > self.done and not _SENTENCE_END.search(pieces[-1]):
            last -= 1
        return self._take(pieces, last)

    def _take(self, pieces: list[str], upto: int) -> list[str]:
        shown: list[str] = []
        for raw in pieces[self.done : max(upto, self.done)]:
            if _has_words(raw):
                if self.sentences >= self.limit:
                    self.over = True
                    break
                self.sentences += 1
            self.done += 1
            shown += [s.text for s in self.verifier.add(raw)]
        return shown


class LLMAnswerer:
    """Answers with a chat model from the retrieved passages; every sentence verified before it
    is shown; falls back to ``fallback`` (the extractive answerer) with the reason in the
    draft's notice. Holds no per-request state: each call has its own :class:`_Reading`."""

    name = "llm"

    def __init__(
        self,
        client: LLMClient,
        fallback: Answerer,
        scorer: Scorer,
        *,
        threshold: float = SUPPORT_THRESHOLD,
        min_share: float = 0.4,
        max_passages: int = 12,
        max_sentences: int = MAX_SENTENCES,
        articles: Iterable[int] | None = None,
    ):
        self.client = client
        self.fallback = fallback
        self.scorer = scorer  # support(claim, passages), as in the evaluation suite
        self.threshold = threshold
        self.min_share = min_share  # fall back when less of the answer's text survives
        self.max_passages = max_passages
        self.max_sentences = max_sentences
        self.articles = frozenset(articles) if articles is not None else None  # real articles

    def passages_for(self, retrieval: Retrieval) -> list[Passage]:
        pool_for = getattr(self.fallback, "pool_for", None)
        pool = pool_for(retrieval) if pool_for else retrieval.passages
        return (pool or retrieval.passages)[: self.max_passages]

    def messages(self, question: str, passages: list[Passage]) -> Messages:
        listing = "\n".join(format_passage(p) for p in passages)
        return render("answer", passages=listing, question=question)

    def _reading(self, passages: list[Passage]) -> _Reading:
        verifier = Verifier(passages, self.scorer, threshold=self.threshold, articles=self.articles)
        return _Reading(verifier, self.max_sentences)

    def draft(self, question: str, retrieval: Retrieval) -> Draft:
        passages = self.passages_for(retrieval)
        try:
            completion = self.client.complete(self.messages(question, passages))
        except LLMUnavailable as e:
            return self._fallback(question, retrieval, message("llm_unavailable", reason=e.reason))
        reading = self._reading(passages)
        reading.feed(completion.text)
        reading.end(completion)
        return self.finish(question, retrieval, passages, reading)

    def stream(self, question: str, retrieval: Retrieval) -> Iterator[str | Draft]:
        """Verified sentences as the model writes them (each shown only once it passed every
        check; joined with spaces they are the draft's text), then the :class:`Draft`, which
        replaces them when the answer falls back to the extractive one."""
        passages = self.passages_for(retrieval)
        reading = self._reading(passages)
        shown = 0
        try:
            with contextlib.closing(self.client.stream(self.messages(question, passages))) as it:
                for item in it:
                    if isinstance(item, Completion):
                        sentences = reading.end(item)
                    else:
                        sentences = reading.feed(item)
                    for text in sentences:
                        yield (" " if shown else "") + text
                        shown += 1
                    if reading.over:  # past the prompt's sentence limit: stop reading
                        break
        except LLMUnavailable as e:
            yield self._fallback(question, retrieval, message("llm_unavailable", reason=e.reason))
            return
        yield self.finish(question, retrieval, passages, reading)

    def finish(
        self, question: str, retrieval: Retrieval, passages: list[Passage], reading: _Reading
    ) -> Draft:
        v = reading.verifier.result()
        raw = reading.text
        if not v.kept and _NOT_ANSWERED.search(raw):
            return Draft(
                "", passages, abstained=True, notice=message("llm_not_answered"), verification=v
            )
        cut = reading.completion.cut_off if reading.completion else ""
        if not v.kept and cut:  # nothing usable arrived before the reply broke off
            d = self._fallback(question, retrieval, message("llm_cut_off_early", reason=cut))
            d.verification = v
            return d
        if not v.kept or v.kept_share < self.min_share:
            d = self._fallback(question, retrieval, message("llm_unverified", reason=why(v)))
            d.verification = v
            return d
        notes = []
        if v.invented:
            notes.append(message("llm_invented", labels=", ".join(v.invented)))
        if v.contradicted:
            what = "; ".join(f"{s.problem}: {s.detail}" for s in v.contradicted)
            notes.append(message("llm_contradicted", count=len(v.contradicted), what=what))
        dropped = len(v.unsupported) + len(v.uncited)
        if dropped:
            notes.append(message("llm_dropped", count=dropped))
        if reading.over:
            notes.append(message("llm_too_long", limit=self.max_sentences))
        elif cut:
            notes.append(message("llm_cut_off", reason=cut))
        return Draft(v.text, passages, notice=" ".join(notes), verification=v)

    def _fallback(self, question: str, retrieval: Retrieval, notice: str) -> Draft:
        log.warning("showing the extractive answer: %s", notice)
        d = self.fallback.draft(question, retrieval)
        if not d.abstained:  # an abstention shows its own message
            d.notice = " ".join(x for x in (d.notice, notice) if x)
        return d


def why(v: Verification) -> str:
    total = len(v.kept) + len(v.dropped)
    parts = []
    if v.invented:
        parts.append(f"invented citation {', '.join(v.invented)}")
    contradicted = [
        f"{s.problem}: {s.detail}" for s in v.contradicted if s.problem in CONTRADICTIONS
    ]
    if contradicted:
        parts.append("contradicts the cited text (" + "; ".join(contradicted) + ")")
    if not total:
        parts.append("no answer text")
    elif not v.kept:
        parts.append("no sentence is supported by the provisions it cites")
    else:
        parts.append(
            f"only {len(v.kept)} of {total} sentences supported, {v.kept_share:.0%} of the text"
        )
    return "; ".join(parts)
