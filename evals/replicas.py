"""Throughput of the HTTP API with 1 and with N worker processes against one Chroma server.

``python -m evals.replicas [--workers 1 2] [--clients 8] [--seconds 40]``: serves a copy of the
index (``<data dir>/chroma``) with a Chroma server on 127.0.0.1, starts ``assistant serve
--no-page --workers N`` against it (state in a temporary SQLite store), warms it up, then keeps
``--clients`` concurrent callers asking the tuning set's questions (``POST /api/ask``) for
``--seconds`` seconds. Prints answers per second, latency p50/p95 and errors for each worker
count; it asserts nothing. Traffic goes to 127.0.0.1 only; every loop is bounded in time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from assistant.settings import Settings
from evals.metrics import percentile

GOLD = Path(__file__).with_name("gold.jsonl")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{proc.args[0]} exited with status {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def questions() -> list[str]:
    """The tuning set's answerable questions (never the frozen test set)."""
    rows = [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()]
    return [r["question"] for r in rows if not r["history"] and not r["should_abstain"]][:120]


def load(base: str, qs: list[str], clients: int, seconds: float) -> dict:
    """``clients`` callers asking in a loop for ``seconds``: answers/s, latency, errors."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def caller(offset: int) -> None:
        i = offset
        with httpx.Client(base_url=base, timeout=120) as client:
            while time.monotonic() < stop_at:
                q = qs[i % len(qs)]
                i += clients
                t = time.perf_counter()
                try:
                    ok = client.post("/api/ask", json={"question": q}).status_code == 200
                except httpx.HTTPError:
                    ok = False
                with lock:
                    if ok:
                        latencies.append(time.perf_counter() - t)
                    else:
                        errors[0] += 1

    start = time.monotonic()
    threads = [threading.Thread(target=caller, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    return {
        "answers": len(latencies),
        "per_s": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.5) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "errors": errors[0],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.replicas")
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--clients", type=int, default=8, help="concurrent callers")
    ap.add_argument("--seconds", type=float, default=40.0, help="measured time per run")
    args = ap.parse_args(argv)
    settings = Settings()
    if not (settings.chroma_dir / "chroma.sqlite3").exists():
        raise SystemExit(f"no index in {settings.chroma_dir}: run `assistant ingest` first")
    exe = Path(sys.executable)
    work = Path(tempfile.mkdtemp(prefix="replicas-"))
    shutil.copytree(settings.chroma_dir, work / "chroma")
    chroma_port = _port()
    chroma = subprocess.Popen(
        [str(exe.with_name("chroma")), "run", "--path", str(work / "chroma")]
        + ["--host", "127.0.0.1", "--port", str(chroma_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    qs = questions()
    rows = []
    try:
        _wait(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", chroma, 60)
        for n in args.workers:
            port = _port()
            env = {
                **os.environ,
                "CHROMA_HOST": "127.0.0.1",
                "CHROMA_PORT": str(chroma_port),
                "ASSISTANT_DATA_DIR": str(work / f"data-{n}"),
                "ASSISTANT_DATABASE_URL": f"sqlite:///{work / 'state.sqlite3'}",
            }
            log = (work / f"serve-{n}.log").open("wb")
            app = subprocess.Popen(
                [str(exe.with_name("assistant")), "serve", "--no-page", "--port", str(port)]
                + ["--workers", str(n)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                _wait(f"{base}/healthz", app, 300)
                load(base, qs, args.clients, min(10.0, args.seconds))  # warm every worker
                result = load(base, qs, args.clients, args.seconds)
                rows.append((n, result))
                print(
                    f"{n} worker(s): {result['per_s']:.1f} answers/s "
                    f"({result['answers']} in {args.seconds:.0f} s, {args.clients} clients), "
                    f"p50 {result['p50'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms, "
                    f"{result['errors']} errors",
                    flush=True,
                )
            finally:
                _stop(app)
                log.close()
    finally:
        _stop(chroma)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{os.cpu_count()} CPU cores; {args.clients} concurrent clients; Chroma server")
    print("| workers | answers/s | p50 | p95 | errors |\n|---|---|---|---|---|")
    for n, r in rows:
        print(
            f"| {n} | {r['per_s']:.1f} | {r['p50'] * 1000:.0f} ms | {r['p95'] * 1000:.0f} ms "
            f"| {r['errors']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
