"""Start the web app on 127.0.0.1 (``python app.py``; host/port: ASSISTANT_HOST/ASSISTANT_PORT)."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    from assistant.interfaces.web import launch

    launch(
        host=os.environ.get("ASSISTANT_HOST", "127.0.0.1"),
        port=int(os.environ.get("ASSISTANT_PORT", "7860")),
    )


if __name__ == "__main__":
    main()
