"""Benchmark: our assistant beside a plain LangChain RAG with a prebuilt index. Prints figures
and ratios; asserts nothing. ``python -m evals.bench [--scale N]`` (``make bench``).

Every measurement runs in a fresh child process (``--worker``), so one measurement's imports
and memory never leak into another's; peak memory is each child's own ``VmHWM`` from
``/proc/<pid>/status`` (read by the child when it is done).

- ingest: a fresh ingestion into an empty data directory, then a re-ingestion with nothing
  changed (time inside ``ingest()`` and wall time of the process).
- cold start: a new process from interpreter start to its first answer (median of 3).
- web server ready: ``python app.py`` until ``/healthz`` says ready, and its memory after one
  answer.
- warm ``ask``: p50 / p95 over the tuning questions with 1 caller and with 8 concurrent callers,
  and with 1 caller while another process keeps a core busy.
- the plain RAG: LangChain's RecursiveCharacterTextSplitter (1000/200) over the documents,
  ``HuggingFaceEmbeddings`` (sentence-transformers on torch, the same model) and a persisted
  ``langchain_chroma`` store built beforehand; an answer is its top chunk.
- ``--scale N``: our figures on the corpus and on N times as many chunks (synthetic briefing
  sections generated outside the repository), and the growth table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLD = REPO / "evals" / "gold.jsonl"
FIRST_QUESTION = "Can police make a provider hand over subscriber data?"


# --- helpers --------------------------------------------------------------------------------


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmHWM / VmRSS of a process in MiB, from /proc/<pid>/status."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            out[key] = int(value.split()[0]) // 1024
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def questions(n: int) -> list[str]:
    """Standalone questions of the tuning set (never the frozen test set)."""
    out = []
    for line in GOLD.read_text().splitlines():
        item = json.loads(line)
        if not item["history"]:
            out.append(item["question"])
    return out[:n]


def emit(payload: dict) -> None:
    print("RESULT " + json.dumps(payload), flush=True)


def child(args: list[str], env: dict[str, str], timeout: float = 7200) -> tuple[dict, float]:
    """Run a worker; returns (its RESULT, wall seconds from spawn to that line)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "evals.bench", "--worker", *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    result, wall = None, 0.0
    for line in proc.stdout:
        if line.startswith("RESULT "):
            wall = time.perf_counter() - t0
            result = json.loads(line[7:])
    proc.wait(timeout=timeout)
    if proc.returncode != 0 or result is None:
        raise RuntimeError(f"worker {args[0]} failed:\n{proc.stderr.read()[-3000:]}")
    return result, wall


class Busy:
    """Another process keeping one core busy (CPU contention)."""

    def __enter__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        time.sleep(0.5)
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- workers (each in its own process) ------------------------------------------------------


def worker_ingest(rebuild: str) -> None:
    from assistant.index.ingest import ingest
    from assistant.settings import Settings

    report = ingest(Settings(), progress=False, rebuild=rebuild == "rebuild")
    emit(
        {
            "seconds": report.seconds,
            "added": report.added,
            "unchanged": report.unchanged,
            **proc_status(),
        }
    )


def worker_cold_ours() -> None:
    t0 = time.perf_counter()
    from assistant import Assistant

    t1 = time.perf_counter()
    bot = Assistant(progress=False).ensure_ready()
    t2 = time.perf_counter()
    answer = bot.ask(FIRST_QUESTION)
    t3 = time.perf_counter()
    emit(
        {
            "import": t1 - t0,
            "ready": t2 - t1,
            "first_ask": t3 - t2,
            "cited": bool(answer.citations),
            "torch": "torch" in sys.modules,
            **proc_status(),
        }
    )


def _naive_store(model: str, directory: str):
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(
        model_name=model,
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True},
    )
    client = chromadb.PersistentClient(
        path=directory, settings=ChromaSettings(anonymized_telemetry=False)
    )
    return Chroma(
        collection_name="naive",
        embedding_function=embeddings,
        client=client,
        collection_configuration={"hnsw": {"space": "cosine"}},
    )


