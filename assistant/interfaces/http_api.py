"""The web app: a FastAPI app serving the HTTP API, with the Gradio chat page mounted at "/".

    POST /api/ask              {question, history} -> Answer JSON
    POST /api/ask/stream       same body -> NDJSON (application/x-ndjson): {"type": "delta"} lines
                               with the answer text so far, sent as ``Assistant.ask_stream``
                               produces it, then one {"type": "answer", ...} line with the whole
                               Answer JSON (its text is authoritative)
    POST /api/feedback         rate an answer returned by /api/ask (+1 / -1, optional comment)
    GET  /api/articles         every article (number, title, chapter)
    GET  /api/articles/{n}     one article by provision (404 outside 1..68)
    POST /v1/chat/completions  OpenAI-compatible chat (JSON or SSE), see openai_compat.py
    GET  /v1/models            the one model it serves
    GET  /healthz              readiness: 200 when ready; 503 with the reason while the index is
                               checked, resumed or rebuilt (the server listens from the start)
    POST /slack/events         the Slack bot's events, commands and buttons (``--slack`` only)
    GET  /openapi.json, /docs  the OpenAPI schema and a self-contained page describing it

Blocking work (answering) runs in the thread pool, so one slow answer never blocks others.
Every error is one JSON shape, :class:`Problem` (``{"detail": "...", "field": ...}``), whatever
went wrong: invalid JSON or Unicode (lone surrogates), a field out of bounds, a body over
``MAX_BODY`` (checked on the bytes received, so a chunked body without Content-Length is held to
it too), an unknown article, or an unexpected failure (500, logged, never a reset connection).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import AfterValidator, BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.answering.guard import InvalidQuestion, check_text, validate
from assistant.core import ArticleView, Assistant
from assistant.feedback import MAX_COMMENT, FeedbackStore
from assistant.interfaces import openai_compat
from assistant.interfaces.schemas import CitationOut
from assistant.models import Answer, Citation
from assistant.state import open_database

if TYPE_CHECKING:
    from assistant.interfaces.slack import SlackConfig

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
log = logging.getLogger(__name__)

MAX_QUESTION = 4000
MAX_ANSWER = 16000
MAX_TURNS = 20
MAX_BODY = 512 * 1024  # bytes


def _question(value: str) -> str:
    validate(value, max_chars=MAX_QUESTION)  # the Python API's own check: one message for all
    return value


def _plain(value: str) -> str:
    return check_text(value, what="The text")


Question = Annotated[str, Field(max_length=MAX_QUESTION), AfterValidator(_question)]
PastQuestion = Annotated[str, Field(max_length=MAX_QUESTION), AfterValidator(_plain)]
PastAnswer = Annotated[str, Field(max_length=MAX_ANSWER), AfterValidator(_plain)]
Text = Annotated[str, Field(max_length=MAX_ANSWER), AfterValidator(_plain)]


class AskRequest(BaseModel):
    question: Question = Field(
        examples=["Can the police force a company to hand over subscriber information?"]
    )
    history: list[tuple[PastQuestion, PastAnswer]] = Field(
        default_factory=list,
        max_length=MAX_TURNS,
        description="Earlier turns, oldest first, as [question, answer] pairs (at most 20).",
    )


class AnswerOut(BaseModel):
    question: str
    text: str = Field(description="Answer with inline labels such as [Art. 27(b)]")
    citations: list[CitationOut]
    abstained: bool = Field(description="True when the Convention does not answer the question")
    notice: str = Field(description="Why it abstained or refused, or another note to show")
    resolved_question: str = Field(description="The question after follow-up resolution")

    @classmethod
    def of(cls, a: Answer) -> AnswerOut:
        return cls(
            question=a.question,
            text=a.text,
            citations=[CitationOut(**vars(c)) for c in a.citations],
            abstained=a.abstained,
            notice=a.notice,
            resolved_question=a.resolved_question,
        )


class ProvisionOut(BaseModel):
    label: str
    paragraph: str | None
    chapeau: str = Field(description="Lead-in words of the paragraph a subparagraph belongs to")
    text: str
    pages: list[int] = Field(description="Pages of the official PDF the provision is printed on")
    url: str = Field(description="The official PDF opened at the provision's page")


class ArticleSummary(BaseModel):
    number: int
    title: str
    chapter: int | None
    chapter_title: str


class ArticleOut(ArticleSummary):
    text: str = Field(description="The whole article as plain text")
    provisions: list[ProvisionOut]
    cross_references: list[int] = Field(description="Other articles this article refers to")
    pages: list[int] = Field(description="Pages of the official PDF the article is printed on")
    url: str = Field(description="The official PDF opened at the article's first page")

    @classmethod
    def of(cls, v: ArticleView) -> ArticleOut:
        return cls(
            number=v.number,
            title=v.title,
            chapter=v.chapter,
            chapter_title=v.chapter_title,
            text=v.text(),
            provisions=[
                ProvisionOut(
                    label=c.label,
                    paragraph=c.paragraph,
                    chapeau=c.chapeau,
                    text=c.text,
                    pages=c.pages,
                    url=c.link,
                )
                for c in v.provisions
            ],
            cross_references=v.cross_references,
            pages=v.pages,
            url=v.link,
        )


class CitationIn(BaseModel):
    label: Annotated[str, Field(max_length=200), AfterValidator(_plain)]
    source: Literal["convention", "resolution", "notes", "briefing"]
    article: int | None = Field(None, ge=0, le=1000)
    paragraph: Annotated[str, Field(max_length=50), AfterValidator(_plain)] | None = None
    quote: Text = ""


class AnswerIn(BaseModel):
    """An answer as /api/ask returned it, sent back with a rating (bounded, plain text)."""

    question: PastQuestion
    text: Text
    citations: list[CitationIn] = Field(default_factory=list, max_length=50)
    abstained: bool = False
    notice: Text = ""
    resolved_question: PastQuestion = ""


class FeedbackRequest(BaseModel):
    answer: AnswerIn = Field(description="The answer as returned by /api/ask")
    rating: Literal[-1, 1] = Field(description="+1 helpful, -1 not helpful")
    comment: Annotated[str, Field(max_length=MAX_COMMENT), AfterValidator(_plain)] = ""


class FeedbackOut(BaseModel):
    id: int


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    ready: bool = Field(description="The index and models are loaded")
    state: str = Field(
        "ready",
        description="starting, checking, building, resuming, updating, rebuilding, loading, "
        "ready or failed",
    )
    reason: str = Field("", description="Why it is not ready yet")

    @classmethod
    def of(cls, assistant: Assistant) -> Health:
        status = getattr(assistant, "status", None)
        if status is None:  # a stand-in without readiness reporting
            return cls(ready=bool(getattr(assistant, "_ready", False)))
        return cls(ready=status.ready, state=status.state, reason=status.reason)

    def response(self) -> JSONResponse:
        return JSONResponse(self.model_dump(), status_code=200 if self.ready else 503)


class Problem(BaseModel):
    """Every error response, whatever the status."""

    detail: str = Field(description="What was wrong, in one or two sentences")
    field: str | None = Field(None, description='The request field at fault, e.g. "question"')


def problem(status: int, detail: str, field: str | None = None) -> JSONResponse:
    body = Problem(detail=detail, field=field).model_dump()
    return JSONResponse(body, status, headers={"Cache-Control": "no-store"})


def _field(loc: tuple | list) -> str | None:
    """``("body", "history", 0, 1)`` -> ``"history[0][1]"``."""
    parts = [p for p in loc if p != "body"]
    if not parts:
        return None
    out = str(parts[0])
    for p in parts[1:]:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def _message(error: dict[str, Any]) -> str:
    """A pydantic error as a sentence, never echoing the input (it may not even be encodable)."""
    kind = error.get("type", "")
    if kind == "json_invalid":
        return NOT_JSON
    if kind == "string_unicode":
        return NOT_UNICODE
    if kind == "missing":
        return "This field is required."
    msg = str(error.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return msg[0].upper() + msg[1:] if msg else "Invalid value."


NOT_JSON = "The request body is not valid JSON (or not valid UTF-8)."
NOT_UNICODE = (
    "The text is not valid Unicode (it contains a lone surrogate or undecodable bytes); "
    "please send plain UTF-8 text."
)


def _to_answer(a: AnswerIn) -> Answer:
    cites = [Citation(**c.model_dump()) for c in a.citations]
    return Answer(a.question, a.text, cites, [], a.abstained, a.notice, a.resolved_question)


def _line(payload: dict) -> bytes:
    return (json.dumps(payload, ensure_ascii=False) + "\n").encode()


def _ndjson(stream: Iterator[str | Answer]) -> Iterator[bytes]:
    """NDJSON lines as ``Assistant.ask_stream`` produces the answer (Starlette pulls each item
    on a worker thread): the text so far after each delta, then the final answer."""
    shown = ""
    try:
        for item in stream:
            if isinstance(item, Answer):
                yield _line({"type": "answer", **AnswerOut.of(item).model_dump()})
                return
            if item:
                shown += item
                yield _line({"type": "delta", "text": shown})
    except Exception:  # the status line is sent: report the failure in the stream itself
        log.exception("streamed answer failed")
        yield _line(
            {"type": "error", **Problem(detail="Answering failed; please retry.").model_dump()}
        )


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, counting the bytes as they arrive:
    a chunked body (no Content-Length) is held to the limit too, and is never read further."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        message = f"The request body is too large (limit {self.limit} bytes)."
        too_big = (
            openai_compat.error_response(413, message)
            if scope["path"].startswith("/v1/")
            else problem(413, message)
        )
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await too_big(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            size += len(body)
            if size > self.limit:
                await too_big(scope, receive, send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def api_app(assistant: Assistant, feedback: FeedbackStore) -> FastAPI:
    """The FastAPI app with the HTTP API only (the page is mounted by :func:`create_app`)."""
    app = FastAPI(
        title="Convention Assistant API",
        version="1.0",
        summary="Grounded, cited answers on the UN Convention against Cybercrime (A/RES/79/243).",
        docs_url=None,
        redoc_url=None,
    )
    errors = {
        413: {"model": Problem, "description": "Request body too large"},
        422: {"model": Problem, "description": "Invalid question or request body"},
    }
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=MAX_BODY)  # every route, the page's included

    def ask(req: AskRequest) -> Answer:
        try:
            return assistant.ask(req.question, history=[tuple(t) for t in req.history])
        except InvalidQuestion as exc:
            raise HTTPException(422, str(exc)) from exc

    def ask_stream(req: AskRequest) -> Iterator[str | Answer]:
        try:
            return assistant.ask_stream(req.question, history=[tuple(t) for t in req.history])
        except InvalidQuestion as exc:
            raise HTTPException(422, str(exc)) from exc

    @app.post("/api/ask", response_model=AnswerOut, responses=errors, tags=["answers"])
    def post_ask(req: AskRequest) -> AnswerOut:
        """Answer a question with inline citations; ``abstained`` when the Convention is silent."""
        return AnswerOut.of(ask(req))

    @app.post(
        "/api/ask/stream",
        responses={
            200: {"content": {"application/x-ndjson": {}}, "description": "NDJSON lines"},
            **errors,
        },
        tags=["answers"],
    )
    async def post_ask_stream(req: AskRequest) -> StreamingResponse:
        """Streamed answer as NDJSON, sent as it is produced: ``{"type": "delta", "text":
        ...}`` lines (the text so far), then ``{"type": "answer", ...}`` (as /api/ask), whose
        text is authoritative. Bad input is a 422 before anything is streamed."""
        stream = await run_in_threadpool(ask_stream, req)
        return StreamingResponse(
            _ndjson(stream),
            media_type="application/x-ndjson",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.post("/api/feedback", response_model=FeedbackOut, responses=errors, tags=["feedback"])
    def post_feedback(req: FeedbackRequest) -> FeedbackOut:
        """Store a rating of an answer (with its question and citations) for review."""
        row = feedback.record(
            _to_answer(req.answer), req.rating, comment=req.comment, interface="api"
        )
        return FeedbackOut(id=row)

    @app.get("/api/articles", response_model=list[ArticleSummary], tags=["articles"])
    def get_articles() -> list[ArticleSummary]:
        """Every article of the Convention, in order."""
        return [
            ArticleSummary(
                number=v.number, title=v.title, chapter=v.chapter, chapter_title=v.chapter_title
            )
            for v in assistant.articles()
        ]

    @app.get(
        "/api/articles/{number}",
        response_model=ArticleOut,
        responses={404: {"model": Problem, "description": "No such article"}},
        tags=["articles"],
    )
    def get_article(number: int) -> ArticleOut:
        """One article by provision, with its cross-references."""
        view = assistant.article(number) if 0 < number < 1000 else None
        if view is None:
            raise HTTPException(
                404,
                f"The Convention has no Article {number}; its articles are numbered 1 to 68.",
            )
        return ArticleOut.of(view)

    openai_compat.install(app, assistant)

    @app.get(
        "/healthz",
        response_model=Health,
        responses={503: {"model": Health, "description": "Not ready yet, with the reason"}},
        tags=["service"],
    )
    def healthz() -> JSONResponse:
        """Readiness: 200 once the index is checked and loaded, else 503 with the reason."""
        return Health.of(assistant).response()

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> str:
        return docs_page(app.openapi())

    return app


def install_error_handlers(app: FastAPI) -> None:
    """Every error as a :class:`Problem`, with no echo of the (possibly unencodable) input."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errs = list(exc.errors())
        first = errs[0] if errs else {}
        field = None if first.get("type") == "json_invalid" else _field(first.get("loc", ()))
        return problem(422, _message(first), field)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and "parsing the body" in str(exc.detail):
            return problem(422, NOT_JSON)  # undecodable bytes: as any body that is not JSON
        field = "question" if exc.status_code == 422 else None
        return problem(exc.status_code, str(exc.detail), field)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return problem(500, "Something went wrong on the server; please retry.")


