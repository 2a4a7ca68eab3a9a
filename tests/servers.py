"""Real servers on 127.0.0.1 for tests: a Chroma server, a PostgreSQL server, and the app's own
processes (``assistant serve`` / ``assistant slack``). Each is a context manager that starts
the server, waits until it answers, and stops it (and only it) at the end."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def run_cli(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """``assistant <args>`` in a new process with ``env``; its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, what: str, timeout: float = 90.0, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"{what} exited with status {proc.returncode}")
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        except Exception as exc:  # psycopg.OperationalError while the server starts
            if not type(exc).__module__.startswith("psycopg"):
                raise
        time.sleep(0.3)
    pytest.fail(f"{what} did not start within {timeout:.0f} s")


def stop(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# --- Chroma -------------------------------------------------------------------------------------


def chroma_exe() -> Path:
    exe = Path(sys.executable).with_name("chroma")
    if not exe.exists():
        exe = Path(shutil.which("chroma") or "")
    if not exe.is_file():
        pytest.skip("the chroma CLI (chromadb's server) is not installed")
    return exe


@contextlib.contextmanager
def chroma_server(path: Path) -> Iterator[int]:
    """``chroma run`` over the persistent directory ``path`` (an embedded store's ``chroma/``
    directory serves as is); yields the port."""
    port = free_port()
    proc = subprocess.Popen(
        [str(chroma_exe()), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v2/heartbeat"
        wait_until(lambda: httpx.get(url, timeout=1).is_success, "chroma server", 60, proc)
        yield port
    finally:
        stop(proc)


# --- PostgreSQL -----------------------------------------------------------------------------------


def postgres_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: p.parent)
    return found[-1].parent if found else None


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """A throw-away PostgreSQL cluster (Debian's ``postgresql`` package; ``make postgres``)
    on 127.0.0.1 with trust authentication; yields a database URL. Run as the ``postgres``
    system user when the tests run as root (the server refuses to run as root)."""
    bindir = postgres_bindir()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (`make postgres` installs Debian's package)")
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root without a postgres system user")
        prefix = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
    root.chmod(0o755)
    data, sockets = root / "data", root / "run"
    sockets.mkdir()
    if owner is not None:
        os.chown(root, owner.pw_uid, owner.pw_gid)
        os.chown(sockets, owner.pw_uid, owner.pw_gid)
    port = free_port()
    log = root / "postgres.log"
    with log.open("ab") as out:
        if owner is not None:
            os.chown(log, owner.pw_uid, owner.pw_gid)
        quiet = {"stdout": out, "stderr": subprocess.STDOUT}
        subprocess.run(
            [*prefix, str(bindir / "initdb"), "-D", str(data), "-U", "assistant", "-A", "trust"]
            + ["-E", "UTF8", "--no-sync"],
            check=True,
            **quiet,
        )
        proc = subprocess.Popen(
            [*prefix, str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1"]
            + ["-p", str(port), "-k", str(sockets), "-c", "fsync=off", "-c", "max_connections=200"],
            **quiet,
        )
    try:
        import psycopg

        def ready() -> bool:
            with psycopg.connect(
                f"postgresql://assistant@127.0.0.1:{port}/postgres",
                autocommit=True,
                connect_timeout=5,
            ) as conn:
                conn.execute("CREATE DATABASE assistant")
            return True

        try:
            wait_until(ready, "postgresql", 120, proc)
        except BaseException:
            print(log.read_text(errors="replace")[-3000:])  # shown with the failure
            raise
        yield f"postgresql://assistant@127.0.0.1:{port}/assistant"
    finally:
        stop(proc)
        shutil.rmtree(root, ignore_errors=True)


# --- the app ------------------------------------------------------------------------------------


def assistant_exe() -> str:
    return str(Path(sys.executable).with_name("assistant"))


def start_app(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    """``assistant <args>`` in its own process, its output appended to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [assistant_exe(), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
        )


def wait_healthy(proc: subprocess.Popen, health_url: str, what: str) -> None:
    wait_until(lambda: httpx.get(health_url, timeout=2).status_code == 200, what, 240, proc=proc)


@contextlib.contextmanager
def app_process(args: list[str], env: dict[str, str], health_url: str, log: Path):
    """``assistant <args>`` until ``health_url`` answers 200; stopped with SIGTERM at the end."""
    proc = start_app(args, env, log)
    try:
        wait_healthy(proc, health_url, f"`assistant {' '.join(args)}` (log: {log})")
        yield proc
    finally:
        stop(proc)
