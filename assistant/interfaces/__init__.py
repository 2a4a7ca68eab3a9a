"""Step 6 of the pipeline: interfaces, each thin over one lazily built Assistant."""

from __future__ import annotations

import threading

from assistant.core import Assistant

_assistant: Assistant | None = None
_lock = threading.Lock()


def get_assistant() -> Assistant:
    """The process's one Assistant, built on first use."""
    global _assistant
    with _lock:
        if _assistant is None:
            _assistant = Assistant()
        return _assistant
