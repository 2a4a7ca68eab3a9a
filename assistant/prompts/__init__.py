"""Prompt and message files, loaded by name."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def messages() -> dict[str, str]:
    return tomllib.loads(resources.files(__name__).joinpath("messages.toml").read_text())


def message(key: str, **values: object) -> str:
    return messages()[key].format(**values)
