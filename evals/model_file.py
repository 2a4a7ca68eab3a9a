"""The TOML files of fitted models per embedding model family (``assistant/data/abstention.toml``,
``assistant/data/selector.toml``): read and written the same way."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path


def read_models(path: Path) -> dict[str, dict]:
    return tomllib.loads(path.read_text()).get("model", {}) if path.exists() else {}


def write_models(path: Path, header: list[str], models: dict[str, dict]) -> None:
    """``header`` as comment lines, then per family its scalar entries and its weights."""
    lines = [f"# {line}" for line in header]
    for name, m in sorted(models.items()):
        lines += ["", f'[model."{name}"]']
        lines += [f"{k} = {json.dumps(v)}" for k, v in m.items() if k != "weights"]
        lines += [f'[model."{name}".weights]']
        lines += [f"{k} = {v!r}" for k, v in m["weights"].items()]
    path.write_text("\n".join(lines) + "\n")
