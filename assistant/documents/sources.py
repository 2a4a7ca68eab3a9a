"""The source manifest (``corpus/sources.toml``): what documents exist and where they come from."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Source:
    id: str
    kind: str  # "convention" | "briefing"
    title: str
    symbol: str = ""
    language: str = "en"
    urls: tuple[str, ...] = ()
    mirror: tuple[str, ...] = ()  # glob patterns inside a mirror directory
    path: str = ""  # file inside corpus/ (our own notes)
    label: str = ""
    optional: bool = False
    landing_page: str = ""
    extra: dict = field(default_factory=dict, hash=False, compare=False)

    @property
    def official_url(self) -> str:
        """Where readers open the official document (the first download location), or ""."""
        return self.urls[0] if self.urls else ""

    @property
    def cache_name(self) -> str:
        """File name of the downloaded copy, e.g. ``A_RES_79_243_en.pdf``."""
        return f"{self.symbol.replace('/', '_')}_{self.language}.pdf"


def load_manifest(path: Path) -> list[Source]:
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    known = set(Source.__dataclass_fields__) - {"extra"}
    out = []
    for raw in data.get("source", []):
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in raw.items() if k in known}
        extra = {k: v for k, v in raw.items() if k not in known}
        out.append(Source(**kwargs, extra=extra))
    ids = [s.id for s in out]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate source ids in {path}")
    return out
