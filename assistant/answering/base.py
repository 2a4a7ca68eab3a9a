"""The answerer interface: retrieval in, a draft answer with inline labels out.

Any answerer (the default extractive one, an LLM one) only writes the text; the pipeline checks
its citations against the passages it was given and builds the final :class:`Answer`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from assistant.models import Passage
from assistant.retrieval.retriever import Retrieval

if TYPE_CHECKING:
    from assistant.answering.verify import Verification


@dataclass
class Draft:
    text: str  # sentences with inline labels like [Art. 27(b)]
    passages: list[Passage]  # the passages it was allowed to cite
    abstained: bool = False
    notice: str = ""
    verification: Verification | None = None  # how a generated answer was checked (LLM only)


class Answerer(Protocol):
    name: str

    def draft(self, question: str, retrieval: Retrieval) -> Draft: ...
