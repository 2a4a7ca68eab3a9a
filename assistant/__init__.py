"""Convention Assistant: grounded, cited answers on the UN Convention against Cybercrime.

Pipeline (one straight line, one sub-package per step):
documents -> chunking -> index -> retrieval -> answering -> interfaces
"""

from assistant.answering.guard import InvalidQuestion
from assistant.core import ArticleView, Assistant
from assistant.models import Answer, Citation, Passage
from assistant.settings import Settings

__all__ = [
    "Answer",
    "ArticleView",
    "Assistant",
    "Citation",
    "InvalidQuestion",
    "Passage",
    "Settings",
]
