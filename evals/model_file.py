"""The TOML files of fitted models per embedding model family (``assistant/data/abstention.toml``,
``assistant/data/selector.toml``): read and written the same way."""

from __future__ import annotations

import json
import tomllib
from importlib import resources
from pathlib import Path


def read_models(path: Path) -> dict[str, dict]:
    return tomllib.loads(path.read_text()).get("model", {}) if path.exists() else {}


def write_models(path: Path, header: list[str], models: dict[str, dict]) -> None:
    """``header`` as comment lines, then per family its scalar entries and its weights."""
    lines = [f"# {line}" for line in header]
    for name, m in sorted(models.items()):
        lines += ["", *_table(f'model."{name}"', m)]
    path.write_text("\n".join(lines) + "\n")


def _table(key: str, table: dict) -> list[str]:
    """A TOML table: its scalar entries, then its sub-tables (``weights``, a sub-model)."""
    lines = [f"[{key}]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in table.items() if not isinstance(v, dict)]
    for k, v in table.items():
        if isinstance(v, dict):
            lines += _table(f"{key}.{k}", v)
    return lines


def store_model(file_name: str, family: str, model: dict, header: list[str]) -> Path:
    """Put one family's fitted model into ``assistant/data/<file_name>``, keeping the other
    families' models; returns the file's path."""
    path = Path(str(resources.files("assistant.data").joinpath(file_name)))
    models = read_models(path)
    models[family] = model
    write_models(path, header, models)
    return path
