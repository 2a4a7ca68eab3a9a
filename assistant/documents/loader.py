"""Load every source in the manifest into parsed documents (step 1 of the pipeline)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

from assistant.documents.briefing import parse_markdown, parse_plain_article
from assistant.documents.convention import parse_resolution_and_convention
from assistant.documents.fetch import FetchError, download, find_in_mirror, read_document_text
from assistant.documents.sources import Source, load_manifest
from assistant.models import BriefingDocument, Convention, Resolution
from assistant.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Corpus:
    resolution: Resolution
    convention: Convention
    briefings: list[BriefingDocument] = field(default_factory=list)
    source_hashes: dict[str, str] = field(default_factory=dict)  # source id -> sha256 of its text
    origins: dict[str, str] = field(default_factory=dict)  # source id -> file it was read from
    urls: dict[str, str] = field(default_factory=dict)  # source id -> official document URL


def locate(
    source: Source, settings: Settings, *, download_missing: bool = True, progress: bool = True
) -> Path | None:
    """Where ``source``'s file is: our corpus folder, the mirror, the cache, or a fresh download."""
    if source.path:
        path = settings.corpus_dir / source.path
        return path if path.exists() else None
    if settings.source_dir is not None:
        if not settings.source_dir.is_dir():
            raise FetchError(f"source directory {settings.source_dir} does not exist")
        hit = find_in_mirror(source, settings.source_dir)
        if hit or source.optional or not source.urls:
            return hit
        raise FetchError(
            f"{source.symbol or source.id} not found in {settings.source_dir} "
            f"(looked for {', '.join(source.mirror)})"
        )
    if not source.urls:
        return None  # mirror-only source and no mirror configured
    cached = settings.cache_dir / source.cache_name
    if cached.exists() or download_missing:
        return download(
            source, settings.cache_dir, timeout=settings.fetch_timeout, progress=progress
        )
    return None


def load_corpus(
    settings: Settings, *, download_missing: bool = True, progress: bool = True
) -> Corpus:
    resolution = convention = None
    briefings: list[BriefingDocument] = []
    hashes: dict[str, str] = {}
    origins: dict[str, str] = {}
    urls: dict[str, str] = {}
    for source in load_manifest(settings.manifest_path):
        path = locate(source, settings, download_missing=download_missing, progress=progress)
        if path is None:
            if source.optional:
                log.info("optional source %s not available; skipped", source.id)
                continue
            raise FetchError(f"source {source.id} is not available")
        text = read_document_text(path)
        hashes[source.id] = hashlib.sha256(text.encode("utf-8")).hexdigest()
        origins[source.id] = str(path)
        if source.official_url:
            urls[source.id] = source.official_url
        if source.kind == "convention":
            resolution, convention = parse_resolution_and_convention(text)
        elif path.suffix.lower() == ".md":
            briefings.append(
                parse_markdown(text, source_id=source.id, label=source.label, title=source.title)
            )
        else:
            briefings.append(
                parse_plain_article(
                    text, source_id=source.id, label=source.label, title=source.title
                )
            )
    if resolution is None or convention is None:
        raise FetchError("the manifest declares no Convention source")
    return Corpus(resolution, convention, briefings, hashes, origins, urls)
