"""JSON shapes shared by the HTTP API, the OpenAI-compatible endpoint and the MCP server."""

from __future__ import annotations

from pydantic import BaseModel, Field

from assistant.models import Citation


class CitationOut(BaseModel):
    label: str = Field(examples=["Art. 27(b)"])
    source: str = Field(description='"convention", "resolution", "notes" or "briefing"')
    article: int | None
    paragraph: str | None
    quote: str = Field(description="The exact text of the cited provision")
    pages: list[int] = Field(
        default_factory=list, description="Pages of the official PDF the provision is printed on"
    )
    url: str = Field(
        "", description="The official PDF opened at that page (…#page=N); empty for briefings"
    )

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        return cls(**vars(c))
