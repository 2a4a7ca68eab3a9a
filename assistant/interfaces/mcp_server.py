"""The assistant as a Model Context Protocol server (official ``mcp`` SDK, ``MCPServer``).

Tools (structured results; descriptions in ``assistant/prompts/mcp.toml`` tell the calling
model to quote the labels as given and to treat an abstention as "the Convention does not say"):

    ask_convention(question, history?)  answer, citations (label, quote, pages, url), abstained
    search_convention(query, k)         the best passages with their labels and pages
    get_article(number)                 one article's text, provisions and labels

Resources: ``convention://article/1`` ... ``convention://article/68`` (listed), and the template
``convention://article/{number}`` for any number (a clear error outside 1-68).

``assistant mcp`` serves over stdio (what desktop assistants launch); ``assistant mcp --http``
serves streamable HTTP on http://127.0.0.1:8765/mcp. Thin over the one Assistant.
"""

from __future__ import annotations

import logging
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from assistant.answering.guard import InvalidQuestion
from assistant.core import ArticleView, Assistant
from assistant.interfaces.schemas import CitationOut
from assistant.models import Passage, pages_text
from assistant.prompts import table

log = logging.getLogger(__name__)

NAME = "convention-assistant"
HTTP_PATH = "/mcp"
DEFAULT_PORT = 8765
MAX_TURNS = 20
LAST_ARTICLE = 68
READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


class Turn(BaseModel):
    question: str = Field(max_length=4000)
    answer: str = Field("", max_length=16000)


class AskResult(BaseModel):
    answer: str = Field(description="The answer; every sentence ends with labels like [Art. 27(b)]")
    citations: list[CitationOut] = Field(description="Each cited provision, quoted, with its page")
    abstained: bool = Field(description="True: the Convention does not answer the question")
    notice: str = Field(description="Why it abstained, or another note for the user")
    resolved_question: str = Field(description="The question as understood (follow-ups resolved)")


class PassageOut(BaseModel):
    label: str = Field(description="Citation label, e.g. Art. 27(b)")
    source: str = Field(description='"convention", "resolution", "notes" or "briefing"')
    article: int | None
    paragraph: str | None
    title: str = Field(description="Article title (or section heading)")
    text: str = Field(description="The provision, with its lead-in and closing words")
    pages: list[int] = Field(description="Pages of the official PDF")
    url: str = Field(description="The official PDF at that page")

    @classmethod
    def of(cls, p: Passage) -> PassageOut:
        return cls(
            label=p.label,
            source=str(p.source),
            article=p.article,
            paragraph=p.paragraph,
            title=p.title,
            text=p.sentence(),
            pages=p.pages,
            url=p.link,
        )


class SearchResult(BaseModel):
    passages: list[PassageOut]


class ProvisionOut(BaseModel):
    label: str
    paragraph: str | None
    text: str = Field(description="The provision, with its lead-in and closing words")
    pages: list[int]


class ArticleResult(BaseModel):
    number: int
    title: str
    chapter: int | None
    chapter_title: str
    text: str = Field(description="The whole article as printed")
    provisions: list[ProvisionOut] = Field(description="Its provisions with their labels")
    cross_references: list[int] = Field(description="Other articles it refers to")
    pages: list[int] = Field(description="Pages of the official PDF")
    url: str = Field(description="The official PDF at the article's first page")

    @classmethod
    def of(cls, v: ArticleView) -> ArticleResult:
        return cls(
            number=v.number,
            title=v.title,
            chapter=v.chapter,
            chapter_title=v.chapter_title,
            text=v.text(),
            provisions=[
                ProvisionOut(label=c.label, paragraph=c.paragraph, text=c.sentence(), pages=c.pages)
                for c in v.provisions
            ],
            cross_references=v.cross_references,
            pages=v.pages,
            url=v.link,
        )


def article_markdown(v: ArticleView) -> str:
    """An article as a resource: heading, official page link, text, the labels to cite."""
    lines = [
        f"# Article {v.number}. {v.title}",
        f"Chapter {v.chapter}: {v.chapter_title}",
    ]
    if v.link:
        lines.append(f"Official text ({v.pages_text}): {v.link}")
    lines += ["", v.text(), "", "Cite as: " + ", ".join(c.label for c in v.provisions)]
    if v.cross_references:
        lines.append("Refers to articles: " + ", ".join(map(str, v.cross_references)))
    return "\n".join(lines)


