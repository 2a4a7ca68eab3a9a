"""LangChain-native parts, to compose the assistant in LCEL chains.

* :class:`ConventionRetriever` — a ``BaseRetriever`` over the assistant's hybrid retriever (same
  ranking as :meth:`Assistant.retrieve`): ``Document`` s whose metadata carry the citation
  ``label``, ``article``, ``paragraph``, ``chapter`` (and title, source, official PDF pages, url).
* :class:`ConventionAssistant` — the whole assistant as a ``Runnable``: input a question
  (``str``), a :class:`ConventionQuestion` (question + history), a dict of those fields, a prompt
  value or a list of chat messages (the last human message is the question, earlier turns the
  history); output a :class:`ConventionAnswer`. ``invoke``, ``batch``, ``stream`` (answer chunks
  that add up, with ``+``, to what ``invoke`` returns) and their async forms.

    >>> from assistant.interfaces.langchain import ConventionAssistant, ConventionRetriever
    >>> chain = ConventionAssistant() | (lambda a: a.answer)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.prompt_values import PromptValue
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from assistant.core import Assistant
from assistant.interfaces.schemas import CitationOut
from assistant.models import Answer, Passage

__all__ = ["ConventionAnswer", "ConventionAssistant", "ConventionQuestion", "ConventionRetriever"]


def _assistant(assistant: Assistant | None) -> Assistant:
    if assistant is not None:
        return assistant
    from assistant.interfaces import get_assistant

    return get_assistant()


def passage_document(p: Passage) -> Document:
    """A retrieved passage as a LangChain Document (the quoted provision as its content)."""
    return Document(
        id=p.id,
        page_content=p.sentence(),
        metadata={
            "label": p.label,
            "article": p.article,
            "paragraph": p.paragraph,
            "chapter": p.chapter,
            "chapter_title": p.chapter_title,
            "title": p.title,
            "source": str(p.source),
            "document": p.document,
            "pages": list(p.pages),
            "url": p.link,
            "score": p.score,
        },
    )


class ConventionRetriever(BaseRetriever):
    """The Convention's provisions for a query, best first (one per article, two for the
    leading articles).

    >>> ConventionRetriever(k=3).invoke("production orders for subscriber data")
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    assistant: Assistant | None = Field(default=None, exclude=True)
    k: int = Field(5, ge=1, le=50, description="How many passages")

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        bot = _assistant(self.assistant)
        return [passage_document(p) for p in bot.retrieve(query, k=self.k)]


class ConventionQuestion(BaseModel):
    """A question, with the earlier turns of the conversation (oldest first)."""

    question: str = Field(description="The question, in plain language")
    history: list[tuple[str, str]] = Field(
        default_factory=list, description="Earlier (question, answer) pairs, oldest first"
    )


class ConventionAnswer(BaseModel):
    """A cited answer. Streamed chunks add up (``+``) to the whole answer."""

    question: str = ""
    answer: str = Field("", description="The answer with inline labels such as [Art. 27(b)]")
    citations: list[CitationOut] = Field(default_factory=list)
    abstained: bool = Field(False, description="True: the Convention does not answer it")
    notice: str = ""
    resolved_question: str = ""

    @classmethod
    def of(cls, a: Answer) -> ConventionAnswer:
        return cls(
            question=a.question,
            answer=a.text,
            citations=[CitationOut.of(c) for c in a.citations],
            abstained=a.abstained,
            notice=a.notice,
            resolved_question=a.resolved_question,
        )

    def __add__(self, other: ConventionAnswer) -> ConventionAnswer:
        return ConventionAnswer(
            question=self.question or other.question,
            answer=self.answer + other.answer,
            citations=self.citations + other.citations,
            abstained=self.abstained or other.abstained,
            notice=self.notice + other.notice,
            resolved_question=other.resolved_question or self.resolved_question,
        )


def _from_messages(messages: list[BaseMessage]) -> ConventionQuestion:
    talk = [m for m in messages if isinstance(m, (HumanMessage, AIMessage))]
    if not talk or not isinstance(talk[-1], HumanMessage):
        raise ValueError("the last message must be the user's question")
    turns: list[tuple[str, str]] = []
    for m in talk[:-1]:
        if isinstance(m, HumanMessage):
            turns.append((m.text, ""))
        elif turns and not turns[-1][1]:
            turns[-1] = (turns[-1][0], m.text)
    return ConventionQuestion(question=talk[-1].text, history=turns)


def as_question(value: Any) -> ConventionQuestion:
    """Coerce the accepted inputs to a :class:`ConventionQuestion`."""
    if isinstance(value, ConventionQuestion):
        return value
    if isinstance(value, str):
        return ConventionQuestion(question=value)
    if isinstance(value, PromptValue):
        return _from_messages(value.to_messages())
    if isinstance(value, dict):
        return ConventionQuestion.model_validate(value)
    if isinstance(value, list) and all(isinstance(m, BaseMessage) for m in value):
        return _from_messages(value)
    raise TypeError(
        "ConventionAssistant takes a question (str), a ConventionQuestion, a dict with "
        f"'question' and 'history', a prompt value or chat messages, not {type(value).__name__}"
    )


class ConventionAssistant(Runnable[ConventionQuestion | str, ConventionAnswer]):
    """The Convention Assistant as a LangChain ``Runnable``.

    >>> bot = ConventionAssistant()
    >>> bot.invoke("Can the police force a company to hand over subscriber information?").citations
    >>> for chunk in bot.stream({"question": "What about traffic data?", "history": [...]}): ...
    """

    name = "ConventionAssistant"

    def __init__(self, assistant: Assistant | None = None):
        self.assistant = assistant

    @property
    def InputType(self) -> Any:  # noqa: N802 - LangChain's name
        return ConventionQuestion | str

    @property
    def OutputType(self) -> type[ConventionAnswer]:  # noqa: N802 - LangChain's name
        return ConventionAnswer

    def _ask(self, value: Any) -> ConventionAnswer:
        q = as_question(value)
        return ConventionAnswer.of(_assistant(self.assistant).ask(q.question, history=q.history))

    def invoke(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> ConventionAnswer:
        return self._call_with_config(self._ask, input, config, run_type="chain")

    def _stream(self, inputs: Iterator[Any]) -> Iterator[ConventionAnswer]:
        bot = _assistant(self.assistant)
        verified = not bot.settings.llm  # raw LLM tokens are only shown once checked
        for value in inputs:
            q = as_question(value)
            sent = ""
            for item in bot.ask_stream(q.question, history=q.history):
                if isinstance(item, Answer):
                    final = ConventionAnswer.of(item)
                    rest = item.text[len(sent) :] if item.text.startswith(sent) else item.text
                    yield final.model_copy(update={"answer": rest})
                elif verified and item:
                    sent += item
                    yield ConventionAnswer(answer=item)

    def stream(
        self, input: Any, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[ConventionAnswer]:
        yield from self._transform_stream_with_config(
            iter([input]), self._stream, config, run_type="chain"
        )
