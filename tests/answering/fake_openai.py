"""A real OpenAI-compatible HTTP server on 127.0.0.1 that replays scripted completions.

``POST /v1/chat/completions`` answers with the next scripted :class:`Reply` (JSON, or SSE chunks
when the request asks for ``"stream": true``); a reply can be delayed (timeouts), trickle in
(a delay between stream chunks), be cut off (the stream stops after some chunks, with no finish
reason), end with another finish reason ("length"), be an HTTP error, a malformed body, or close
the connection without answering. A scripted reply may also be a function of the
request body (to cite the labels of the passages the prompt actually carried). Every request
body is recorded in ``requests``.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Reply:
    content: str = ""
    status: int = 200
    delay: float = 0.0  # seconds before answering
    close: bool = False  # drop the connection without a response
    chunk_delay: float = 0.0  # seconds between stream chunks (a reply that trickles in)
    cut_after: int | None = None  # stream: stop after this many chunks (no finish, no [DONE])
    finish: str = "stop"  # the finish reason sent with the last chunk / the completion
    raw: bytes | None = None  # send this body as it is (HTTP 200), e.g. malformed JSON


Script = Reply | str | Callable[[dict], "Reply | str"]


def passages_in(body: dict) -> list[tuple[str, str]]:
    """``(label, text)`` of the passages listed in an answer prompt ("[label] where: text")."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return re.findall(r"^\[([^\]]+)\] [^:\n]*: (.+)$", user, flags=re.M)


class FakeOpenAI:
    def __init__(self) -> None:
        self.replies: deque[Script] = deque()
        self.requests: list[dict] = []
        self.default: Script | None = None  # the reply once the script is used up
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # client hung up: fine
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def script(self, *replies: Script, default: Script | None = None) -> None:
        self.default = default
        self.replies.clear()
        self.requests.clear()
        self.replies.extend(replies)

    def _next(self, body: dict) -> Reply:
        with self._lock:
            item = self.replies.popleft() if self.replies else self.default
        if item is None:
            return Reply("no scripted reply left", status=500)
        item = item(body) if callable(item) else item
        return Reply(item) if isinstance(item, str) else item

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                if self.path.rstrip("/") != "/v1/chat/completions":
                    self._json(404, {"error": {"message": "not found"}})
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                reply = fake._next(body)
                time.sleep(reply.delay)
                if reply.close:
                    self.close_connection = True
                    return
                if reply.raw is not None:
                    self._raw(body, reply.raw)
                elif reply.status != 200:
                    error = {"message": reply.content or "error", "type": "server_error"}
                    self._json(reply.status, {"error": error})
                elif body.get("stream"):
                    self._sse(body, reply)
                else:
                    self._json(
                        200, completion(body, reply.content, reply.finish), reply.chunk_delay
                    )

            def _raw(self, body: dict, data: bytes) -> None:
                self.send_response(200)
                kind = "text/event-stream" if body.get("stream") else "application/json"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _json(self, status: int, payload: dict, trickle: float = 0.0) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                step = 16 if trickle else len(data)  # trickle: 16 bytes at a time
                for i in range(0, len(data), step):
                    if i:
                        time.sleep(trickle)
                    try:
                        self.wfile.write(data[i : i + step])
                        self.wfile.flush()
                    except OSError:  # the client stopped reading
                        return

            def _sse(self, body: dict, reply: Reply) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = re.findall(r"\S+\s*|\s+", reply.content)
                deltas = [{"role": "assistant", "content": ""}] + [{"content": p} for p in pieces]
                for i, delta in enumerate(deltas + [{}]):
                    if reply.cut_after is not None and i >= reply.cut_after:
                        self.close_connection = True
                        return  # cut off: no finish reason, no [DONE]
                    if i and reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
                    finish = reply.finish if i == len(deltas) else None
                    try:
                        self._event(chunk(body, delta, finish))
                    except OSError:  # the client stopped reading
                        return
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

            def _event(self, payload: dict) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

        return Handler


def completion(body: dict, content: str, finish: str = "stop") -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


def chunk(body: dict, delta: dict, finish: str | None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", "fake"),
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
