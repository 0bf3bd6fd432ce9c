"""What the running page exposes, whatever its environment says (real server processes)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx

from conftest import PROJECT, running_page, wait_for_http  # noqa: F401 - running_page starts ui.py

PASSWD = "/etc/passwd"


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


def test_beyond_loopback_only_the_allowed_host_names_are_answered(pipeline):
    # 127.0.0.2 is still this machine, but not the loopback name the page defaults to: it is treated as
    # an address other machines could reach (a login is needed, and the Host list applies)
    with running_page(pipeline, UI_HOST="127.0.0.2", UI_AUTH="balie:geheim-wachtwoord") as url, \
            httpx.Client(base_url=url, timeout=30) as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"Host": "aanvaller.example"}).status_code == 400


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


def test_the_page_login_form_is_throttled(pipeline):
    with running_page(pipeline, UI_AUTH="balie:geheim-wachtwoord") as url, \
            httpx.Client(base_url=url, timeout=30) as client:
        statuses = [client.post("/login", data={"username": "balie", "password": f"gok-{n}"}).status_code
                    for n in range(12)]
        assert statuses[:10] == [400] * 10 or all(s in (400, 401) for s in statuses[:10]), statuses
        assert statuses[10:] == [429, 429]
        assert client.post("/login", data={"username": "balie", "password": "geheim-wachtwoord"}).status_code == 429