def create_app(
    assistant: Assistant | None = None,
    feedback: FeedbackStore | None = None,
    *,
    page: bool = True,
    slack: SlackConfig | None = None,
) -> FastAPI:
    """The whole web app: HTTP API, (``page``) the Gradio chat page at "/" and (``slack``) the
    Slack bot's HTTP endpoint, all over one Assistant and one shared state store."""
    from assistant.interfaces import get_assistant

    assistant = assistant or get_assistant()
    feedback = feedback or FeedbackStore(open_database(assistant.settings))
    app = api_app(assistant, feedback)
    if slack is not None:
        from assistant.interfaces.slack import add_route, make_bot

        bot = make_bot(slack, assistant.ensure_ready(), state=feedback.db)
        add_route(app, bot, slack.path)
    if page:
        import gradio as gr

        from assistant.interfaces.web import build, page_assets

        assistant.ensure_ready()
        blocks = build(assistant, feedback)
        app = gr.mount_gradio_app(
            app,
            blocks,
            path="/",
            footer_links=[],
            run_history=False,
            ssr_mode=False,
            pwa=False,
            mcp_server=False,
            enable_monitoring=False,
            max_file_size="1mb",
            **page_assets(),
        )
    return app


def app_from_env() -> FastAPI:
    """The app each worker of ``assistant serve --workers N`` builds (settings from the
    environment: ASSISTANT_SERVE_PAGE, ASSISTANT_SERVE_SLACK, ...)."""
    from assistant.settings import Settings

    settings = Settings()
    slack = None
    if settings.serve_slack:
        from assistant.interfaces.slack import SlackConfig

        slack = SlackConfig.from_env({**os.environ, "SLACK_MODE": "http"})
    return create_app(page=settings.serve_page, slack=slack)


