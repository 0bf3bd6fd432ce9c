"""Shared fixtures: one real index (real model, real Chroma), built once and kept between runs."""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import replace
from functools import cache
from pathlib import Path

import httpx
import pytest
from filelock import FileLock

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant.answering.prompts import ANSWER_LABELS  # noqa: E402
from assistant.config import Settings  # noqa: E402
from assistant.pipeline import Pipeline, load_pipeline  # noqa: E402
from assistant.records.store import Records  # noqa: E402

PROJECT = Path(__file__).resolve().parent.parent
# Tests that need the model, a server, a browser or an LLM: everything else is the fast tier
# (`make test-fast`, pytest -m "not integration").
INTEGRATION_FIXTURES = {"pipeline", "documents", "page_url", "browser", "llm_server", "page_records",
                        "postgres_url", "oidc_page"}
FAST_MODULES = {"test_question", "test_relevance", "test_compose", "test_grounding", "test_session",
                "test_chunking", "test_vocabulary", "test_privacy", "test_plain_language", "test_feedback",
                "test_settings", "test_logs", "test_login_throttle", "test_export", "test_library", "test_keywords",
                "test_served", "test_own_questions", "test_citations", "test_layers", "test_docs", "test_answerability",
                "test_headers", "test_register", "test_readers", "test_index_build"}
# `make test` hands whole files to its two workers in collection order (--no-loadscope-reorder):
# the longest first, so that neither worker is left running a long file that started last while
# the other waits (seconds per file in `make test` on this 2-core machine: llm 124-144, chroma_server 78,
# store 55, ui 32, embeddings 30, benchmarks 29, ...). Every other file follows, in name order.
LONGEST_FILES = ("test_llm", "test_chroma_server", "test_store", "test_ui", "test_sign_in", "test_embeddings",
                 "test_benchmarks",
                 "test_grounding_probe", "test_documents_tab", "test_exposure", "test_cli", "test_bad_input",
                 "test_api", "test_accessibility")


def module_name(item: pytest.Item) -> str:
    return item.module.__name__.rsplit(".", 1)[-1]


def pytest_collection_modifyitems(items):
    for item in items:
        if module_name(item) not in FAST_MODULES or INTEGRATION_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.integration)
    longest = {name: rank for rank, name in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: longest.get(module_name(item), len(longest)))  # stable: a file's order is kept


@cache
def session_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="assistant-tests-"))
    atexit.register(shutil.rmtree, path, True)
    return path


def make_settings(**changes) -> Settings:
    """The default settings with the store in a temporary folder (the model cache is shared)."""
    base = replace(Settings.from_env(), seeds_dir=PROJECT / "seeds", vectorstore_dir=session_dir() / "vectorstore")
    return replace(base, **changes)


def kept_store_dir(settings: Settings) -> Path:
    """The shared pipeline's index, kept between test runs beside the model cache (one per checkout):
    a set-up machine builds it once. It is checked against the documents and the model as any
    index is, so a changed seed is embedded again (incrementally) before the tests use it."""
    checkout = hashlib.sha256(str(PROJECT).encode()).hexdigest()[:12]
    return settings.cache_dir / "test-stores" / checkout


@cache
def shared_pipeline() -> Pipeline:
    """Loaded once per test process; with parallel workers (pytest -n) the first one builds the
    kept index while the others wait on its lock, then they all load it."""
    settings = make_settings()
    store_dir = kept_store_dir(settings)
    store_dir.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{store_dir}.lock"):
        return load_pipeline(replace(settings, vectorstore_dir=store_dir), progress=False)


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    return shared_pipeline()


@pytest.fixture(scope="session")
def documents(pipeline):
    return pipeline.documents


