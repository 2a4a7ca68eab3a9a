"""The web app: a FastAPI app serving the HTTP API, with the Gradio chat page mounted at "/".

    POST /api/ask              {question, history} -> Answer JSON
    POST /api/ask/stream       same body -> NDJSON (application/x-ndjson): {"type": "delta"} lines
                               with the answer text growing sentence by sentence, then one
                               {"type": "answer", ...} line with the whole Answer JSON
    POST /api/feedback         rate an answer returned by /api/ask (+1 / -1, optional comment)
    GET  /api/articles         every article (number, title, chapter)
    GET  /api/articles/{n}     one article by provision (404 outside 1..68)
    POST /v1/chat/completions  OpenAI-compatible chat (JSON or SSE), see openai_compat.py
    GET  /v1/models            the one model it serves
    GET  /healthz              liveness and readiness
    POST /slack/events         the Slack bot's events, commands and buttons (``--slack`` only)
    GET  /openapi.json, /docs  the OpenAPI schema and a self-contained page describing it

Blocking work (answering) runs in the thread pool, so one slow answer never blocks others.
"""

from __future__ import annotations

import html
import json
import logging
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from assistant.answering.guard import InvalidQuestion
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

Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION)]
PastAnswer = Annotated[str, Field(max_length=MAX_ANSWER)]


class AskRequest(BaseModel):
    question: Question = Field(examples=["Can police make a provider hand over subscriber data?"])
    history: list[tuple[Annotated[str, Field(max_length=MAX_QUESTION)], PastAnswer]] = Field(
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


class FeedbackRequest(BaseModel):
    answer: AnswerOut = Field(description="The answer as returned by /api/ask")
    rating: Literal[-1, 1] = Field(description="+1 helpful, -1 not helpful")
    comment: str = Field("", max_length=MAX_COMMENT)


class FeedbackOut(BaseModel):
    id: int


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    ready: bool = Field(description="The index and models are loaded")


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
        if too_big and request.url.path.startswith(("/api/", "/v1/")):
            message = f"request body too large (limit {MAX_BODY} bytes)"
            if request.url.path.startswith("/v1/"):
                return openai_compat.error_response(413, message)
            return JSONResponse({"detail": message}, 413)
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

    openai_compat.install(app, assistant)

    @app.get("/healthz", response_model=Health, tags=["service"])
    def healthz() -> Health:
        """Liveness; ``ready`` tells whether the index is loaded."""
        return Health(ready=bool(getattr(assistant, "_ready", False)))

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> str:
        return docs_page(app.openapi())

    return app


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


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    assistant: Assistant | None = None,
    *,
    workers: int = 1,
    page: bool = True,
    slack: SlackConfig | None = None,
) -> None:
    """Run the web app with uvicorn (blocking); ``workers`` > 1 runs that many processes on
    the port (HTTP API and Slack only: the page keeps its sessions in one process)."""
    import uvicorn

    from assistant.interfaces import get_assistant

    base = f"http://{host}:{port}"
    if workers <= 1:
        app = create_app(assistant, page=page, slack=slack)
        print(f"Convention Assistant on {base}  (API docs: {base}/docs)")
        uvicorn.run(app, host=host, port=port, log_level="info")
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
