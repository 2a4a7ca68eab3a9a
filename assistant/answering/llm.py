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

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from assistant.answering.base import Answerer, Draft
from assistant.answering.support import SUPPORT_THRESHOLD
from assistant.answering.verify import Scorer, Verification, verify
from assistant.models import Passage
from assistant.prompts import message
from assistant.retrieval.retriever import Retrieval
from assistant.settings import Settings

log = logging.getLogger(__name__)

Messages = list[tuple[str, str]]  # (role, content) pairs, as LangChain chat models accept

_NOT_ANSWERED = re.compile(r"NOT[ _]IN[ _]PASSAGES|passages do not (?:answer|address|say)", re.I)
_MAX_TOKENS = 512  # an answer is at most a few sentences; keeps a rambling model short


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
    if isinstance(status, int):
        return f"HTTP {status}", status in (408, 409, 429) or status >= 500
    if isinstance(exc, ConnectionError) or names & {
        "APIConnectionError",
        "ConnectError",
        "RemoteProtocolError",
        "ReadError",
    }:
        return "cannot connect to the endpoint", True
    return f"{type(exc).__name__}: {str(exc)[:120]}", False


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
    kw.update(timeout=s.llm_timeout, max_retries=0, max_tokens=_MAX_TOKENS)
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


class LLMClient:
    """A chat model with a timeout per call, retries with exponential backoff (connection
    errors, HTTP 408/409/429/5xx; not timeouts) bounded by the timeout, and failures turned into
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
        self._fail_fast()
        return self._with_retries(lambda: _text(self.model().invoke(messages)))

    def stream(self, messages: Messages) -> Iterator[str]:
        """Text deltas; a failure before the first delta is retried, a later one is raised."""
        self._fail_fast()
        start, attempt = time.monotonic(), 0
        while True:
            started = False
            try:
                for chunk in self.model().stream(messages):
                    delta = _text(chunk)
                    if delta:
                        started = True
                        yield delta
                return
            except LLMUnavailable:
                raise
            except Exception as e:  # noqa: BLE001 - any endpoint failure means: fall back
                delay = self._retry_delay(e, attempt, start, retry=not started)
            time.sleep(delay)
            attempt += 1

    def _with_retries(self, call: Callable[[], str]) -> str:
        start, attempt = time.monotonic(), 0
        while True:
            try:
                return call()
            except LLMUnavailable:
                raise
            except Exception as e:  # noqa: BLE001 - any endpoint failure means: fall back
                delay = self._retry_delay(e, attempt, start)
            time.sleep(delay)
            attempt += 1

    def _retry_delay(self, exc: Exception, attempt: int, start: float, retry: bool = True):
        """Seconds to wait before the next attempt, or raise :class:`LLMUnavailable`."""
        reason, retryable = classify(exc, self.timeout)
        delay = self.backoff * 2**attempt * (1 + 0.2 * random.random())
        elapsed = time.monotonic() - start
        if not (retry and retryable) or attempt >= self.retries or elapsed + delay > self.timeout:
            tries = f" after {attempt + 1} attempts" if attempt else ""
            log.warning("LLM call failed: %s%s", reason, tries)
            self._down = (time.monotonic() + self.cooldown, reason + tries)
            raise LLMUnavailable(reason + tries) from exc
        log.info("LLM call failed (%s); retry %d in %.1f s", reason, attempt + 1, delay)
        return delay


# --- the answerer ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What happened to one generated answer (for logs, tests and the evaluation)."""

    raw: str
    verification: Verification | None = None
    fallback_reason: str = ""


class LLMAnswerer:
    """Answers with a chat model from the retrieved passages; verified; falls back to
    ``fallback`` (the extractive answerer) with the reason in the draft's notice."""

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
    ):
        self.client = client
        self.fallback = fallback
        self.scorer = scorer  # support(claim, passages), as in the evaluation suite
        self.threshold = threshold
        self.min_share = min_share  # fall back when less of the answer's text survives
        self.max_passages = max_passages
        self.last: Outcome | None = None  # the latest outcome (diagnostics only)

    def passages_for(self, retrieval: Retrieval) -> list[Passage]:
        pool_for = getattr(self.fallback, "pool_for", None)
        pool = pool_for(retrieval) if pool_for else retrieval.passages
        return (pool or retrieval.passages)[: self.max_passages]

    def messages(self, question: str, passages: list[Passage]) -> Messages:
        listing = "\n".join(format_passage(p) for p in passages)
        return render("answer", passages=listing, question=question)

    def draft(self, question: str, retrieval: Retrieval) -> Draft:
        passages = self.passages_for(retrieval)
        self.last = Outcome("")
        try:
            raw = self.client.invoke(self.messages(question, passages))
        except LLMUnavailable as e:
            return self._fallback(question, retrieval, message("llm_unavailable", reason=e.reason))
        return self.finish(question, retrieval, passages, raw)

    def stream(self, question: str, retrieval: Retrieval) -> Iterator[str | Draft]:
        """The model's text deltas as they come, then the verified :class:`Draft` (which may be
        the extractive fallback): the final draft replaces the streamed text."""
        passages = self.passages_for(retrieval)
        self.last = Outcome("")
        parts: list[str] = []
        try:
            for delta in self.client.stream(self.messages(question, passages)):
                parts.append(delta)
                yield delta
        except LLMUnavailable as e:
            yield self._fallback(question, retrieval, message("llm_unavailable", reason=e.reason))
            return
        yield self.finish(question, retrieval, passages, "".join(parts))

    def finish(
        self, question: str, retrieval: Retrieval, passages: list[Passage], raw: str
    ) -> Draft:
        v = verify(raw, passages, self.scorer, threshold=self.threshold)
        self.last = Outcome(raw, v)
        if not v.kept and _NOT_ANSWERED.search(raw):
            return Draft("", passages, abstained=True, notice=message("llm_not_answered"))
        if not v.kept or v.kept_share < self.min_share:
            return self._fallback(question, retrieval, message("llm_unverified", reason=why(v)))
        notes = []
        if v.invented:
            notes.append(message("llm_invented", labels=", ".join(v.invented)))
        if v.dropped:
            notes.append(message("llm_dropped", count=len(v.dropped)))
        return Draft(v.text, passages, notice=" ".join(notes))

    def _fallback(self, question: str, retrieval: Retrieval, notice: str) -> Draft:
        log.warning("showing the extractive answer: %s", notice)
        self.last = self.last or Outcome("")
        self.last.fallback_reason = notice
        d = self.fallback.draft(question, retrieval)
        if not d.abstained:  # an abstention shows its own message
            d.notice = " ".join(x for x in (d.notice, notice) if x)
        return d


def why(v: Verification) -> str:
    total = len(v.kept) + len(v.dropped)
    parts = []
    if v.invented:
        parts.append(f"invented citation {', '.join(v.invented)}")
    if not total:
        parts.append("no answer text")
    elif not v.kept:
        parts.append("no sentence is supported by the provisions it cites")
    else:
        parts.append(
            f"only {len(v.kept)} of {total} sentences supported, {v.kept_share:.0%} of the text"
        )
    return "; ".join(parts)
