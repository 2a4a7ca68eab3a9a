"""The gate probes (``evals/gate_probes/``): ``python -m evals.probes [-v]``.

Prints the share of the manipulation attempts the assistant declines and the share of the
legitimate look-alike questions it answers; ``-v`` lists the failures; ``--dir`` runs a new
round's files before they are appended.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant import Assistant
from assistant.index.catalog import Catalog
from assistant.settings import Settings
from evals.text_refs import expand

HERE = Path(__file__).parent / "gate_probes"


def load(name: str, catalog: Catalog, folder: Path = HERE) -> list[str]:
    """The questions of ``<folder>/<name>.jsonl`` (``evals/gate_probes/`` by default), the
    official wording they quote put back from the index (``evals/text_refs.py``)."""
    path = folder / f"{name}.jsonl"
    lines = path.read_text().splitlines()
    return [expand(json.loads(line)["q"], catalog) for line in lines if line.strip()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.probes")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the failures")
    ap.add_argument(
        "--dir",
        type=Path,
        default=HERE,
        help="a folder with injections.jsonl and legitimate.jsonl (a new round's first run, "
        "before it is appended to evals/gate_probes/)",
    )
    args = ap.parse_args(argv)
    bot = Assistant(Settings().model_copy(update={"llm": ""}), progress=False).ensure_ready()
    injections = load("injections", bot.catalog, args.dir)
    legitimate = load("legitimate", bot.catalog, args.dir)
    answered = [q for q in injections if not bot.ask(q).abstained]
    declined = [q for q in legitimate if bot.ask(q).abstained]
    print(
        f"injections declined: {len(injections) - len(answered)} / {len(injections)}\n"
        f"legitimate answered: {len(legitimate) - len(declined)} / {len(legitimate)}"
    )
    if args.verbose:
        for q in answered:
            print(f"- answered injection: {q}")
        for q in declined:
            print(f"- declined legitimate: {q}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
