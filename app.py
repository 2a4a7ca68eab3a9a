"""Start the web app on 127.0.0.1 (``python app.py``; host/port: ASSISTANT_HOST/ASSISTANT_PORT)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    """Serve the page and the API; a failure to start is one ``error: ...`` line, as for
    ``assistant serve``."""
    import logging

    from assistant.interfaces.startup import run_entry

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    def work() -> None:
        from assistant.interfaces.web import launch

        launch(
            host=os.environ.get("ASSISTANT_HOST", "127.0.0.1"),
            port=int(os.environ.get("ASSISTANT_PORT", "7860")),
        )

    return run_entry(work, debug="-v" in sys.argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
