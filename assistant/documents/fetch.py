"""Obtain the official documents: download from the UN (cached) or read a local mirror."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
from tqdm import tqdm

from assistant.documents.sources import Source

log = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
USER_AGENT = "convention-assistant/0.1 (+https://www.unodc.org/unodc/en/cybercrime/convention/)"


class FetchError(RuntimeError):
    """A document could not be obtained; the message says what to do."""


def download(
    source: Source,
    cache_dir: Path,
    *,
    timeout: float = 60.0,
    force: bool = False,
    progress: bool = True,
) -> Path:
    """Download ``source``'s official PDF into ``cache_dir`` (skipped when cached) and return it."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = cache_dir / source.cache_name
    if target.exists() and not force and _is_pdf(target):
        return target
    if not source.urls:
        raise FetchError(f"{source.id}: no download location in the manifest")
    errors = []
    for url in source.urls:
        try:
            _stream_to(url, target, timeout=timeout, progress=progress, label=source.symbol)
        except (httpx.HTTPError, FetchError, OSError) as exc:
            errors.append(f"{url}: {exc}")
            continue
        return target
    raise FetchError(
        f"could not download {source.symbol} ({'; '.join(errors)}). If this machine is offline, "
        "point --source-dir / ASSISTANT_SOURCE_DIR at a local mirror of the documents."
    )


def _stream_to(url: str, target: Path, *, timeout: float, progress: bool, label: str) -> None:
    partial = target.with_suffix(".part")
    with (
        httpx.Client(
            follow_redirects=True, timeout=timeout, headers={"User-Agent": USER_AGENT}
        ) as client,
        client.stream("GET", url) as resp,
    ):
        resp.raise_for_status()
        total = int(resp.headers.get("content-length") or 0) or None
        with (
            partial.open("wb") as fh,
            tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                desc=f"Downloading {label}",
                disable=not progress,
            ) as bar,
        ):
            for block in resp.iter_bytes():
                fh.write(block)
                bar.update(len(block))
    if not _is_pdf(partial):
        partial.unlink(missing_ok=True)
        raise FetchError(f"{url} did not return a PDF (got a web page or a redirect stub)")
    partial.replace(target)


def _is_pdf(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(PDF_MAGIC)) == PDF_MAGIC


def find_in_mirror(source: Source, mirror_dir: Path) -> Path | None:
    """First file in ``mirror_dir`` matching the source's mirror patterns (in pattern order)."""
    for pattern in source.mirror:
        hits = sorted(mirror_dir.glob(pattern))
        if hits:
            return hits[0]
    return None


def pdf_text(path: Path) -> str:
    """Page text of a PDF with PyMuPDF, pages joined by newlines (the layout the parser expects)."""
    import pymupdf

    with pymupdf.open(path) as doc:
        return "\n".join(page.get_text() for page in doc)


def read_document_text(path: Path) -> str:
    """Text of a mirror or cached file: PDF (extracted), JSON (field ``text``) or plain text."""
    if path.suffix.lower() == ".pdf" or _is_pdf(path):
        return pdf_text(path)
    raw = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        import json

        return json.loads(raw)["text"]
    return raw
