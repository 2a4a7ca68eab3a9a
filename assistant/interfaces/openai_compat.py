"""An OpenAI-compatible chat endpoint on the HTTP app, for chat front-ends and OpenAI SDKs.

    POST /v1/chat/completions   {"model": "convention-assistant", "messages": [...], "stream": b}
    GET  /v1/models             the one model served here

The last user message is the question; the earlier user/assistant turns are its history
(system and developer messages are ignored: the assistant's behaviour is fixed). The reply's
content is the cited answer (labels such as ``[Art. 27(b)]`` inline), then a notice when there is
one, then a "Sources:" list quoting each cited provision with its page in the official PDF. The
response also carries the citations as data in an extra ``citations`` field (label, source,
article, paragraph, quote, pages, url) and ``abstained`` (True when the Convention does not
answer the question).

With ``"stream": true`` the reply is server-sent events in the OpenAI chunk format
(``chat.completion.chunk``): a role chunk, the answer as it is written (from
:meth:`Assistant.ask_stream`: one cited sentence at a time), the notice and Sources, a last chunk
with ``finish_reason: "stop"`` and the ``citations``, then ``data: [DONE]``. With an LLM answerer
the raw tokens are not verified yet, so the verified text is sent once it is final.

Errors use OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``: 400 for a bad
request or question, 404 for an unknown model, 413 for a body over the limit.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any, Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant.answering.guard import InvalidQuestion
from assistant.core import Assistant
from assistant.interfaces.schemas import CitationOut
from assistant.models import Answer

log = logging.getLogger(__name__)

MODEL_ID = "convention-assistant"
OWNER = "convention-assistant"
MAX_MESSAGES = 64
MAX_CONTENT = 16000  # characters of one message (answers included)
MAX_TURNS = 20


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str
    text: str = ""


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ... are accepted and ignored
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's chat request; sampling options (temperature, max_tokens, ...) are ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(MODEL_ID, examples=[MODEL_ID])
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False


class AssistantMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class Choice(BaseModel):
    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"


class ChatCompletion(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str = MODEL_ID
    choices: list[Choice]
    citations: list[CitationOut] = Field(description="The cited provisions (extra field)")
    abstained: bool = Field(description="The Convention does not answer the question (extra)")


class ModelCard(BaseModel):
    id: str = MODEL_ID
    object: Literal["model"] = "model"
    created: int = 1735603200  # 31 December 2024, the date of A/RES/79/243
    owned_by: str = OWNER


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIError(Exception):
    def __init__(self, status: int, message: str, *, param: str | None = None, code: str = ""):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def error_response(
    status: int, message: str, *, param: str | None = None, code: str = ""
) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    body = {"error": {"message": message, "type": kind, "param": param, "code": code or None}}
    return JSONResponse(body, status_code=status)


def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the earlier (question, answer) turns."""
    talk = [m for m in messages if m.role in ("user", "assistant")]
    if not talk or talk[-1].role != "user":
        raise OpenAIError(400, "the last message must be the user's question", param="messages")
    for m in talk:
        if len(m.text()) > MAX_CONTENT:
            raise OpenAIError(
                400, f"a message is longer than {MAX_CONTENT} characters", param="messages"
            )
    turns: list[tuple[str, str]] = []
    for m in talk[:-1]:
        if m.role == "user":
            turns.append((m.text(), ""))
        elif turns and not turns[-1][1]:
            turns[-1] = (turns[-1][0], m.text())
        else:  # an assistant message without a question before it (e.g. a greeting)
            turns.append(("", m.text()))
    return talk[-1].text(), turns[-MAX_TURNS:]


def extras(answer: Answer) -> str:
    """What follows the answer text in the reply: the notice, then the Sources list."""
    parts = []
    if answer.notice and not answer.abstained:
        parts.append(f"({answer.notice})")
    sources = answer.format()[len(answer.text) :].strip()
    if sources:
        parts.append(sources)
    return "".join(f"\n\n{p}" for p in parts)