def _no_article(number: int) -> str:
    return f"The Convention has no Article {number}; its articles are numbered 1 to {LAST_ARTICLE}."


def build_server(assistant: Assistant) -> MCPServer:
    """The MCP server over ``assistant`` (loaded first: resources are listed per article)."""
    texts = table("mcp")
    assistant.ensure_ready()
    mcp = MCPServer(
        name=NAME,
        title="Convention Assistant",
        description="Cited answers on the UN Convention against Cybercrime (A/RES/79/243).",
        instructions=texts["instructions"].strip(),
        version="1.0",
        log_level="WARNING",
    )

    @mcp.tool(
        title="Ask the Convention",
        description=texts["ask_convention"].strip(),
        annotations=READ_ONLY,
    )
    def ask_convention(
        question: Annotated[
            str, Field(description="The question, in plain language", max_length=4000)
        ],
        history: Annotated[
            list[Turn] | None,
            Field(description="Earlier turns, oldest first", max_length=MAX_TURNS),
        ] = None,
    ) -> AskResult:
        turns = [(t.question, t.answer) for t in history or []]
        try:
            a = assistant.ask(question, history=turns)
        except InvalidQuestion as exc:
            raise ToolError(str(exc)) from exc
        return AskResult(
            answer=a.text,
            citations=[CitationOut.of(c) for c in a.citations],
            abstained=a.abstained,
            notice=a.notice,
            resolved_question=a.resolved_question,
        )

    @mcp.tool(
        title="Search the Convention",
        description=texts["search_convention"].strip(),
        annotations=READ_ONLY,
    )
    def search_convention(
        query: Annotated[str, Field(description="What to look for", max_length=4000)],
        k: Annotated[int, Field(description="How many passages (1-20)", ge=1, le=20)] = 5,
    ) -> SearchResult:
        try:
            passages = assistant.retrieve(query, k=k)
        except InvalidQuestion as exc:
            raise ToolError(str(exc)) from exc
        return SearchResult(passages=[PassageOut.of(p) for p in passages])

    @mcp.tool(
        title="Read an article",
        description=texts["get_article"].strip(),
        annotations=READ_ONLY,
    )
    def get_article(
        number: Annotated[int, Field(description="Article number, 1 to 68")],
    ) -> ArticleResult:
        view = assistant.article(number) if 0 < number < 1000 else None
        if view is None:
            raise ToolError(_no_article(number))
        return ArticleResult.of(view)

    for view in assistant.articles():
        mcp.add_resource(
            FunctionResource.from_function(
                fn=lambda v=view: article_markdown(v),
                uri=f"convention://article/{view.number}",
                name=f"article-{view.number}",
                title=f"Article {view.number}. {view.title}",
                description=texts["article_resource"].format(
                    number=view.number, title=view.title, pages=pages_text(view.pages)
                ),
                mime_type="text/markdown",
            )
        )

    @mcp.resource(
        "convention://article/{number}",
        name="article",
        title="Article of the Convention",
        description=texts["article_template"].strip(),
        mime_type="text/markdown",
    )
    def article_by_number(number: str) -> str:
        n = int(number) if number.isdigit() else -1
        view = assistant.article(n) if 0 < n < 1000 else None
        if view is None:
            raise ResourceError(_no_article(n) if n >= 0 else f"{number!r} is not an article")
        return article_markdown(view)

    return mcp


def serve(
    assistant: Assistant,
    *,
    transport: str = "stdio",
    host: str = "127.0.0.1",
    port: int = DEFAULT_PORT,
) -> None:
    """Run the MCP server (blocking): ``stdio`` or ``streamable-http`` on ``host:port``."""
    server = build_server(assistant)
    if transport == "stdio":
        server.run("stdio")
    else:
        log.warning("MCP server on http://%s:%d%s", host, port, HTTP_PATH)
        server.run("streamable-http", host=host, port=port, streamable_http_path=HTTP_PATH)
