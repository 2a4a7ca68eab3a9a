"""The knobs of retrieval's rank fusion (a settings group: ``ASSISTANT_FUSION__<NAME>``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FusionWeights(BaseModel):
    """Weights of the rankings in the fusion (tuned on the tuning set only); 0 turns a ranking
    off. Settings: ``ASSISTANT_FUSION__DENSE=0.8`` etc."""

    model_config = ConfigDict(frozen=True)

    dense: float = 1.5
    lexical: float = 0.3
    questions_dense: float = 1.0
    questions_lexical: float = 1.0
    context: float = 0.5  # a follow-up's rankings with the earlier question added
    earlier_citations: float = 0.3  # provisions the earlier answer cited
    asked_kind: float = 0.25  # lift for stating the asked kind (time limit, refusal, safeguard)
    preamble: float = 0.7  # recitals match everything a little
    titles: float = 2.5  # the opening provisions of the articles a question names by title
