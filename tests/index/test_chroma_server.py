"""Server mode: a real `chroma run` server, indexed and queried through CHROMA_HOST/CHROMA_PORT;
a server that goes down and comes back, seen from the CLI and from the page."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import chromadb
import httpx
import pytest

from assistant.answering.prompts import STORE_UNAVAILABLE
from assistant.index.build_claim import LOCK_STALE_SECONDS
from assistant.index.store import IndexBusy, PassageStore
from assistant.pipeline import load_chunks
from assistant.records.insights import summary
from assistant.records.store import Records, database_url

from conftest import (
    PROJECT,
    STOPPED_AFTER,
    ask,
    free_port,
    kill_build_midway,
    last_answer_text,
    make_settings,
    midway_seeds,
    running_page,
    screenshot,
    session_dir,
    submit_for_notice,
    wait_for_http,
    wait_for_progress,
)

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


# ------------------------------------------------------------------ builds from two machines
def start_build(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assistant", "index"], cwd=PROJECT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_build_from_another_machine_waits_its_turn(pipeline, server_env, tmp_path):
    """Two machines have two lock folders; the claim in the server keeps their builds apart."""
    seeds = midway_seeds(tmp_path / "seeds")
    chunks = load_chunks(make_settings(seeds_dir=seeds))
    machine_a = {**server_env, "CHROMA_COLLECTION": "two_machines", "VECTORSTORE_DIR": str(tmp_path / "a"),
                 "SEEDS_DIR": str(seeds)}
    client = chromadb.HttpClient(host="127.0.0.1", port=int(server_env["CHROMA_PORT"]))
    machine_b = PassageStore(tmp_path / "b", "two_machines", pipeline.store.embeddings,
                             pipeline.store.model_identity, client)
    first = start_build(machine_a)
    try:
        wait_for_progress(first)
        with pytest.raises(IndexBusy, match=f"another index build \\(host {socket.gethostname()}"):
            machine_b.sync(chunks, progress=False)
    finally:
        first.communicate(timeout=600)
    assert first.returncode == 0
    machine_b.check_ready([c.id for c in chunks])  # the first build was not disturbed: whole and servable
    assert machine_b.sync(chunks, progress=False).added == 0


def test_the_claim_of_a_killed_build_is_taken_over(pipeline, server_env, tmp_path, caplog):
    seeds = midway_seeds(tmp_path / "seeds")
    chunks = load_chunks(make_settings(seeds_dir=seeds))
    env = {**server_env, "CHROMA_COLLECTION": "killed_claim", "VECTORSTORE_DIR": str(tmp_path / "a"),
           "SEEDS_DIR": str(seeds)}
    kill_build_midway(env)
    client = chromadb.HttpClient(host="127.0.0.1", port=int(env["CHROMA_PORT"]))
    assert client.get_collection("killed_claim_build_lock").metadata["host"] == socket.gethostname()
    store = PassageStore(tmp_path / "b", "killed_claim", pipeline.store.embeddings, pipeline.store.model_identity,
                         client)
    with caplog.at_level(logging.WARNING, logger="assistant.index.store"):
        store.sync(chunks, progress=False)  # its process is gone from this machine: no wait
    assert "Taking over the index build claim" in caplog.text
    store.check_ready([c.id for c in chunks])
    assert "killed_claim_build_lock" not in {c.name for c in client.list_collections()}


@pytest.mark.parametrize("silent_for, refused", [(10, True), (LOCK_STALE_SECONDS + 60, False)])
def test_a_claim_from_another_machine_is_respected_until_it_goes_silent(pipeline, server_env, tmp_path,
                                                                        silent_for, refused):
    client = chromadb.HttpClient(host="127.0.0.1", port=int(server_env["CHROMA_PORT"]))
    name = f"claimed_{silent_for}"
    client.create_collection(f"{name}_build_lock",  # what a build on another machine leaves while it runs
                             metadata={"host": "balie-server-2", "pid": 4242, "heartbeat": time.time() - silent_for})
    chunks = [pipeline.chunks.at(position) for position in range(3)]
    store = PassageStore(tmp_path / "vs", name, pipeline.store.embeddings, "model-a", client)
    if refused:
        with pytest.raises(IndexBusy, match="host balie-server-2"):
            store.sync(chunks, progress=False)
        assert not store.read_state(), "the refused build wrote nothing"
    else:
        assert store.sync(chunks, progress=False).added == 3
        store.check_ready([c.id for c in chunks])


# ------------------------------------------------------------------ a server that stalls
STALL_TIMEOUT = 2.0
PAGE_STOPS_WITHIN = 10  # seconds: ui.SHUTDOWN_GRACE_SECONDS (5) and the process's own exit


def test_a_stalled_server_is_a_clear_error_within_the_timeout(server, server_env, indexed):
    """SIGSTOP: the server takes connections but never answers (chromadb's own client would wait for ever)."""
    env = {**server_env, "CHROMA_TIMEOUT": str(STALL_TIMEOUT)}
    server.process.send_signal(signal.SIGSTOP)
    try:
        started = time.monotonic()
        done = cli(env, "search", "Wat is bestaanszekerheid?")
        elapsed = time.monotonic() - started
    finally:
        server.process.send_signal(signal.SIGCONT)
    assert done.returncode == 4 and "did not answer in time" in done.stderr and "Traceback" not in done.stderr
    assert elapsed < 60, "model load plus one timeout, not for ever"


def test_the_page_while_the_server_is_down_stalls_and_comes_back(pipeline, server, server_env, indexed, browser):
    """One page through the server's two failures: down (connections refused), seen in the browser,
    and stalled (SIGSTOP) under twenty users at once; after each, the answers come back."""
    from gradio_client import Client

    env = {**server_env, "CHROMA_TIMEOUT": str(STALL_TIMEOUT)}
    with running_page(pipeline, **env) as url:
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

        clients = [Client(url, verbose=False, download_files=False) for _ in range(20)]

        def ask_page(client) -> tuple[str, float]:
            started = time.monotonic()
            *_, notice = client.predict("Wat doen gemeenten aan schulden?", False, [], api_name="/vraag")
            return notice, time.monotonic() - started

        server.process.send_signal(signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(max_workers=20) as pool:
                stalled = list(pool.map(ask_page, clients))
        finally:
            server.process.send_signal(signal.SIGCONT)
        assert [notice for notice, _ in stalled] == [STORE_UNAVAILABLE] * 20, "each user is told, in Dutch"
        # queued behind at most one round of others: never the old wait for ever
        assert max(seconds for _, seconds in stalled) < 4 * STALL_TIMEOUT + 10, stalled

        with ThreadPoolExecutor(max_workers=20) as pool:
            after = list(pool.map(ask_page, clients))
        assert [notice for notice, _ in after] == [""] * 20, "all answer again once it is back"
    # the twenty clients' connections are still open: the page stops within its grace period all the same
    assert STOPPED_AFTER[url] < PAGE_STOPS_WITHIN, STOPPED_AFTER[url]


# ------------------------------------------------------------------ a server that asks for a token
class TokenProxy(ThreadingHTTPServer):
    """What a secured deployment puts in front of `chroma run` (whose 1.x server checks no token):
    a proxy that forwards only requests carrying the bearer token."""

    daemon_threads = True

    def __init__(self, upstream: str, token: str):
        super().__init__(("127.0.0.1", 0), TokenProxyHandler)
        self.upstream, self.token, self.refused = upstream, token, 0
        threading.Thread(target=self.serve_forever, daemon=True).start()


class TokenProxyHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def _forward(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            self.server.refused += 1
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        upstream = httpx.request(self.command, self.server.upstream + self.path, content=body, headers=headers)
        self.send_response(upstream.status_code)
        self.send_header("Content-Type", upstream.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(upstream.content)))
        self.end_headers()
        self.wfile.write(upstream.content)

    do_GET = do_POST = do_PUT = do_DELETE = _forward


def test_a_token_is_sent_to_a_secured_server(server, server_env, indexed):
    proxy = TokenProxy(f"http://127.0.0.1:{server.port}", "chroma-token-0123456789")
    through = {**server_env, "CHROMA_PORT": str(proxy.server_address[1])}
    ok = cli({**through, "CHROMA_TOKEN": "chroma-token-0123456789"}, "search", "--jsonl",
             stdin=json.dumps({"question": "Wat is bestaanszekerheid?"}) + "\n")
    assert ok.returncode == 0 and json.loads(ok.stdout)["found"], ok.stderr[-2000:]
    assert proxy.refused == 0
    refused = cli({**through, "CHROMA_TOKEN": "een-ander-token-9876543210"}, "search", "Wat is bestaanszekerheid?")
    assert refused.returncode == 4 and "Traceback" not in refused.stderr
    assert "een-ander-token" not in refused.stderr and "chroma-token" not in refused.stderr, "no token in the log"
    proxy.shutdown()


def test_two_replicas_share_one_chroma_server_and_one_database(pipeline, server, server_env, indexed, postgres_url,
                                                              browser, tmp_path):
    """Two page processes against one Chroma server and one PostgreSQL: a question asked on one and
    a thumbs-down given on the other are in the same store; a build switches both to the new index."""
    shared = {key: server_env[key] for key in ("CHROMA_HOST", "CHROMA_PORT", "SEEDS_DIR", "CHROMA_COLLECTION")}
    with (running_page(pipeline, **shared, DATABASE_URL=postgres_url) as first,
          running_page(pipeline, **shared, DATABASE_URL=postgres_url) as second):
        asked = httpx.post(first + "api/v1/ask", json={"question": "Wat is bestaanszekerheid?"}, timeout=120).json()
        assert asked["found"]
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(second)
        tab.wait_for_selector("#vraag textarea")
        ask(tab, "Wat doen gemeenten aan schulden?")
        tab.locator("#gesprek button[aria-label='Dislike']").first.click()
        tab.wait_for_function("() => document.querySelector('#melding').innerText.includes('opgeslagen')")
        context.close()

        records = Records(database_url(postgres_url, tmp_path))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                {"api", "page"} <= {row["channel"] for row in records.exchanges()} and records.feedback()):
            time.sleep(0.2)
        questions = {(row["channel"], row["question"]) for row in records.exchanges()}
        assert ("api", "Wat is bestaanszekerheid?") in questions
        assert ("page", "Wat doen gemeenten aan schulden?") in questions
        assert [row["rating"] for row in records.feedback()] == ["down"]
        assert summary(records, []).thumbs == {"up": 0, "down": 1}, "one store, one set of insights"

        added = "001_c76147defb583f46.txt"
        shutil.copy(PROJECT / "seeds" / added, Path(server_env["SEEDS_DIR"]) / added)
        assert cli(server_env, "index").returncode == 0
        for url in (first, second):
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and added not in {
                    d["source"] for d in httpx.get(url + "api/v1/documents", timeout=30).json()}:
                time.sleep(0.5)
            assert added in {d["source"] for d in httpx.get(url + "api/v1/documents", timeout=30).json()}, url
