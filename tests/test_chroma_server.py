"""Server mode: a real `chroma run` server, indexed and queried through CHROMA_HOST/CHROMA_PORT;
a server that goes down and comes back, seen from the CLI and from the page."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.prompts import STORE_UNAVAILABLE

from conftest import (PROJECT, ask, free_port, last_answer_text, running_page, screenshot, session_dir,
                      submit_for_notice, wait_for_http)

CHROMA = Path(sys.executable).with_name("chroma")
SEEDS = ["000_c6716b41ae63aa19.txt", "003_601c73c71d766d51.txt", "004_5ab84b3766507cc5.txt"]


class ChromaServer:
    """`chroma run` on a free loopback port; stop() and start() keep its data folder and port."""

    def __init__(self, data: Path):
        self.data, self.port, self.process = data, free_port(), None
        self.log_path = session_dir() / f"chroma-{self.port}.log"

    def start(self) -> None:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.data), "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT)
        wait_for_http(f"http://127.0.0.1:{self.port}/api/v2/heartbeat", self.process, self.log_path, timeout=60)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    chroma = ChromaServer(tmp_path_factory.mktemp("chroma-data"))
    chroma.start()
    yield chroma
    if chroma.process.poll() is None:
        chroma.stop()


@pytest.fixture(scope="module")
def server_env(server, tmp_path_factory):
    """Settings for the server: three small documents, the lock folder apart from the data."""
    seeds = tmp_path_factory.mktemp("server-seeds")
    for name in SEEDS:
        shutil.copy(PROJECT / "seeds" / name, seeds / name)
    local = tmp_path_factory.mktemp("server-local")
    return {**os.environ, "HF_HUB_OFFLINE": "1", "CHROMA_HOST": "127.0.0.1", "CHROMA_PORT": str(server.port),
            "SEEDS_DIR": str(seeds), "VECTORSTORE_DIR": str(local / "vectorstore"),
            "CHROMA_COLLECTION": "server_test"}


def cli(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=PROJECT, env=env, input=stdin,
                          capture_output=True, text=True, encoding="utf-8", timeout=600)


@pytest.fixture(scope="module")
def indexed(server_env) -> subprocess.CompletedProcess:
    return cli(server_env, "index")


def test_index_into_the_server_and_search_it(server, server_env, indexed):
    assert indexed.returncode == 0, indexed.stderr[-2000:]
    assert "passages toegevoegd" in indexed.stdout
    local = Path(server_env["VECTORSTORE_DIR"])
    assert not (local / "chroma.sqlite3").exists(), "the vectors live in the server, not on local disk"
    assert any(server.data.iterdir())

    searched = cli(server_env, "search", "--jsonl", stdin=json.dumps({"question": "Wat is bestaanszekerheid?"}) + "\n")
    assert searched.returncode == 0, searched.stderr[-2000:]
    result = json.loads(searched.stdout)
    assert result["found"] and result["passages"]
    assert {p["source"] for p in result["passages"]} <= set(SEEDS)
    assert cli(server_env, "index").stdout.count("0 passages toegevoegd") == 1  # nothing to redo


def test_a_server_that_is_down_is_a_clear_error_on_the_cli(server, server_env):
    down = {**server_env, "CHROMA_PORT": str(free_port())}  # nothing listens there
    done = cli(down, "search", "Wat is bestaanszekerheid?")
    assert done.returncode == 4
    assert "Cannot reach the Chroma server at 127.0.0.1" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_page_says_so_while_the_server_is_down_and_recovers(pipeline, server, server_env, indexed, browser):
    with running_page(pipeline, **server_env) as url:
        tab = browser.new_page()
        tab.goto(url)
        ask(tab, "Wat is bestaanszekerheid?")
        assert "[1]" in last_answer_text(tab)

        server.stop()
        submit_for_notice(tab, "Wat doen gemeenten aan schulden?", STORE_UNAVAILABLE[:40], timeout_ms=60_000)
        assert tab.input_value("#vraag textarea") == "Wat doen gemeenten aan schulden?"  # not lost
        assert "Traceback" not in tab.content()
        screenshot(tab, "server-down")

        server.start()
        ask(tab, "Wat doen gemeenten aan schulden?")
        assert "[1]" in last_answer_text(tab)
        assert "schuld" in tab.locator("#gesprek").inner_text().lower()
        tab.close()
