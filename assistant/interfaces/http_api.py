"""The web app: a FastAPI app serving the HTTP API, with the Gradio chat page mounted at "/".

    POST /api/ask              {question, history} -> Answer JSON
    POST /api/ask/stream       same body -> NDJSON (application/x-ndjson): {"type": "delta"} lines
                               with the answer text growing sentence by sentence, then one
                               {"type": "answer", ...} line with the whole Answer JSON
    POST /api/feedback         rate an answer returned by /api/ask (+1 / -1, optional comment)
    GET  /api/articles         every article (number, title, chapter)
    GET  /api/articles/{n}     one article by provision (404 outside 1..68)
    GET  /healthz              readiness: 200 when ready; 503 with the reason while the index is
                               checked, resumed or rebuilt (the server listens from the start)
    GET  /openapi.json, /docs  the OpenAPI schema and a self-contained page describing it

Blocking work (answering) runs in the thread pool, so one slow answer never blocks others.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import os
from collections.abc import Callable, Iterator
from typing import Annotated, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from assistant.answering.guard import InvalidQuestion
from assistant.core import ArticleView, Assistant
from assistant.feedback import MAX_COMMENT, FeedbackStore
from assistant.models import Answer, Citation

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
log = logging.getLogger(__name__)

MAX_QUESTION = 4000
MAX_ANSWER = 16000
MAX_TURNS = 20
MAX_BODY = 512 * 1024  # bytes

Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION)]
PastAnswer = Annotated[str, Field(max_length=MAX_ANSWER)]


class AskRequest(BaseModel):
    question: Question = Field(examples=["Can police make a provider hand over subscriber data?"])
    history: list[tuple[Annotated[str, Field(max_length=MAX_QUESTION)], PastAnswer]] = Field(
        default_factory=list,
        max_length=MAX_TURNS,
        description="Earlier turns, oldest first, as [question, answer] pairs (at most 20).",
    )


class CitationOut(BaseModel):
    label: str = Field(examples=["Art. 27(b)"])
    source: str = Field(description='"convention", "resolution", "notes" or "briefing"')
    article: int | None
    paragraph: str | None
    quote: str = Field(description="The exact text of the cited provision")


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


class ArticleSummary(BaseModel):
    number: int
    title: str
    chapter: int | None
    chapter_title: str


class ArticleOut(ArticleSummary):
    text: str = Field(description="The whole article as plain text")
    provisions: list[ProvisionOut]
    cross_references: list[int] = Field(description="Other articles this article refers to")

    @classmethod
    def of(cls, v: ArticleView) -> ArticleOut:
        return cls(
            number=v.number,
            title=v.title,
            chapter=v.chapter,
            chapter_title=v.chapter_title,
            text=v.text(),
            provisions=[
                ProvisionOut(label=c.label, paragraph=c.paragraph, chapeau=c.chapeau, text=c.text)
                for c in v.provisions
            ],
            cross_references=v.cross_references,
        )


class FeedbackRequest(BaseModel):
    answer: AnswerOut = Field(description="The answer as returned by /api/ask")
    rating: Literal[-1, 1] = Field(description="+1 helpful, -1 not helpful")
    comment: str = Field("", max_length=MAX_COMMENT)


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
    detail: str


def _to_answer(a: AnswerOut) -> Answer:
    cites = [Citation(**c.model_dump()) for c in a.citations]
    return Answer(a.question, a.text, cites, [], a.abstained, a.notice, a.resolved_question)


def _ndjson(answer: Answer) -> Iterator[bytes]:
    from assistant.interfaces.web import stream_segments

    for shown in stream_segments(answer.text):
        yield (json.dumps({"type": "delta", "text": shown}, ensure_ascii=False) + "\n").encode()
    final = {"type": "answer", **AnswerOut.of(answer).model_dump()}
    yield (json.dumps(final, ensure_ascii=False) + "\n").encode()


def api_app(assistant: Assistant, feedback: FeedbackStore) -> FastAPI:
    """The FastAPI app with the HTTP API only (the page is mounted by :func:`create_app`)."""
    app = FastAPI(
        title="Convention Assistant API",
        version="1.0",
        summary="Grounded, cited answers on the UN Convention against Cybercrime (A/RES/79/243).",
        docs_url=None,
        redoc_url=None,
    )
    errors = {422: {"model": Problem, "description": "Invalid question or request body"}}

    @app.middleware("http")
    async def limit_body(request: Request, call_next):
        size = request.headers.get("content-length")
        too_big = size is not None and size.isdigit() and int(size) > MAX_BODY
        if too_big and request.url.path.startswith("/api/"):
            return JSONResponse({"detail": f"request body too large (limit {MAX_BODY} bytes)"}, 413)
        return await call_next(request)

    def ask(req: AskRequest) -> Answer:
        try:
            return assistant.ask(req.question, history=[tuple(t) for t in req.history])
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
        """Streamed answer as NDJSON: ``{"type": "delta", "text": ...}`` lines (the text so
        far, one more cited sentence each), then ``{"type": "answer", ...}`` (as /api/ask)."""
        answer = await run_in_threadpool(ask, req)
        return StreamingResponse(_ndjson(answer), media_type="application/x-ndjson")

    @app.post("/api/feedback", response_model=FeedbackOut, tags=["feedback"])
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


def create_app(
    assistant: Assistant | None = None,
    feedback: FeedbackStore | None = None,
    *,
    page: bool = True,
) -> FastAPI:
    """The whole web app: HTTP API plus (``page``) the Gradio chat page at "/"."""
    import gradio as gr

    from assistant.interfaces import get_assistant
    from assistant.interfaces.web import build, page_assets

    assistant = assistant or get_assistant()
    feedback = feedback or FeedbackStore(assistant.settings.feedback_db)
    app = api_app(assistant, feedback)
    if page:
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


PAGE_LOADING = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" '
    'content="2"><title>Convention Assistant</title></head><body style="font-family:system-ui">'
    "<p>The Convention Assistant is starting: this page reloads in a moment.</p></body></html>"
)


class Launcher:
    """The ASGI app the server runs from its first moment, in three phases.

    1. Until the assistant is ready (the index checked, and resumed, updated or rebuilt if it
       has to be; the models loaded) ``/healthz`` answers 503 with the state and the reason,
       every other request 503 with ``Retry-After`` (never an answer from a partial index).
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
            elif path.startswith(("/api/", "/openapi.json", "/docs")):
                return await self.app(scope, receive, send)
            else:
                response = HTMLResponse(PAGE_LOADING, 503, headers={"Retry-After": "2"})
            return await response(scope, receive, send)
        health = Health.of(self.assistant)
        if self.error is not None:
            health = Health(ready=False, state="failed", reason=str(self.error))
        if path == "/healthz":
            response = health.response()
        elif path.startswith(("/api/", "/openapi.json", "/docs")):
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


def serve(host: str = "127.0.0.1", port: int = 7860, assistant: Assistant | None = None) -> None:
    """Run the web app with uvicorn (blocking). The server listens at once; ``/healthz`` says
    when the index is ready (it may first be resumed or rebuilt), the API serves as soon as it
    is, the page once built. Raises the reason when the assistant cannot be made ready (e.g. a
    damaged index with no sources to rebuild it)."""
    import uvicorn

    from assistant.interfaces import get_assistant

    assistant = assistant or get_assistant()
    feedback = FeedbackStore(assistant.settings.feedback_db)
    launcher = Launcher(
        assistant,
        full=lambda: create_app(assistant, feedback),
        api=lambda: api_app(assistant, feedback),
    )
    config = uvicorn.Config(launcher, host=host, port=port, log_level="info")
    server = uvicorn.Server(config)

    def stop(_exc: BaseException) -> None:
        server.should_exit = True

    launcher.on_failure = stop
    print(f"Convention Assistant on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    server.run()
    if launcher.error is not None:
        raise launcher.error


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
