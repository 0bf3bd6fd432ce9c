"""Where municipalities already work, with the real clients against the running page (`python ui.py`):
the official `openai` package on the chat endpoint (/v1), the `mcp` SDK's client over streamable
HTTP (/mcp) and over stdio (`python -m assistant mcp`). Their logins: test_exposure.py."""

from __future__ import annotations

import json
import os
import sys

import httpx
import openai
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from assistant import ASSISTANT_NAME, __version__
from assistant.answering.prompts import EMPTY_QUESTION, REFUSAL
from assistant.config import AI_NOTICE
from assistant.interfaces.mcp_server import TOOLS

from conftest import JEUGDHULP, PROJECT

FOLLOW_UP = "En wat vraagt men daarvoor van het rijk?"


@pytest.fixture(scope="module")
def chat(page_url):
    return openai.OpenAI(base_url=page_url + "v1", api_key="niet-nodig", timeout=120, max_retries=0)


def test_the_openai_client_lists_the_model_and_gets_a_cited_answer_with_its_structured_twin(chat):
    assert [model.id for model in chat.models.list()] == ["sociaal-domein"]
    completion = chat.chat.completions.create(model="sociaal-domein", temperature=0.3, max_tokens=50,
                                              messages=[{"role": "system", "content": "Antwoord kort."},
                                                        {"role": "user", "content": JEUGDHULP}])
    content = completion.choices[0].message.content
    assert content.startswith(AI_NOTICE), "the first answer of a conversation says an AI system answers"
    assert "[1]" in content and "\n\nBronnen:\n[1] VNG e.a., De waarde van het sociaal domein" in content
    grounded = completion.model_extra["grounded_answer"]
    assert grounded["found"] and grounded["citations"] and grounded["mode"] == "passages"
    assert grounded["answer"] in content and f"> {grounded['citations'][0]['quote']}" in content
    assert grounded["generated_by"] == {"name": ASSISTANT_NAME, "version": __version__}
    assert grounded["ai_generated"] is False and grounded["origin"] == "extractive"
    assert completion.choices[0].finish_reason == "stop" and completion.usage.total_tokens > 0

    follow_up = chat.chat.completions.create(model="sociaal-domein", messages=[
        {"role": "user", "content": JEUGDHULP}, {"role": "assistant", "content": content},
        {"role": "user", "content": FOLLOW_UP}])
    answer = follow_up.choices[0].message.content
    assert not answer.startswith(AI_NOTICE), "said once, at the first interaction"
    assert "jeugd" in follow_up.model_extra["grounded_answer"]["answer"].lower(), "the follow-up keeps its topic"


def test_a_streamed_answer_is_the_same_answer_in_openai_chunks(chat, page_url):
    whole = chat.chat.completions.create(model="sociaal-domein", messages=[{"role": "user", "content": JEUGDHULP}])
    chunks = list(chat.chat.completions.create(model="sociaal-domein", stream=True,
                                               messages=[{"role": "user", "content": JEUGDHULP}]))
    streamed = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert streamed == whole.choices[0].message.content
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[-1].choices[0].finish_reason == "stop"
    assert chunks[-1].model_extra["grounded_answer"]["citations"] == whole.model_extra["grounded_answer"]["citations"]
    with httpx.stream("POST", page_url + "v1/chat/completions", timeout=120,
                      json={"model": "sociaal-domein", "stream": True,
                            "messages": [{"role": "user", "content": JEUGDHULP}]}) as raw:
        assert raw.headers["content-type"].startswith("text/event-stream")
        events = [line for line in raw.iter_lines() if line]
    assert all(event.startswith("data: ") for event in events) and events[-1] == "data: [DONE]"


def test_a_refusal_over_the_chat_endpoint_is_a_refusal(chat):
    completion = chat.chat.completions.create(model="sociaal-domein",
                                              messages=[{"role": "user", "content": "Hoe bak ik pannenkoeken?"}])
    assert REFUSAL in completion.choices[0].message.content
    assert completion.model_extra["grounded_answer"]["found"] is False


