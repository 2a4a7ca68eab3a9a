"""Benchmark: ingest time, index size, cold start, warm ask latency (1 and 8 concurrent
callers), peak RSS. Prints a table; it asserts nothing. ``python -m evals.bench``."""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assistant import Assistant
from assistant.index.ingest import ingest
from assistant.settings import Settings
from evals.gold import load_gold
from evals.metrics import percentile

COLD_START = """
import time; t = time.perf_counter()
import resource
from assistant import Assistant
a = Assistant(progress=False).ask("Can police make a provider hand over subscriber data?")
assert a.citations
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{time.perf_counter() - t:.2f}", round(rss))
"""


def _dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.bench")
    ap.add_argument("--questions", type=int, default=60, help="questions per latency run")
    args = ap.parse_args(argv)
    base = Settings()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    settings = base.model_copy(update={"data_dir": work})
    rows: list[tuple[str, str]] = []
    try:
        t0 = time.perf_counter()
        report = ingest(settings, progress=False)
        rows.append(
            (
                "ingest (fresh, all sources)",
                f"{time.perf_counter() - t0:.1f} s ({report.added} chunks)",
            )
        )
        t0 = time.perf_counter()
        again = ingest(settings, progress=False)
        rows.append(
            (
                "re-ingest (nothing changed)",
                f"{time.perf_counter() - t0:.2f} s ({again.unchanged} unchanged)",
            )
        )
        rows.append(("index size on disk", f"{_dir_size(settings.chroma_dir) / 1e6:.1f} MB"))

        cold = subprocess.run(
            [sys.executable, "-c", COLD_START],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "ASSISTANT_DATA_DIR": str(work)},
        )
        seconds, rss = cold.stdout.split()
        rows.append(("cold start (new process: import, load, 1st answer)", f"{seconds} s"))
        rows.append(("peak RSS of that process", f"{rss} MB"))

        bot = Assistant(settings, progress=False).ensure_ready()

        questions = [i.question for i in load_gold() if not i.history][: args.questions]
        for q in questions[:5]:
            bot.ask(q)  # warm-up

        def timed(q: str) -> float:
            t = time.perf_counter()
            bot.ask(q)
            return time.perf_counter() - t

        single = [timed(q) for q in questions]
        rows.append(
            (
                "warm ask, 1 caller p50 / p95",
                f"{percentile(single, 0.5) * 1000:.0f} / {percentile(single, 0.95) * 1000:.0f} ms",
            )
        )
        t0 = time.perf_counter()
        with ThreadPoolExecutor(8) as pool:
            multi = list(pool.map(timed, questions * 2))
        wall = time.perf_counter() - t0
        rows.append(
            (
                "warm ask, 8 callers p50 / p95",
                f"{percentile(multi, 0.5) * 1000:.0f} / {percentile(multi, 0.95) * 1000:.0f} ms",
            )
        )
        rows.append(("throughput, 8 callers", f"{len(multi) / wall:.1f} answers/s"))
        rows.append(("mean warm ask, 1 caller", f"{statistics.fmean(single) * 1000:.0f} ms"))
        rows.append(("peak RSS of this process (ingest + 8 callers)", f"{_peak_rss_mb():.0f} MB"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':{width}}  value")
    for k, v in rows:
        print(f"{k:{width}}  {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
