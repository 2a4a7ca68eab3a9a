"""The index lock: one check-and-repair of a data directory at a time across processes."""

from __future__ import annotations

import subprocess
import sys
import time

from assistant.index.integrity import index_lock
from assistant.settings import Settings

HOLD = """
import sys, time
from assistant.index.integrity import index_lock
from assistant.settings import Settings
with index_lock(Settings(data_dir=sys.argv[1])):
    print("held", flush=True)
    time.sleep(2.0)
"""


def test_another_process_waits_for_the_lock(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        start = time.monotonic()
        with index_lock(Settings(data_dir=tmp_path)):
            waited = time.monotonic() - start
        assert waited > 1.0  # it waited for the other process to finish
    finally:
        holder.wait(timeout=30)


def test_lock_is_reentrant_within_a_thread(tmp_path):
    settings = Settings(data_dir=tmp_path)
    start = time.monotonic()
    with index_lock(settings), index_lock(settings):  # ingest() inside the start-up check
        pass
    assert time.monotonic() - start < 1.0
    with index_lock(settings):  # released: taken again at once
        pass
