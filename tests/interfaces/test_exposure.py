"""What the running page exposes, whatever its environment says, and who may in: logins, tokens,
throttled guessing (real server processes)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import httpx2
import openai
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from conftest import JEUGDHULP, PROJECT, running_page

PASSWD = "/etc/passwd"
DESK_LOGIN = ("balie", "geheim-wachtwoord")
STAFF_LOGIN = ("medewerker", "een-lang-wachtwoord")
TOKEN = "token-0123456789abcdef"


@pytest.fixture(scope="module")
def guarded_page(pipeline):
    """A page as reachable from other machines: on 127.0.0.2 (still this machine, but not the loopback
    name the page defaults to, so a login is needed and the Host list applies), with logins and an
    API token. Failed logins are counted per client address, so each test that fails logins on
    purpose connects from an address of its own (127.0.0.3, ...) and leaves the others unthrottled."""
    logins = ",".join(":".join(login) for login in (DESK_LOGIN, STAFF_LOGIN))
    with running_page(pipeline, UI_HOST="127.0.0.2", UI_AUTH=logins, API_TOKENS=TOKEN) as url:
        yield url


def client_from(url: str, address: str, timeout: float = 120) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=timeout, transport=httpx.HTTPTransport(local_address=address))


def test_gradio_variables_in_the_environment_change_nothing(pipeline):
    env = {"GRADIO_ALLOWED_PATHS": "/", "GRADIO_SHARE": "True", "GRADIO_MCP_SERVER": "True",
           "GRADIO_MAX_FILE_SIZE": "10gb"}
    with running_page(pipeline, **env) as url, httpx.Client(base_url=url, timeout=30) as client:
        for route in (f"/gradio_api/file={PASSWD}", f"/file={PASSWD}", "/gradio_api/file=etc/passwd"):
            response = client.get(route)
            assert response.status_code >= 400 or "root:" not in response.text, route
        monitoring = client.get("/monitoring")
        assert monitoring.status_code in (403, 404), "no monitoring dashboard"
        assert client.get("/gradio_api/mcp/sse").status_code >= 400
        big = client.post("/gradio_api/upload", files={"files": ("groot.txt", b"x" * 2_000_000, "text/plain")})
        assert big.status_code == 413 or big.status_code >= 400, "uploads are bounded"


def test_beyond_loopback_only_the_allowed_host_names_are_answered(guarded_page):
    with httpx.Client(base_url=guarded_page, timeout=30) as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"Host": "aanvaller.example"}).status_code == 400


def test_login_is_asked_when_configured(guarded_page, browser):
    context = browser.new_context()
    tab = context.new_page()
    tab.goto(guarded_page)
    tab.wait_for_selector("input[type='password']")
    assert tab.locator("#vraag").count() == 0, "nothing of the page before logging in"
    tab.locator("input[type='text']").first.fill(DESK_LOGIN[0])
    tab.locator("input[type='password']").fill(DESK_LOGIN[1])
    tab.keyboard.press("Enter")
    tab.wait_for_selector("#vraag textarea")
    context.close()


def start_refused(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "ui.py"], cwd=PROJECT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **env})


def test_listening_on_every_address_without_a_login_is_refused():
    done = start_refused(UI_HOST="0.0.0.0")
    assert done.returncode == 2 and "UI_AUTH" in done.stderr and "Traceback" not in done.stderr
    done = start_refused(UI_HOST="0.0.0.0", UI_AUTH="balie:geheim-wachtwoord")
    assert done.returncode == 2 and "UI_ALLOWED_HOSTS" in done.stderr
    done = start_refused(TOP_K="abc")
    assert done.returncode == 2 and "TOP_K" in done.stderr and "Traceback" not in done.stderr


def test_the_page_login_form_is_throttled(guarded_page):
    with client_from(guarded_page, "127.0.0.3", timeout=30) as client:
        statuses = [client.post("/login", data={"username": DESK_LOGIN[0], "password": f"gok-{n}"}).status_code
                    for n in range(12)]
        assert statuses[:10] == [400] * 10 or all(s in (400, 401) for s in statuses[:10]), statuses
        assert statuses[10:] == [429, 429]
        response = client.post("/login", data={"username": DESK_LOGIN[0], "password": DESK_LOGIN[1]})
        assert response.status_code == 429


def test_logins_and_tokens_guard_the_api(guarded_page):
    with client_from(guarded_page, "127.0.0.4") as client:
        ask = {"question": JEUGDHULP}
        assert client.post("/api/v1/ask", json=ask).status_code == 401
        assert client.post("/api/v1/ask", json=ask, auth=(STAFF_LOGIN[0], "fout")).status_code == 401
        assert client.post("/api/v1/ask", json=ask, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert client.post("/api/v1/ask", json=ask, auth=STAFF_LOGIN).json()["found"]
        assert client.get("/api/v1/documents", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        # a password cannot be guessed at speed: after ten failed logins (two above) this address waits
        statuses = [client.get("/api/v1/documents", auth=("raad", f"poging-{n}")).status_code for n in range(12)]
        assert statuses == [401] * 8 + [429] * 4
        assert client.get("/api/v1/documents", auth=STAFF_LOGIN).status_code == 429, "until the window has passed"


def test_logins_and_tokens_guard_the_chat_endpoint_and_the_mcp_server(guarded_page):
    """The same logins as the API: the official clients get in with a token and are refused without.
    (The MCP client's event loop runs in a thread of its own: this module's browser holds the main
    thread's, see conftest.browser.)"""
    from_here = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.5"), timeout=120)
    with pytest.raises(openai.AuthenticationError) as refused:
        openai.OpenAI(base_url=guarded_page + "v1", api_key="fout", http_client=from_here, max_retries=0).models.list()
    assert refused.value.body["type"] == "authentication_error"
    staff = openai.OpenAI(base_url=guarded_page + "v1", api_key=TOKEN, http_client=from_here, max_retries=0)
    question = [{"role": "user", "content": JEUGDHULP}]
    completion = staff.chat.completions.create(model="sociaal-domein", messages=question)
    assert completion.model_extra["grounded_answer"]["found"]
    basic = from_here.post(guarded_page + "v1/chat/completions", auth=STAFF_LOGIN,
                           json={"model": "sociaal-domein", "messages": question})
    assert basic.status_code == 200, "the page's logins work too"

    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}}
    headers = {"Accept": "application/json, text/event-stream"}
    assert from_here.post(guarded_page + "mcp", json=initialize, headers=headers).status_code == 401
    with ThreadPoolExecutor(1) as thread:
        tools, asked = thread.submit(asyncio.run, ask_over_mcp(guarded_page + "mcp", TOKEN)).result()
    assert "ask" in tools and asked["found"]


async def ask_over_mcp(url: str, token: str) -> tuple[set[str], dict]:
    with_token = httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=120)
    async with Client(streamable_http_client(url, http_client=with_token)) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        return tools, (await client.call_tool("ask", {"question": JEUGDHULP})).structured_content