PAGE_LOADING = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" '
    'content="2"><title>Convention Assistant</title></head><body style="font-family:system-ui">'
    "<p>The Convention Assistant is starting: this page reloads in a moment.</p></body></html>"
)


class Launcher:
    """The ASGI app the server runs from its first moment, in three phases.

    1. Until the assistant is ready (the index checked, and resumed, updated or rebuilt if it
       has to be; the models loaded), and until the API is mounted, ``/healthz`` answers 503
       with the state and the reason, every other request 503 with ``Retry-After`` (never an
       answer from a partial index, never "ready" before a request can be served).
    2. Then the HTTP API (``api``) serves while the web page is built (importing Gradio takes
       seconds): ``/healthz`` answers 200 with state ``loading-page``, the page a short
       "starting" page that reloads itself.
    3. Then the whole app (``full``) serves everything.

    When preparing fails, ``error`` holds the reason and ``on_failure`` is called."""

    def __init__(
        self,
        assistant: Assistant,
        full: Callable[[], FastAPI],
        api: Callable[[], FastAPI] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
    ):
        self.assistant = assistant
        self.full = full
        self.api = api
        self.on_failure = on_failure
        self.app: FastAPI | None = None
        self.page_ready = False
        self.error: BaseException | None = None
        self._stack = contextlib.AsyncExitStack()
        self._task: asyncio.Task | None = None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self.app is not None and (self.page_ready or scope["type"] != "http"):
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await self._starting(scope, receive, send)
        else:  # a websocket before the page exists
            await send({"type": "websocket.close", "code": 1013})

    async def _starting(self, scope, receive, send) -> None:
        path = scope["path"]
        if self.app is not None:  # phase 2: the API serves, the page is being built
            if path == "/healthz":
                health = Health(
                    ready=True,
                    state="loading-page",
                    reason="the HTTP API answers; the web page is still loading",
                )
                response = health.response()
            elif path.startswith(("/api/", "/v1/", "/openapi.json", "/docs")):
                return await self.app(scope, receive, send)
            else:
                response = HTMLResponse(PAGE_LOADING, 503, headers={"Retry-After": "2"})
            return await response(scope, receive, send)
        health = Health.of(self.assistant)
        if self.error is not None:
            health = Health(ready=False, state="failed", reason=str(self.error))
        elif health.ready:  # the index is loaded, but nothing serves yet: not ready to callers
            health = Health(
                ready=False, state="loading", reason="the index is loaded; the server is starting"
            )
        if path == "/healthz":
            response = health.response()
        elif path.startswith(("/api/", "/v1/", "/slack/", "/openapi.json", "/docs")):
            detail = f"The assistant is not ready yet ({health.state}): {health.reason}"
            response = JSONResponse({"detail": detail}, 503, headers={"Retry-After": "5"})
        else:
            response = HTMLResponse(PAGE_LOADING, 503, headers={"Retry-After": "5"})
        await response(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self._task = asyncio.create_task(self._prepare())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._task is not None and not self._task.done():
                    self._task.cancel()
                await self._stack.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _serve(self, app: FastAPI) -> None:
        await self._stack.enter_async_context(app.router.lifespan_context(app))
        self.app = app

    async def _prepare(self) -> None:
        try:
            await asyncio.to_thread(self.assistant.ensure_ready)
            if self.api is not None:
                await self._serve(self.api())
            await self._serve(await asyncio.to_thread(self.full))
            self.page_ready = True
            log.info("ready")
        except Exception as exc:  # noqa: BLE001 - reported on /healthz and to the caller
            self.error = exc
            if self.on_failure is not None:
                self.on_failure(exc)
            else:
                log.error("cannot start: %s", exc)


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    assistant: Assistant | None = None,
    *,
    workers: int = 1,
    page: bool = True,
    slack: SlackConfig | None = None,
) -> None:
    """Run the web app with uvicorn (blocking). One worker: the server listens at once,
    ``/healthz`` says when the index is ready (it may first be resumed or rebuilt), the API
    serves as soon as it is, the page once built; raises the reason when the assistant cannot be
    made ready (e.g. a damaged index with no sources to rebuild it). ``workers`` > 1 runs that
    many processes on the port (HTTP API and Slack only: the page keeps its sessions in one
    process), after the index is made ready once."""
    import uvicorn

    from assistant.interfaces import get_assistant

    base = f"http://{host}:{port}"
    if workers <= 1:
        assistant = assistant or get_assistant()
        feedback = FeedbackStore(open_database(assistant.settings))
        launcher = Launcher(
            assistant,
            full=lambda: create_app(assistant, feedback, page=page, slack=slack),
            api=lambda: api_app(assistant, feedback),
        )
        server = uvicorn.Server(uvicorn.Config(launcher, host=host, port=port, log_level="info"))

        def stop(_exc: BaseException) -> None:
            server.should_exit = True

        launcher.on_failure = stop
        print(f"Convention Assistant on {base}  (API docs: {base}/docs)")
        server.run()
        if launcher.error is not None:
            raise launcher.error
        return
    if page:
        print(
            "note: the chat page is not served by several workers (its sessions live in one "
            "process): serving the HTTP API only; run page replicas on separate ports behind a "
            "proxy with sticky sessions"
        )
    assistant = (assistant or get_assistant()).ensure_ready()  # index built once, not N times
    if not assistant.settings.chroma_host:
        print(
            "note: several workers share the embedded index read-only; for replicas and "
            "re-ingestion while serving, run a Chroma server (CHROMA_HOST)"
        )
    os.environ["ASSISTANT_SERVE_PAGE"] = "false"
    os.environ["ASSISTANT_SERVE_SLACK"] = "true" if slack is not None else "false"
    if slack is not None:  # a rejected token: one clear error here, not one per worker
        from assistant.interfaces.slack import make_bot

        make_bot(slack, assistant).close()
    print(f"Convention Assistant API on {base}, {workers} workers  (API docs: {base}/docs)")
    uvicorn.run(
        "assistant.interfaces.http_api:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )


def docs_page(schema: dict) -> str:
    """A self-contained HTML description of the OpenAPI schema (no CDN, unlike Swagger UI)."""
    rows = []
    for path, ops in schema.get("paths", {}).items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
            ref = body.get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
            params = ", ".join(p["name"] for p in op.get("parameters", []))
            codes = ", ".join(op.get("responses", {}))
            rows.append(
                f"<tr><td><code>{method.upper()}</code></td><td><code>{html.escape(path)}</code>"
                f"</td><td>{html.escape(op.get('summary', ''))}<br><small>"
                f"{html.escape(op.get('description', ''))}</small></td>"
                f"<td>{html.escape(ref or params)}</td><td>{codes}</td></tr>"
            )
    models = json.dumps(schema.get("components", {}).get("schemas", {}), indent=2)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(schema["info"]["title"])}</title><style>
body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:6px;
text-align:left;vertical-align:top}}pre{{background:#f6f8fa;padding:1em;overflow:auto}}</style>
</head><body><h1>{html.escape(schema["info"]["title"])}</h1>
<p>{html.escape(schema["info"].get("summary", ""))} Machine-readable schema:
<a href="/openapi.json">/openapi.json</a>. Chat page: <a href="/">/</a>.</p>
<table><tr><th>Method</th><th>Path</th><th>What</th><th>Body / parameters</th>
<th>Responses</th></tr>{"".join(rows)}</table>
<h2>Schemas</h2><pre>{html.escape(models)}</pre></body></html>"""