OUTPUT_DIR = Path(os.environ.get("TEST_OUTPUT_DIR", PROJECT / "tests" / "output"))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_http(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited ({process.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout} s:\n{log_path.read_text()[-3000:]}")


def wait_for_progress(process: subprocess.Popen, timeout: float = 300) -> int:
    """Read an index build's "Opslaan" bar on stderr until it has stored a first batch of texts
    and is still running; returns how many texts it had stored."""
    output, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        ready, _, _ = select.select([process.stderr], [], [], 1.0)
        if ready:
            output += os.read(process.stderr.fileno(), 4096)
            stored = [int(n) for n in re.findall(rb"Opslaan: *(\d+) *tekst", output)]
            if stored and stored[-1] > 0:
                return stored[-1]
    raise AssertionError(f"no partial progress seen; exit {process.poll()}: {output[-2000:]!r}")


def midway_seeds(folder: Path) -> Path:
    """Every seed but the largest, copied into `folder` under two names: more than one pool of
    passages (index_build.EMBED_POOL), so a build stopped after its first is midway, at half of the
    embedding of all seeds."""
    folder.mkdir(parents=True, exist_ok=True)
    *smaller, _largest = sorted((PROJECT / "seeds").glob("*.txt"), key=lambda path: path.stat().st_size)
    for path in smaller:
        shutil.copy(path, folder / path.name)
        shutil.copy(path, folder / f"kopie_{path.name}")
    return folder


def kill_build_midway(env: dict) -> None:
    """Start `python -m assistant index` and SIGKILL it once it has stored a first batch."""
    build = subprocess.Popen([sys.executable, "-m", "assistant", "index"], cwd=PROJECT, env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_progress(build)
        build.send_signal(signal.SIGKILL)
    finally:
        build.kill()
        build.wait()
    assert build.returncode == -signal.SIGKILL


STOPPED_AFTER: dict[str, float] = {}  # page url -> seconds from SIGTERM to its exit


@contextmanager
def running_page(pipeline: Pipeline, port: int | None = None, ready: str = "", **env: str):
    """The real chat page (`python ui.py`) on a free loopback port (or `port`), on the session's index;
    up when `ready` (a path) answers."""
    port = port or free_port()
    log_path = session_dir() / f"ui-{port}.log"
    settings = pipeline.settings
    full_env = {**os.environ, "VECTORSTORE_DIR": str(settings.vectorstore_dir), "HF_HUB_OFFLINE": "1",
                "UI_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False",
                # its own store and no feedback file of the checkout's to import
                "DATA_DIR": str(session_dir() / f"data-{port}"),
                "FEEDBACK_FILE": str(session_dir() / f"feedback-{port}.jsonl"), **env}
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, "ui.py"], cwd=PROJECT, env=full_env, stdout=log,
                                   stderr=subprocess.STDOUT)
    try:
        url = f"http://{env.get('UI_HOST', '127.0.0.1')}:{port}/"
        wait_for_http(url + ready, process, log_path)
        yield url
    finally:
        stopping = time.monotonic()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        STOPPED_AFTER[url] = time.monotonic() - stopping


@pytest.fixture(scope="session")
def page_records() -> Records:
    """The store the default page writes to (a SQLite file of the session), read by the tests."""
    return Records(f"sqlite:///{session_dir() / 'assistant.sqlite3'}")


def new_feedback(store: Records, before: int, timeout: float = 10) -> list[dict]:
    """The feedback rows written after the first `before` (the page writes them off the request)."""
    deadline = time.monotonic() + timeout
    while len(rows := store.feedback()) <= before and time.monotonic() < deadline:
        time.sleep(0.1)
    return rows[before:]


JEUGDHULP = "Wat vragen gemeenten van het rijk voor de jeugdhulp?"  # the question many tests ask
REFERRAL = "Voor vragen over uw eigen situatie: bel 14 020 of kom langs bij het Stadsloket."


@pytest.fixture(scope="session")
def page_url(pipeline, page_records):
    """The default chat page, started once for every test that needs no settings of its own; with a
    referral line for residents' answers, as a municipality sets it."""
    with running_page(pipeline, DATABASE_URL=page_records.url, REFERRAL_TEXT=REFERRAL) as url:
        yield url


# ------------------------------------------------------------------ the page in a browser
ANSWER_TIMEOUT_MS = 120_000


AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(tab) -> list[dict]:
    """What axe-core finds against WCAG 2.1 A and AA on the page once it has settled: while an
    event runs, Gradio dims its outputs (`.pending`, opacity 0.2), and a result's text can be
    there before the event ends; when it ends the opacity goes back to 1 in a CSS transition
    (0.15 s, longer under load). Measured before either, the citation result's contrast was too
    low (twice under load)."""
    tab.wait_for_function("""() => !document.querySelector('.pending')
        && !document.getAnimations().some(a => a instanceof CSSTransition && a.playState === 'running')""",
                          timeout=60_000)
    tab.add_script_tag(path=str(AXE))
    return tab.evaluate(
        """async tags => (await axe.run(document, {runOnly: {type: 'tag', values: tags}})).violations
            .map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))""",
        WCAG_21_AA)


def screenshot(tab, name: str) -> None:
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(OUTPUT_DIR / f"{name}.png"), full_page=True)


def ask(tab, question: str) -> None:
    """Submit a question and wait until its whole answer is shown (the answer's label comes last)."""
    answers_before = tab.locator("#gesprek .bot-row").count()
    tab.fill("#vraag textarea", question)
    tab.click("#vraag-knop")
    tab.wait_for_function(
        """([before, labels]) => {
            const rows = document.querySelectorAll('#gesprek .bot-row');
            return rows.length > before && labels.some(l => rows[rows.length - 1].innerText.includes(l));
        }""", arg=[answers_before, list(ANSWER_LABELS.values())], timeout=ANSWER_TIMEOUT_MS)


