"""The LangChain-native parts composed with LCEL over the session's real index."""

from __future__ import annotations

import asyncio

import pytest
from langchain_core.documents import Document
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.prompts import ChatPromptTemplate, PromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnableParallel, RunnablePassthrough

from assistant.answering.guard import InvalidQuestion
from assistant.interfaces.langchain import (
    ConventionAnswer,
    ConventionAssistant,
    ConventionQuestion,
    ConventionRetriever,
)

QUESTION = "Can the police force a company to hand over subscriber information?"
FOLLOW_UP = "What about traffic data?"
OUT_OF_SCOPE = "What is the capital of France?"


@pytest.fixture(scope="module")
def retriever(bot) -> ConventionRetriever:
    return ConventionRetriever(assistant=bot, k=4)


@pytest.fixture(scope="module")
def runnable(bot) -> ConventionAssistant:
    return ConventionAssistant(bot)


def test_retriever_returns_documents_in_the_assistants_order(retriever, bot):
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(QUESTION)
    passages = bot.retrieve(QUESTION, k=4)
    assert [d.id for d in docs] == [p.id for p in passages]  # same ranking
    assert all(isinstance(d, Document) for d in docs)
    first = next(d for d in docs if d.metadata["label"] == "Art. 27(b)")
    assert first.metadata["article"] == 27 and first.metadata["paragraph"] == "b"
    assert first.metadata["chapter"] == 4 and first.metadata["title"] == "Production order"
    assert first.metadata["pages"] == [16] and first.metadata["url"].endswith("#page=16")
    assert "subscriber information" in first.page_content


def test_retriever_in_an_lcel_chain(retriever):
    def cited(docs: list[Document]) -> str:
        return "\n".join(f"[{d.metadata['label']}] {d.page_content}" for d in docs)

    prompt = PromptTemplate.from_template("Context:\n{context}\n\nQuestion: {question}")
    chain = {"context": retriever | cited, "question": RunnablePassthrough()} | prompt
    text = chain.invoke("How can a State ask another to preserve stored data?").to_string()
    assert "[Art. 42(1)]" in text or "[Art. 42(" in text
    assert text.endswith("Question: How can a State ask another to preserve stored data?")


def test_retriever_rejects_bad_queries(retriever):
    with pytest.raises(InvalidQuestion):
        retriever.invoke("   ")


def test_invoke_is_typed_and_matches_ask(runnable, bot):
    out = runnable.invoke(QUESTION)
    assert isinstance(out, ConventionAnswer)
    expected = bot.ask(QUESTION)
    assert out.answer == expected.text and not out.abstained
    cite = next(c for c in out.citations if c.label == "Art. 27(b)")
    assert cite.pages == [16] and cite.url.endswith("#page=16")
    schema = runnable.get_input_jsonschema()
    assert "ConventionQuestion" in schema["$defs"]
    assert {"answer", "citations", "abstained"} <= set(
        runnable.get_output_jsonschema()["properties"]
    )


def test_follow_up_from_history_dict_and_chat_messages(runnable, bot):
    first = bot.ask(QUESTION)
    expected = bot.ask(FOLLOW_UP, history=[(QUESTION, first.text)])
    as_dict = runnable.invoke({"question": FOLLOW_UP, "history": [(QUESTION, first.text)]})
    assert as_dict.answer == expected.text and as_dict.resolved_question
    prompt = ChatPromptTemplate.from_messages(
        [
            SystemMessage("ignored"),
            HumanMessage(QUESTION),
            AIMessage(first.text),
            ("human", "{question}"),
        ]
    )
    chained = (prompt | runnable).invoke({"question": FOLLOW_UP})
    assert chained.answer == expected.text


def test_stream_chunks_add_up_to_invoke(runnable):
    question = "When does the Convention enter into force?"
    chunks = list(runnable.stream(question))
    assert len(chunks) >= 3 and all(isinstance(c, ConventionAnswer) for c in chunks)
    assert not chunks[0].citations and chunks[-1].citations  # citations come with the last
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    assert total == runnable.invoke(question)


def test_batch_three_questions(runnable):
    first = runnable.invoke(QUESTION)
    inputs = [
        QUESTION,
        ConventionQuestion(question=FOLLOW_UP, history=[(QUESTION, first.answer)]),
        OUT_OF_SCOPE,
    ]
    outs = runnable.batch(inputs)
    assert [o.abstained for o in outs] == [False, False, True]
    assert outs == [runnable.invoke(i) for i in inputs]
    assert outs[2].citations == [] and outs[2].notice


def test_composes_in_lcel(runnable):
    chain = (
        PromptTemplate.from_template("What does the Convention say about {topic}?")
        | runnable
        | RunnableParallel(text=RunnableLambda(lambda a: a.answer), labels=lambda a: a.citations)
    )
    out = chain.invoke({"topic": "extradition"})
    assert out["labels"] and all(c.label in out["text"] for c in out["labels"])
    assert any(c.article == 37 for c in out["labels"])


def test_async_invoke(runnable):
    out = asyncio.run(runnable.ainvoke(OUT_OF_SCOPE))
    assert out.abstained and out.citations == []


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (42, TypeError),
        ("   ", InvalidQuestion),
        ([AIMessage("hello")], ValueError),
        ({"history": []}, ValueError),
    ],
)
def test_bad_input(runnable, value, error):
    with pytest.raises(error):
        runnable.invoke(value)