def worker_naive_build(model: str, directory: str) -> None:
    """Build the plain RAG's index (documents read the way our loader reads them)."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.documents.fetch import read_document_text
    from assistant.documents.loader import locate
    from assistant.documents.sources import load_manifest
    from assistant.settings import Settings

    settings = Settings()
    raw = []
    for source in load_manifest(settings.manifest_path):
        path = locate(source, settings, download_missing=False, progress=False)
        if path is not None:
            raw.append(read_document_text(path))
    chunks = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200).split_text(
        "\n\n".join(raw)
    )
    t0 = time.perf_counter()
    _naive_store(model, directory).add_texts(chunks, ids=[str(i) for i in range(len(chunks))])
    emit({"chunks": len(chunks), "seconds": time.perf_counter() - t0, **proc_status()})


def worker_cold_naive(model: str, directory: str) -> None:
    t0 = time.perf_counter()
    store = _naive_store(model, directory)
    docs = store.similarity_search(FIRST_QUESTION, k=5)
    emit({"total": time.perf_counter() - t0, "answered": bool(docs), **proc_status()})


def _latencies(ask, qs: list[str], callers: int) -> list[float]:
    def timed(q: str) -> float:
        t = time.perf_counter()
        ask(q)
        return time.perf_counter() - t

    if callers == 1:
        return [timed(q) for q in qs]
    with ThreadPoolExecutor(callers) as pool:
        return list(pool.map(timed, qs * 2))


def _warm(ask, qs: list[str], callers: list[int], extra: dict | None = None) -> None:
    for q in qs[:5]:
        ask(q)
    out = {}
    for n in callers:
        t0 = time.perf_counter()
        got = _latencies(ask, qs, n)
        out[str(n)] = {
            "p50": percentile(got, 0.5),
            "p95": percentile(got, 0.95),
            "throughput": len(got) / (time.perf_counter() - t0),
        }
    emit({"latency": out, **(extra or {}), **proc_status()})


def worker_warm_ours(n: str, callers: str) -> None:
    from assistant import Assistant

    bot = Assistant(progress=False).ensure_ready()
    qs = questions(int(n))
    extra = {}
    if "retrieve" in callers:
        for q in qs[:5]:
            bot.retrieve(q)
        got = _latencies(bot.retrieve, qs, 1)
        extra["retrieve_p50"] = percentile(got, 0.5)
    _warm(bot.ask, qs, [int(c) for c in callers.split(",") if c.isdigit()], extra)


def worker_warm_naive(n: str, callers: str, model: str, directory: str) -> None:
    store = _naive_store(model, directory)

    def ask(q: str) -> str:
        docs = store.similarity_search(q, k=5)
        return docs[0].page_content if docs else ""

    _warm(ask, questions(int(n)), [int(c) for c in callers.split(",")])


def worker_startup() -> None:
    """Start-up alone (imports excluded): check and load the index, in a warm interpreter."""
    from assistant import Assistant

    t0 = time.perf_counter()
    Assistant(progress=False).ensure_ready()
    emit({"startup": time.perf_counter() - t0, **proc_status()})


WORKERS = {
    "ingest": worker_ingest,
    "cold-ours": worker_cold_ours,
    "naive-build": worker_naive_build,
    "cold-naive": worker_cold_naive,
    "warm-ours": worker_warm_ours,
    "warm-naive": worker_warm_naive,
    "startup": worker_startup,
}


# --- measurements ---------------------------------------------------------------------------


def server_ready(env: dict[str, str]) -> dict:
    """``python app.py``: seconds until it listens, until the API is ready (/healthz 200),
    until the page is (state "ready"); its memory after one answer."""
    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "app.py")],
        env={**env, "ASSISTANT_PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    seen: dict[str, float] = {}
    try:
        while time.perf_counter() - t0 < 600 and "page" not in seen:
            if proc.poll() is not None:
                raise RuntimeError("the web server exited")
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=5) as r:
                    state = json.loads(r.read())["state"]
                    seen.setdefault("api", time.perf_counter() - t0)
                    if state == "ready":
                        seen["page"] = time.perf_counter() - t0
            except urllib.error.HTTPError:
                seen.setdefault("listening", time.perf_counter() - t0)
            except OSError:
                pass
            time.sleep(0.02)
        body = json.dumps({"question": FIRST_QUESTION}).encode()
        req = urllib.request.Request(f"{url}/api/ask", body, {"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert json.loads(r.read())["citations"]
        with urllib.request.urlopen(url, timeout=60) as r:
            assert r.status == 200
        return {
            "listening": seen.get("listening", seen["api"]),
            "ready": seen["api"],
            "page": seen["page"],
            **proc_status(proc.pid),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def synthetic_corpus(target: Path, factor: int, base_chunks: int) -> int:
    """A copy of corpus/ with (factor - 1) x base_chunks synthetic briefing sections (shuffled
    sentences of our own briefing notes, with random topic numbers), in 200-section files."""
    shutil.copytree(REPO / "corpus", target)
    sentences = []
    for f in sorted((REPO / "corpus" / "briefing").glob("*.md")):
        text = re.sub(r"<!--.*?-->", "", f.read_text(), flags=re.S)  # as the parser does
        text = " ".join(re.sub(r"^#.*$", "", text, flags=re.M).split())
        sentences += [s for s in re.split(r"(?<=[.?!])\s+", text) if 40 < len(s) < 400]
    rng = random.Random(243)
    extra = (factor - 1) * base_chunks
    manifest = (target / "sources.toml").read_text()
    per_file = 200
    for n in range(0, extra, per_file):
        name = f"synthetic-{n // per_file:04d}"
        sections = []
        for i in range(n, min(extra, n + per_file)):
            body = " ".join(rng.sample(sentences, rng.randint(2, 6)))
            sections.append(f"## Topic {i}: {rng.choice(sentences)[:60]}\n\n{body}\n")
        (target / "briefing" / f"{name}.md").write_text(
            f"# Synthetic briefing {name}\n\n" + "\n".join(sections)
        )
        manifest += (
            f'\n[[source]]\nid = "briefing:{name}"\nkind = "briefing"\n'
            f'title = "Synthetic briefing {name} (benchmark only)"\n'
            f'label = "Briefing: {name}"\npath = "briefing/{name}.md"\n'
        )
    (target / "sources.toml").write_text(manifest)
    return extra


def ingest_figures(env: dict[str, str]) -> dict:
    """A fresh ingestion, then one with nothing changed."""
    fresh, _ = child(["ingest", "incremental"], env)
    again, wall = child(["ingest", "incremental"], env)
    return {
        "ingest_s": fresh["seconds"],
        "ingest_rows": fresh["added"],
        "ingest_hwm": fresh["VmHWM"],
        "reingest_s": again["seconds"],
        "reingest_wall_s": wall,
    }


def serving_figures(envs: list[dict[str, str]], n: int, rounds: int = 3) -> list[dict]:
    """Start-up, cold start and warm latency for each data directory, measured in turns
    (A B A B ...) so that a machine shared with other work slows them alike; medians."""
    runs: list[dict[str, list]] = [{} for _ in envs]
    for r in range(rounds):
        for env, got in zip(envs, runs, strict=True):
            got.setdefault("startup", []).append(child(["startup"], env)[0])
            result, wall = child(["cold-ours"], env)
            got.setdefault("cold", []).append({**result, "wall": wall})
            if r < 2:
                got.setdefault("warm", []).append(
                    child(["warm-ours", str(n), "1,retrieve"], env)[0]
                )
    out = []
    for got in runs:
        warm = got["warm"]
        out.append(
            {
                "startup_s": median_of(got["startup"], "startup"),
                "cold_s": median_of(got["cold"], "wall"),
                "cold_hwm": median_of(got["cold"], "VmHWM"),
                "cold_parts": {
                    k: median_of(got["cold"], k) for k in ("import", "ready", "first_ask")
                },
                "torch_imported": any(c["torch"] for c in got["cold"]),
                "warm": {
                    "1": {
                        q: statistics.median(w["latency"]["1"][q] for w in warm)
                        for q in ("p50", "p95", "throughput")
                    }
                },
                "retrieve_p50": median_of(warm, "retrieve_p50"),
                "warm_rss": median_of(warm, "VmRSS"),
                "warm_hwm": median_of(warm, "VmHWM"),
            }
        )
    return out


def compare(env: dict[str, str], n: int, model: str | None, directory: Path) -> tuple[dict, dict]:
    """Ours and (``model`` given) the plain RAG, each measurement taken in turns."""
    o = ingest_figures(env)
    b: dict = {}
    if model:
        built, _ = child(["naive-build", model, str(directory)], env)
        b = {"chunks": built["chunks"], "ingest_s": built["seconds"]}
    naive_args = [model or "", str(directory)]
    o_cold, b_cold, starts = [], [], []
    for _ in range(3):
        starts.append(child(["startup"], env)[0])
        result, wall = child(["cold-ours"], env)
        o_cold.append({**result, "wall": wall})
        if model:
            result, wall = child(["cold-naive", *naive_args], env)
            b_cold.append({**result, "wall": wall})
    o["startup_s"] = median_of(starts, "startup")
    o["cold_s"], o["cold_hwm"] = median_of(o_cold, "wall"), median_of(o_cold, "VmHWM")
    o["cold_parts"] = {k: median_of(o_cold, k) for k in ("import", "ready", "first_ask")}
    o["torch_imported"] = any(c["torch"] for c in o_cold)
    if model:
        b["cold_s"], b["cold_hwm"] = median_of(b_cold, "wall"), median_of(b_cold, "VmHWM")
    warm, _ = child(["warm-ours", str(n), "1,8,retrieve"], env)
    o["warm"], o["warm_hwm"], o["warm_rss"] = warm["latency"], warm["VmHWM"], warm["VmRSS"]
    o["retrieve_p50"] = warm["retrieve_p50"]
    if model:
        warm, _ = child(["warm-naive", str(n), "1,8", *naive_args], env)
        b["warm"], b["warm_hwm"], b["warm_rss"] = warm["latency"], warm["VmHWM"], warm["VmRSS"]
    with Busy():
        o["busy"] = child(["warm-ours", str(n), "1"], env)[0]["latency"]["1"]
        if model:
            b["busy"] = child(["warm-naive", str(n), "1", *naive_args], env)[0]["latency"]["1"]
    servers = [server_ready(env) for _ in range(2)]
    o["server_ready_s"] = median_of(servers, "ready")
    o["server_page_s"] = median_of(servers, "page")
    o["server_listening_s"] = median_of(servers, "listening")
    o["server_rss"] = median_of(servers, "VmRSS")
    return o, b


def ms(x: float) -> str:
    return f"{x * 1000:.1f} ms"


def print_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> None:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for r in [header, *rows]:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def sec(x: float) -> str:
    return f"{x:.2f} s"


def mib(x: float) -> str:
    return f"{x:.0f} MiB"


def side_by_side(o: dict, b: dict) -> None:
    def row(name: str, ours_v: float, naive_v: float, fmt) -> tuple[str, ...]:
        return (name, fmt(ours_v), fmt(naive_v), f"{ours_v / naive_v:.2f}x")

    rows = [
        row("cold start to first answer", o["cold_s"], b["cold_s"], sec),
        row("peak RSS of that process (VmHWM)", o["cold_hwm"], b["cold_hwm"], mib),
        row("warm ask p50, 1 caller", o["warm"]["1"]["p50"], b["warm"]["1"]["p50"], ms),
        row("warm ask p95, 1 caller", o["warm"]["1"]["p95"], b["warm"]["1"]["p95"], ms),
        row("warm ask p50, 8 callers", o["warm"]["8"]["p50"], b["warm"]["8"]["p50"], ms),
        row("warm ask p95, 8 callers", o["warm"]["8"]["p95"], b["warm"]["8"]["p95"], ms),
        row(
            "throughput, 8 callers (answers/s)",
            o["warm"]["8"]["throughput"],
            b["warm"]["8"]["throughput"],
            lambda x: f"{x:.0f}",
        ),  # fmt: skip
        row("warm ask p50, 1 caller, CPU busy", o["busy"]["p50"], b["busy"]["p50"], ms),
        row("warm ask p95, 1 caller, CPU busy", o["busy"]["p95"], b["busy"]["p95"], ms),
        row("warm process RSS (VmRSS)", o["warm_rss"], b["warm_rss"], mib),
        row("warm process peak RSS (VmHWM)", o["warm_hwm"], b["warm_hwm"], mib),
        row("ingest (fresh, embedding)", o["ingest_s"], b["ingest_s"], sec),
    ]
    print_table(rows, ("measure", "ours", "plain RAG", "ours / plain"))
    print()
    parts = o["cold_parts"]
    print(
        f"ours: {o['ingest_rows']} rows ingested (plain RAG: {b['chunks']} chunks); cold start = "
        f"import {parts['import']:.2f} s + index check and load {parts['ready']:.2f} s + first "
        f"answer {parts['first_ask'] * 1000:.0f} ms (+ interpreter start); torch imported: "
        f"{o['torch_imported']}; start-up without imports {o['startup_s']:.2f} s"
    )
    print(
        f"ours: re-ingest with nothing changed {o['reingest_s']:.2f} s "
        f"({o['reingest_wall_s']:.2f} s for the process); web server (python app.py) listening "
        f"after {o['server_listening_s']:.2f} s, API ready after {o['server_ready_s']:.2f} s, "
        f"page ready after {o['server_page_s']:.2f} s, {o['server_rss']:.0f} MiB after one "
        f"answer; retrieve p50 {ms(o['retrieve_p50'])}"
    )


def growth(base: dict, big: dict, factor: int) -> None:
    def row(name, key, fmt, sub=None):
        a = base[key] if sub is None else base[key][sub[0]][sub[1]]
        b = big[key] if sub is None else big[key][sub[0]][sub[1]]
        return (name, fmt(a), fmt(b), f"{b / a:.2f}x")

    rows = [
        (
            "rows indexed (chunks + questions)",
            str(base["ingest_rows"]),
            str(big["ingest_rows"]),
            f"{big['ingest_rows'] / base['ingest_rows']:.1f}x",
        ),  # fmt: skip
        row("ingest, fresh", "ingest_s", sec),
        row("re-ingest, nothing changed", "reingest_s", sec),
        row("re-ingest process (with imports)", "reingest_wall_s", sec),
        row("start-up (check + load index)", "startup_s", sec),
        row("cold start to first answer", "cold_s", sec),
        row("warm ask p50", "warm", ms, ("1", "p50")),
        row("warm ask p95", "warm", ms, ("1", "p95")),
        row("retrieve p50", "retrieve_p50", ms),
        row("warm process RSS (VmRSS)", "warm_rss", mib),
        row("warm process peak RSS (VmHWM)", "warm_hwm", mib),
        row("ingestion peak RSS (VmHWM)", "ingest_hwm", mib),
    ]
    print_table(rows, ("measure", "1x", f"{factor}x", "growth"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.bench")
    ap.add_argument("--questions", type=int, default=60, help="questions per latency run")
    ap.add_argument("--scale", type=int, default=0, help="also measure N times the corpus")
    ap.add_argument("--no-baseline", action="store_true", help="skip the plain RAG")
    ap.add_argument("--json", help="also write the figures to this file")
    ap.add_argument("--worker", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        WORKERS[args.worker[0]](*args.worker[1:])
        return 0

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from assistant.settings import Settings

    settings = Settings()
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(work / "data"),
        "ASSISTANT_ONNX_DIR": str(settings.onnx_dir),
        "ASSISTANT_MODELS_DIR": str(settings.models_dir),
        "PYTHONPATH": str(REPO),
    }
    figures: dict = {}
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}\n")
        model = None if args.no_baseline else settings.embedding_model_path
        o, b = compare(env, args.questions, model, work / "naive")
        figures["ours"], figures["naive"] = o, b
        if b:
            side_by_side(o, b)
        else:
            print(json.dumps(o, indent=1))
        if args.scale > 1:
            corpus = work / f"corpus-{args.scale}x"
            base_chunks = o["ingest_rows"] - _question_rows(work / "data", settings)
            synthetic_corpus(corpus, args.scale, base_chunks)
            big_env = {
                **env,
                "ASSISTANT_DATA_DIR": str(work / f"data-{args.scale}x"),
                "ASSISTANT_CORPUS_DIR": str(corpus),
            }
            big = ingest_figures(big_env)
            small_again, big_serving = serving_figures([env, big_env], args.questions)
            big.update(big_serving)
            base = {**o, **small_again}
            figures["scaled"], figures["base_again"] = big, small_again
            print()
            growth(base, big, args.scale)
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1) + "\n")
    return 0


def _question_rows(data_dir: Path, settings) -> int:
    from assistant.index import manifest

    found = manifest.read(settings.model_copy(update={"data_dir": data_dir}))
    return found.questions.count if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