def content(answer: Answer) -> str:
    """The whole reply text: answer (inline labels), notice, Sources with pages."""
    return answer.text + extras(answer)


def completion(answer: Answer, model: str) -> ChatCompletion:
    return ChatCompletion(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=model,
        choices=[Choice(message=AssistantMessage(content=content(answer)))],
        citations=[CitationOut.of(c) for c in answer.citations],
        abstained=answer.abstained,
    )


def _sse(payload: dict[str, Any] | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


def stream_chunks(
    deltas: Iterator[str | Answer], model: str, *, verified_deltas: bool
) -> Iterator[bytes]:
    """OpenAI ``chat.completion.chunk`` events from :meth:`Assistant.ask_stream`'s output.

    ``verified_deltas``: the deltas are the final text's own sentences (the extractive
    answerer) and are sent as they come; otherwise (raw LLM tokens) only the final, verified
    text is sent."""
    head = {"id": f"chatcmpl-{uuid.uuid4().hex}", "created": int(time.time()), "model": model}

    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _sse({**head, "object": "chat.completion.chunk", "choices": [choice], **extra})

    yield chunk({"role": "assistant", "content": ""})
    sent = ""
    try:
        for item in deltas:
            if isinstance(item, Answer):
                answer = item
                break
            if verified_deltas and item:
                sent += item
                yield chunk({"content": item})
        else:
            raise RuntimeError("the answer stream ended without an answer")
    except Exception:  # noqa: BLE001 - the status is sent already: report in the stream
        log.exception("streamed answer failed")
        yield _sse({"error": {"message": "the answer failed", "type": "server_error"}})
        yield _sse("[DONE]")
        return
    rest = answer.text[len(sent) :] if answer.text.startswith(sent) else answer.text
    if rest:
        yield chunk({"content": rest})
    tail = extras(answer)
    if tail:
        yield chunk({"content": tail})
    citations = [CitationOut.of(c).model_dump() for c in answer.citations]
    yield chunk({}, "stop", citations=citations, abstained=answer.abstained)
    yield _sse("[DONE]")


def install(app: FastAPI, assistant: Assistant) -> None:
    """Add the ``/v1`` routes to ``app``, with OpenAI-shaped errors for them."""
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])
    # other paths keep the app's own handler (one error shape for the rest of the API)
    others = app.exception_handlers.get(
        RequestValidationError, request_validation_exception_handler
    )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        if not request.url.path.startswith("/v1/"):
            return await others(request, exc)
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ())[1:]) or None
        message = f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid body"
        return error_response(400, message, param=where)

    @app.exception_handler(OpenAIError)
    async def openai_error(request: Request, exc: OpenAIError):
        return error_response(exc.status, exc.message, param=exc.param, code=exc.code)

    def check_model(model: str) -> None:
        if model != MODEL_ID:
            raise OpenAIError(
                404,
                f"The model '{model}' does not exist; this server has '{MODEL_ID}'.",
                param="model",
                code="model_not_found",
            )

    @router.get("/models", response_model=ModelList)
    def models() -> ModelList:
        """The one model served: the Convention Assistant."""
        return ModelList(data=[ModelCard()])

    @router.post(
        "/chat/completions",
        response_model=ChatCompletion,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def chat_completions(req: ChatRequest):
        """Answer the last user message with citations (JSON, or SSE chunks with ``stream``)."""
        check_model(req.model)
        question, history = conversation(req.messages)
        try:
            if req.stream:
                deltas = await run_in_threadpool(assistant.ask_stream, question, history)
            else:
                answer = await run_in_threadpool(assistant.ask, question, history)
        except InvalidQuestion as exc:
            raise OpenAIError(400, str(exc), param="messages") from exc
        if not req.stream:
            return completion(answer, req.model)
        verified = not assistant.settings.llm  # raw LLM tokens are not shown before checking
        return StreamingResponse(
            stream_chunks(deltas, req.model, verified_deltas=verified),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    app.include_router(router)
