"""Start the web app on 127.0.0.1 (``python app.py``; host/port: ASSISTANT_HOST/ASSISTANT_PORT)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    from assistant.documents.fetch import FetchError
    from assistant.index.embeddings import EmbeddingModelMissing
    from assistant.index.ingest import IndexUnavailable
    from assistant.interfaces.http_api import serve

    try:
        serve(
            host=os.environ.get("ASSISTANT_HOST", "127.0.0.1"),
            port=int(os.environ.get("ASSISTANT_PORT", "7860")),
        )
    except (IndexUnavailable, EmbeddingModelMissing, FetchError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 4
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
