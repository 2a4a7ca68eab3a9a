"""Downloading the official PDF, against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import socket
import threading

import pymupdf
import pytest

from assistant.documents.fetch import FetchError, download, find_in_mirror, read_document_text
from assistant.documents.sources import Source


def _pdf_bytes(text: str) -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text)
    return doc.tobytes()


@pytest.fixture()
def server():
    pdf = _pdf_bytes("Synthetic treaty. Article 1 Purpose")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path.startswith("/api/symbol/access"):
                self.send_response(302)
                self.send_header("Location", "/files/doc.pdf")
                self.end_headers()
            elif self.path == "/files/doc.pdf":
                self.send_response(200)
                self.send_header("Content-Type", "application/pdf")
                self.send_header("Content-Length", str(len(pdf)))
                self.end_headers()
                self.wfile.write(pdf)
            else:
                body = b"<html><script>viewer</script></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def _source(*urls: str) -> Source:
    return Source(id="t", kind="convention", title="T", symbol="A/RES/79/243", urls=urls)


def test_download_follows_redirect_and_caches(server, tmp_path):
    path = download(
        _source(f"{server}/api/symbol/access?s=A/RES/79/243&l=en&t=pdf"), tmp_path, progress=False
    )
    assert path.name == "A_RES_79_243_en.pdf"
    assert path.read_bytes().startswith(b"%PDF-")
    assert "Synthetic treaty" in read_document_text(path)
    mtime = path.stat().st_mtime_ns
    download(_source("http://127.0.0.1:9/never-called"), tmp_path, progress=False)  # cached
    assert path.stat().st_mtime_ns == mtime


def test_a_web_page_is_not_taken_for_the_document(server, tmp_path):
    with pytest.raises(FetchError, match="did not return a PDF"):
        download(_source(f"{server}/en/A/RES/79/243"), tmp_path, progress=False)
    assert not list(tmp_path.iterdir())


def test_offline_gives_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="ASSISTANT_SOURCE_DIR"):
        download(_source(f"http://127.0.0.1:{port}/x.pdf"), tmp_path, timeout=2, progress=False)


def test_mirror_lookup_prefers_patterns_in_order(tmp_path):
    (tmp_path / "A_RES_79_243_text.txt").write_text("text")
    (tmp_path / "A_RES_79_243_x.json").write_text('{"text": "json text"}')
    src = Source(
        id="t",
        kind="convention",
        title="T",
        mirror=("A_RES_79_243*.pdf", "A_RES_79_243*.json", "A_RES_79_243*.txt"),
    )
    hit = find_in_mirror(src, tmp_path)
    assert hit.suffix == ".json" and read_document_text(hit) == "json text"