def test_errors_come_in_openais_shape_with_the_right_status(chat, page_url):
    with pytest.raises(openai.NotFoundError) as unknown:
        chat.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": JEUGDHULP}])
    assert unknown.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError) as empty:
        chat.chat.completions.create(model="sociaal-domein", messages=[{"role": "user", "content": "  "}])
    assert empty.value.body["message"] == EMPTY_QUESTION, "the client shows the user a Dutch hint"
    with pytest.raises(openai.BadRequestError, match="te lang"):
        chat.chat.completions.create(model="sociaal-domein", messages=[{"role": "user", "content": "jeugd " * 1000}])
    with pytest.raises(openai.BadRequestError, match="last message must be the user's question"):
        chat.chat.completions.create(model="sociaal-domein", messages=[{"role": "assistant", "content": "Hallo"}])
    for body, status in ((b"{niet: json", 400), (json.dumps({"model": "sociaal-domein"}).encode(), 400),
                         (json.dumps({"model": "sociaal-domein", "messages": "x" * 300_000}).encode(), 413)):
        response = httpx.post(page_url + "v1/chat/completions", content=body, timeout=30,
                              headers={"Content-Type": "application/json"})
        error = response.json()["error"]
        assert response.status_code == status and set(error) == {"message", "type", "param", "code"}, response.text
        assert "Traceback" not in response.text


async def test_the_mcp_client_over_streamable_http_uses_every_tool_and_reads_a_document(page_url):
    async with Client(page_url + "mcp") as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == set(TOOLS) and all(" / " in tool.description for tool in tools.values()), \
            "described in English and Dutch"

        asked = await client.call_tool("ask", {"question": JEUGDHULP})
        assert not asked.is_error
        answer = asked.structured_content
        assert answer["found"] and answer["citations"] and "[1]" in answer["answer"]
        assert answer["ai_generated"] is False and answer["generated_by"]["name"] == ASSISTANT_NAME
        follow_up = await client.call_tool("ask", {"question": FOLLOW_UP, "history": [
            {"role": "user", "content": JEUGDHULP}, {"role": "assistant", "content": answer["answer"]}]})
        assert "jeugd" in follow_up.structured_content["answer"].lower()

        found = (await client.call_tool("search", {"question": JEUGDHULP, "k": 3})).structured_content
        assert found["found"] and len(found["passages"]) == 3
        lookup = (await client.call_tool("lookup_citation",
                                         {"phrase": "pleisters plakken op losse problemen"})).structured_content
        assert "pleisters" in lookup["matches"][0]["quote"] and "VNG" in lookup["matches"][0]["reference"]
        documents = (await client.call_tool("list_documents", {})).structured_content["result"]
        assert len(documents) == 5

        for bad in ({"question": JEUGDHULP, "k": 0}, {"question": "   "}, {"question": "jeugd " * 1000}):
            refused = await client.call_tool("search", bad)
            assert refused.is_error, bad
        refused = await client.call_tool("ask", {"question": " "})
        assert refused.is_error and EMPTY_QUESTION in refused.content[0].text

        resources = (await client.list_resources()).resources
        assert len(resources) == 5 and all(str(r.uri).startswith("document://") for r in resources)
        text = (await client.read_resource(resources[1].uri)).contents[0].text
        assert text.startswith("# ") and len(text) > 2000


async def test_the_mcp_client_over_stdio_starts_the_assistant_and_asks(pipeline):
    server = StdioServerParameters(command=sys.executable, args=["-m", "assistant", "mcp"], cwd=str(PROJECT),
                                   env={**os.environ, "VECTORSTORE_DIR": str(pipeline.settings.vectorstore_dir),
                                        "HF_HUB_OFFLINE": "1"})
    async with Client(server, read_timeout_seconds=300) as client:
        assert {tool.name for tool in (await client.list_tools()).tools} == set(TOOLS)
        asked = await client.call_tool("ask", {"question": JEUGDHULP})
        assert asked.structured_content["found"] and asked.structured_content["citations"]
