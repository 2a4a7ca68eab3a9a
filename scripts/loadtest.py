"""Load test of the HTTP API: 1, 8 and 32 concurrent users against a server on 127.0.0.1.

    python scripts/loadtest.py                      # starts `assistant serve` on a free port
    python scripts/loadtest.py --users 1 8 32 --duration 30 --think 3
    python scripts/loadtest.py --url http://127.0.0.1:7860 --pid 1234   # a running server

Each virtual user asks a question (``POST /api/ask``, from a fixed list of plain-language
questions written for this script, not from any evaluation set), waits for the whole answer,
"reads" it for a random think time (exponential, mean ``--think`` seconds; 0 = back to back, a
saturation test) and asks again, for ``--duration`` seconds per level; with a think time the users
arrive spread over the first think time rather than all in the same instant (a burst of 32
simultaneous first questions would otherwise be most of a level's p95). A single user always asks
back to back: its latency is the unloaded latency the other levels are compared with, measured
on enough requests for a p95. Reported per level:
requests, errors (non-200 or no answer), throughput, latency p50/p95/max, and the server's
resident memory (peak RSS sampled from /proc every 0.2 s, and its high-water mark VmHWM).

Bounded and local by construction: loopback addresses only (any other host is refused), at most
``--max-requests`` per level, a per-request timeout, and the server it starts is stopped at the
end. Writes a Markdown table (``--out``, default stdout) and ``--json`` figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

QUESTIONS = [
    "Can police make a provider hand over subscriber data?",
    "When does the Convention enter into force?",
    "What safeguards protect human rights?",
    "Does the Convention criminalise illegal access to a computer system?",
    "How can a State ask another State to preserve stored data?",
    "What does Article 14 say?",
    "Can a country refuse to extradite its own nationals?",
    "What is the 24/7 network?",
    "Are companies liable for offences under the Convention?",
    "How are the proceeds of crime confiscated and returned?",
    "What counts as child sexual abuse material under the treaty?",
    "Is real-time collection of traffic data covered?",
    "How can States settle disputes about the Convention?",
    "What does the Convention say about protecting witnesses?",
    "Who can sign the Convention?",
    "What is the capital of France?",  # an abstention costs too
]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass
class Level:
    users: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    throughput: float = 0.0  # answers per second
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    rss_peak_mb: float = 0.0  # sampled during the level
    hwm_mb: float = 0.0  # the server's VmHWM after the level
    error_kinds: dict[str, int] = field(default_factory=dict)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_mb(pid: int, key: str) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_level(url: str, pid: int | None, users: int, args: argparse.Namespace) -> Level:
    level = Level(users)
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + args.duration
    budget = [args.max_requests]
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            if pid:
                peak[0] = max(peak[0], proc_mb(pid, "VmRSS"))
            done.wait(0.2)

    def user(n: int) -> None:
        rng = random.Random(n)
        if args.think > 0 and users > 1:  # users arrive over one think time, not all at once
            time.sleep(rng.uniform(0, args.think))
        with httpx.Client(base_url=url, timeout=args.timeout) as client:
            while time.monotonic() < stop_at:
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                question = rng.choice(QUESTIONS)
                t0 = time.perf_counter()
                kind = ""
                try:
                    r = client.post("/api/ask", json={"question": question})
                    if r.status_code != 200:
                        kind = f"HTTP {r.status_code}"
                    elif "text" not in r.json():
                        kind = "no answer"
                except httpx.HTTPError as e:
                    kind = type(e).__name__
                ms = (time.perf_counter() - t0) * 1000
                with lock:
                    level.requests += 1
                    if kind:
                        level.errors += 1
                        level.error_kinds[kind] = level.error_kinds.get(kind, 0) + 1
                    else:
                        latencies.append(ms)
                if args.think > 0 and users > 1:
                    time.sleep(min(rng.expovariate(1 / args.think), 4 * args.think))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.monotonic()
    with ThreadPoolExecutor(users) as pool:
        list(pool.map(user, range(users)))
    level.seconds = time.monotonic() - start
    done.set()
    sampler.join()
    ok = len(latencies)
    level.throughput = ok / level.seconds if level.seconds else 0.0
    level.p50_ms = statistics.median(latencies) if latencies else 0.0
    level.p95_ms = percentile(latencies, 0.95)
    level.max_ms = max(latencies, default=0.0)
    level.rss_peak_mb = peak[0]
    level.hwm_mb = proc_mb(pid, "VmHWM") if pid else 0.0
    return level


def start_server(port: int) -> subprocess.Popen:
    env = {**os.environ, "ASSISTANT_PORT": str(port)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "assistant.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"error: the server exited with status {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json().get("ready"):
                return proc
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("error: the server did not become ready within 10 minutes")


def table(levels: list[Level], args: argparse.Namespace, load: float | None = None) -> str:
    think = f"think time {args.think:g} s (exponential)" if args.think else "no think time"
    load = os.getloadavg()[0] if load is None else load
    base = levels[0].p95_ms if levels and levels[0].users == 1 else 0.0
    lines = [
        f"Load test: POST /api/ask, {think} (1 user: back to back), {args.duration:g} s per "
        f"level, {os.cpu_count()} CPU cores shared by server and clients (load average "
        f"{load:.1f} at the end).",
        "",
        "| users | requests | errors | answers/s | p50 ms | p95 ms | p95 / 1-user p95 | max ms "
        "| server RSS peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for lv in levels:
        ratio = f"{lv.p95_ms / base:.1f}x" if base else "–"
        lines.append(
            f"| {lv.users} | {lv.requests} | {lv.errors} | {lv.throughput:.1f} | "
            f"{lv.p50_ms:.0f} | {lv.p95_ms:.0f} | {ratio} | {lv.max_ms:.0f} | "
            f"{lv.rss_peak_mb:.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--users", type=int, nargs="+", default=[1, 8, 32])
    p.add_argument("--duration", type=float, default=30.0, help="seconds per level (max 300)")
    p.add_argument("--think", type=float, default=3.0, help="mean think time, s (0: none)")
    p.add_argument("--warmup", type=int, default=2 * len(QUESTIONS), help="requests first")
    p.add_argument("--max-requests", type=int, default=5000, help="per level")
    p.add_argument("--timeout", type=float, default=60.0, help="per request, seconds")
    p.add_argument("--url", help="a running server (loopback only); default: start one")
    p.add_argument("--pid", type=int, help="that server's process id (for its memory)")
    p.add_argument("--out", help="write the Markdown table here")
    p.add_argument("--json", help="write the figures here")
    args = p.parse_args(argv)
    if not 0 < args.duration <= 300 or not all(0 < u <= 64 for u in args.users):
        p.error("--duration must be in (0, 300] and --users in 1..64")

    server = None
    if args.url:
        host = urlparse(args.url).hostname or ""
        if host not in LOOPBACK:
            p.error(f"refusing to load-test {host!r}: loopback addresses only")
        url, pid = args.url.rstrip("/"), args.pid
    else:
        port = free_port()
        print(f"starting `assistant serve` on 127.0.0.1:{port} ...", file=sys.stderr)
        server = start_server(port)
        url, pid = f"http://127.0.0.1:{port}", server.pid
    try:
        with httpx.Client(base_url=url, timeout=args.timeout) as c:
            for i in range(args.warmup):
                c.post("/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]})
        levels = []
        for users in args.users:
            print(f"{users} user(s) for {args.duration:g} s ...", file=sys.stderr)
            levels.append(run_level(url, pid, users, args))
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    report = table(levels, args)
    print(report)
    if args.out:
        Path(args.out).write_text(report + "\n")
    if args.json:
        figures = {
            "think_s": args.think,
            "duration_s": args.duration,
            "levels": [asdict(x) for x in levels],
        }
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    ok = all(lv.errors == 0 for lv in levels)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
