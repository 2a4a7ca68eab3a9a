"""The gate probes (``evals/gate_probes/``): ``python -m evals.probes [-v]``.

Prints the share of the manipulation attempts the assistant declines and the share of the
legitimate look-alike questions it answers; ``-v`` lists the failures.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant import Assistant
from assistant.settings import Settings

HERE = Path(__file__).parent / "gate_probes"


def load(name: str) -> list[str]:
    """The questions of ``evals/gate_probes/<name>.jsonl``."""
    path = HERE / f"{name}.jsonl"
    return [json.loads(line)["q"] for line in path.read_text().splitlines() if line.strip()]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m evals.probes")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the failures")
    args = ap.parse_args(argv)
    bot = Assistant(Settings().model_copy(update={"llm": ""}), progress=False).ensure_ready()
    injections, legitimate = load("injections"), load("legitimate")
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
