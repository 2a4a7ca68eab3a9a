"""Prompt and message files, loaded by name."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def table(name: str) -> dict[str, str]:
    """The strings of ``<name>.toml`` in this folder."""
    return tomllib.loads(resources.files(__name__).joinpath(f"{name}.toml").read_text())


def messages() -> dict[str, str]:
    return table("messages")


def message(key: str, **values: object) -> str:
    return messages()[key].format(**values)
