"""Open WebUI (what GovChat-NL is built on) in front of the assistant's chat endpoint, for real.

    python scripts/open_webui_check.py [--url http://127.0.0.1:7860/] [--token T] [--venv DIR]

Installs Open WebUI from PyPI into a virtual environment of its own (kept under the cache folder,
so a second run skips it), starts it offline with its own login off and our `/v1` as its only
OpenAI connection, asks one question through Open WebUI's own API and prints the answer with its
sources, and how long each step took. Not part of `make test`: the install is ~1 GB. Start the
assistant first (`make run`). Loopback only.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

CACHE = Path.home() / ".cache" / "sociaal-domein-assistant" / "open-webui-venv"
QUESTION = "Wat vragen gemeenten van het rijk voor de jeugdhulp?"
START_TIMEOUT = 300  # seconds: Open WebUI migrates its database and loads its own models on the first start


def step(name: str, started: float) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {name}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def install(venv: Path) -> Path:
    serve = venv / "bin" / "open-webui"
    if not serve.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "open-webui"], check=True)
    return serve


def offline_environment(chat_url: str, token: str, data: Path) -> dict[str, str]:
    """Open WebUI without the internet and without its own login, our endpoint its one model source."""
    return {**os.environ, "DATA_DIR": str(data), "WEBUI_AUTH": "False", "WEBUI_SECRET_KEY": os.urandom(16).hex(),
            "OPENAI_API_BASE_URL": chat_url, "OPENAI_API_KEY": token or "none", "ENABLE_OLLAMA_API": "False",
            "OFFLINE_MODE": "True", "HF_HUB_OFFLINE": "1", "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "False",
            "ENABLE_VERSION_UPDATE_CHECK": "False", "ANONYMIZED_TELEMETRY": "False", "DO_NOT_TRACK": "True",
            "SCARF_NO_ANALYTICS": "True", "ENABLE_SIGNUP": "False"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/", help="the assistant's page")
    parser.add_argument("--token", default="", help="an API_TOKENS token, when the assistant asks for a login")
    parser.add_argument("--venv", type=Path, default=CACHE, help="where Open WebUI is installed")
    args = parser.parse_args()
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the check runs against an assistant on this machine (loopback)")
    started = time.monotonic()
    serve = install(args.venv)
    step(f"Open WebUI installed in {args.venv}", started)

    port = free_port()
    with tempfile.TemporaryDirectory() as data:
        log_path = Path(data) / "open-webui.log"
        env = offline_environment(args.url.rstrip("/") + "/v1", args.token, Path(data))
        with log_path.open("w") as log:
            process = subprocess.Popen([str(serve), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
                                       stdout=log, stderr=subprocess.STDOUT)
        try:
            return ask_through(f"http://127.0.0.1:{port}", process, log_path, started)
        finally:
            process.terminate()
            process.wait(timeout=30)


def ask_through(webui: str, process: subprocess.Popen, log_path: Path, started: float) -> int:
    with httpx.Client(base_url=webui, timeout=60) as client:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                print("Open WebUI did not start; the end of what it printed:\n" + log_path.read_text()[-4000:])
                return 1
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(2)
        step("Open WebUI started (offline, its own login off)", started)
        # with its login off, Open WebUI signs everyone in as its one administrator
        session = client.post("/api/v1/auths/signin", json={"email": "admin@localhost", "password": "admin"})
        client.headers["Authorization"] = f"Bearer {session.json()['token']}"
        models = [m["id"] for m in client.get("/api/models").json()["data"]]
        step(f"Open WebUI lists the models of our endpoint: {models}", started)
        reply = client.post("/api/chat/completions", json={"model": models[0], "stream": False,
                                                           "messages": [{"role": "user", "content": QUESTION}]})
        step(f"asked through Open WebUI (HTTP {reply.status_code})", started)
        if reply.status_code != 200:
            print(reply.text[:2000])
            return 1
        body = reply.json()
        print(f"\nVraag: {QUESTION}\n\n{body['choices'][0]['message']['content']}\n")
        grounded = body.get("grounded_answer") or {}
        print(f"grounded_answer (passed through by Open WebUI): {'yes' if grounded else 'no'}; "
              f"found={grounded.get('found')}, citations={len(grounded.get('citations', []))}, "
              f"ai_generated={grounded.get('ai_generated')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