def submit_for_notice(tab, question: str, notice: str, timeout_ms: int = 30_000) -> None:
    """Submit a question and wait until the line under the box shows `notice` (a hint, an error)."""
    tab.fill("#vraag textarea", question)
    tab.click("#vraag-knop")
    tab.wait_for_function("t => document.querySelector('#melding').innerText.includes(t)",
                          arg=notice, timeout=timeout_ms)


def last_answer_text(tab) -> str:
    """The text of the last answer, without its sources and trace (closed blocks under it)."""
    return tab.locator("#gesprek .bot-row").last.evaluate("""row => {
        const answer = row.querySelector('.message-content').cloneNode(true);
        answer.querySelectorAll('details').forEach(block => block.remove());
        return answer.textContent.trim(); }""")


def open_block(tab, summary) -> None:
    """Open a closed block of an answer (its sources, one source, the trace) by its title."""
    summary.click()
    summary.locator("xpath=..").and_(tab.locator("details[open]")).wait_for()


@pytest.fixture(scope="module")
def browser():
    """Module-scoped: Playwright's sync API keeps an event loop running while it is open, which
    would stop later async tests from running theirs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def llm_server() -> str:
    """The real OpenAI-compatible llama.cpp server with Qwen2.5 1.5B (scripts/local_llm.py)."""
    port = free_port()
    log_path = session_dir() / "llm-server.log"
    with log_path.open("w") as log:
        # one thread: the other test worker holds the other core, and llama.cpp's threads wait for
        # each other at every step, so a second thread that is often descheduled slows it down
        process = subprocess.Popen([sys.executable, "scripts/local_llm.py", "serve", "--port", str(port),
                                    "--threads", "1"], cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/v1/models", process, log_path, timeout=900)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=30)


# The real model on 2 shared cores can be slow; these tests check structure, not speed.
REAL_LLM_TIMEOUT = 240.0


def llm_settings(base_url: str, **changes) -> Settings:
    return make_settings(**{"llm_base_url": base_url, "llm_model": "qwen-nl", "llm_temperature": 0.0,
                            "llm_timeout": REAL_LLM_TIMEOUT, **changes})


# ------------------------------------------------------------------ a real PostgreSQL server
def postgres_binaries() -> Path:
    """Debian's PostgreSQL binaries (`make test` installs the package when they are missing)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `make postgresql` (Debian's postgresql package)")
    return found[-1].parent


class PostgresServer:
    """A PostgreSQL server of the tests' own: initdb and pg_ctl in a temporary folder, on a free
    loopback port, run as the `postgres` user when the tests run as root (it refuses root);
    stop() and start() keep its data and port."""

    def __init__(self):
        self.binaries = postgres_binaries()
        self.folder = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres")
        self.data, self.port = self.folder / "data", free_port()
        self.run("initdb", "-D", self.data, "-U", "assistent", "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "assistent", "assistent")
        self.url = f"postgresql://assistent@127.0.0.1:{self.port}/assistent"

    def run(self, program: str, *arguments: str | Path) -> None:
        subprocess.run([*self.as_owner, str(self.binaries / program), *map(str, arguments)], check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        self.run("pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-w", "-o",
                 f"-p {self.port} -h 127.0.0.1 -k {self.folder} -F", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    server = PostgresServer()
    try:
        yield server.url
    finally:
        server.remove()


# ------------------------------------------------------------------ an OpenID Connect provider
OIDC_SECRET = "assistent-geheim-voor-de-tests"  # tests/oidc_provider.mjs's client secret


@contextmanager
def oidc_provider(redirect_uri: str):
    """node-oidc-provider (npm, certified) on a free loopback port: its issuer URL."""
    port = free_port()
    log_path = session_dir() / f"oidc-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(["node", str(PROJECT / "tests" / "oidc_provider.mjs"), str(port), redirect_uri],
                                   cwd=PROJECT, stdout=log, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(issuer + "/.well-known/openid-configuration", process, log_path, timeout=30)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def provider_token(issuer: str, client: str, resource: str = "https://assistent.test") -> str:
    """An access token of the provider for a machine client (client credentials), for `resource`."""
    response = httpx.post(issuer + "/token", auth=(client, OIDC_SECRET), timeout=10,
                          data={"grant_type": "client_credentials", "resource": resource, "scope": "openid"})
    response.raise_for_status()
    return response.json()["access_token"]
