"""The MCP server driven by the official ``mcp`` SDK's own client: over stdio (``assistant mcp``
run as a real subprocess, as a desktop assistant launches it) and over streamable HTTP (the
server's app in uvicorn on a free 127.0.0.1 port)."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator

import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from tests.interfaces.test_http_api import ServerThread

QUESTION = "Can the police force a company to hand over subscriber information?"


def run(coro):
    return asyncio.run(coro)


@pytest.fixture(scope="module")
def http_server(bot) -> Iterator[ServerThread]:
    from assistant.interfaces.mcp_server import HTTP_PATH, build_server

    srv = ServerThread(build_server(bot).streamable_http_app(streamable_http_path=HTTP_PATH))
    yield srv.start()
    srv.stop()


@pytest.fixture()
def url(http_server) -> str:
    return http_server.url + "/mcp"


def test_stdio_session(index_dir, mirror_dir):
    env = {  # a stdio server gets a minimal environment: pass the settings on
        **{k: v for k, v in os.environ.items() if k.startswith("ASSISTANT_")},
        "ASSISTANT_DATA_DIR": str(index_dir),
        "ASSISTANT_SOURCE_DIR": str(mirror_dir),
        "HF_HUB_OFFLINE": "1",
    }
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "assistant.cli", "mcp"], env=env
    )

    async def session():
        async with Client(params) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            answer = await client.call_tool("ask_convention", {"question": QUESTION})
            missing = await client.call_tool("get_article", {"number": 99})
            resources = (await client.list_resources()).resources
            article = await client.read_resource("convention://article/27")
            return client.server_info, tools, answer, missing, resources, article

    info, tools, answer, missing, resources, article = run(session())
    assert info.name == "convention-assistant"
    assert set(tools) == {"ask_convention", "search_convention", "get_article"}
    ask = tools["ask_convention"].description
    assert "quote the labels exactly" in ask and "Convention does not address this" in ask
    assert tools["ask_convention"].annotations.read_only_hint is True
    assert "history" in tools["ask_convention"].input_schema["properties"]

    data = answer.structured_content
    assert not answer.is_error and data["abstained"] is False
    assert "[Art. 27(b)]" in data["answer"]
    cite = next(c for c in data["citations"] if c["label"] == "Art. 27(b)")
    assert "subscriber information" in cite["quote"]
    assert cite["pages"] == [16] and cite["url"].endswith("#page=16")

    assert missing.is_error and "numbered 1 to 68" in missing.content[0].text
    assert len(resources) == 68
    assert str(resources[26].uri) == "convention://article/27"
    text = article.contents[0].text
    assert text.startswith("# Article 27. Production order")
    assert "#page=16" in text and "Art. 27(b)" in text


def test_http_follow_up_with_history(url, bot):
    async def session():
        async with Client(url) as client:
            first = await client.call_tool("ask_convention", {"question": QUESTION})
            history = [{"question": QUESTION, "answer": first.structured_content["answer"]}]
            follow = await client.call_tool(
                "ask_convention", {"question": "What about traffic data?", "history": history}
            )
            return first, follow

    first, follow = run(session())
    expected = bot.ask(
        "What about traffic data?", history=[(QUESTION, first.structured_content["answer"])]
    )
    data = follow.structured_content
    assert data["answer"] == expected.text and data["resolved_question"]
    assert [c["label"] for c in data["citations"]] == [c.label for c in expected.citations]


def test_http_out_of_scope_abstains(url):
    async def session():
        async with Client(url) as client:
            return await client.call_tool(
                "ask_convention", {"question": "What is the capital of France?"}
            )

    r = run(session())
    assert not r.is_error
    data = r.structured_content
    assert data["abstained"] is True and data["citations"] == [] and data["notice"]


def test_http_search_and_article(url):
    async def session():
        async with Client(url) as client:
            found = await client.call_tool(
                "search_convention", {"query": "extradition of offenders", "k": 3}
            )
            article = await client.call_tool("get_article", {"number": 37})
            return found, article

    found, article = run(session())
    passages = found.structured_content["passages"]
    assert len(passages) == 3
    assert passages[0]["label"].startswith("Art. 37")
    assert all(p["pages"] and p["text"] for p in passages if p["source"] != "briefing")
    data = article.structured_content
    assert data["title"] == "Extradition" and data["provisions"][0]["label"] == "Art. 37(1)"
    assert data["url"].endswith(f"#page={data['pages'][0]}")


@pytest.mark.parametrize(
    ("tool", "args", "needle"),
    [
        ("ask_convention", {"question": "   "}, "empty"),
        ("ask_convention", {"question": "x" * 4001}, "4000"),
        ("ask_convention", {"question": "Art\x00icle 5?"}, "control"),
        ("ask_convention", {"question": "ok?", "history": [{"answer": "a"}]}, "question"),
        ("search_convention", {"query": "data", "k": 0}, "greater than or equal to 1"),
        ("get_article", {"number": 0}, "numbered 1 to 68"),
        ("get_article", {"number": "twelve"}, "valid integer"),
    ],
)
def test_http_bad_input_is_a_tool_error(url, tool, args, needle):
    async def session():
        async with Client(url) as client:
            return await client.call_tool(tool, args)

    r = run(session())
    assert r.is_error and needle in r.content[0].text


def test_http_resource_template_refuses_unknown_articles(url):
    async def session():
        async with Client(url) as client:
            templates = (await client.list_resource_templates()).resource_templates
            two = await client.read_resource("convention://article/2")
            with pytest.raises(MCPError) as info:
                await client.read_resource("convention://article/99")
            return templates, two, info.value

    templates, two, error = run(session())
    assert [t.uri_template for t in templates] == ["convention://article/{number}"]
    assert two.contents[0].text.startswith("# Article 2. Use of terms")
    assert "no Article 99" in str(error)
