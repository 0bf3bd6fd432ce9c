"""Load on the running assistant: N users at once, through the page or the JSON API, loopback only.

    python benchmarks/load.py [--url http://127.0.0.1:7860/] [--users 20] [--questions 3]
                              [--mode all|page|api|chat|browser]

Page: each simulated user opens its own page session and asks its questions one after another
through the page's "vraag" event (the same handler as the button), the way the browser does:
join Gradio's queue, then read the event's server-sent messages until the answer is complete.
(`gradio_client` does the same with more work of its own: on these 2 shared cores it took more
CPU than the server.) API: each user POSTs its questions to /api/v1/ask one after another.
Chat: each user POSTs them to the OpenAI-compatible /v1/chat/completions, as a chat client such
as Open WebUI does. Browser: each user is a tab of Debian's chromium that types its question and
presses Enter; the time is from Enter until the first text of the new answer is visible, what a
person at the desk waits (the browser's own work included, on the same 2 cores). Prints per mode
throughput, median and p95 latency and the number of errors. Bounded: users x questions
requests, and --max-seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from assistant.answering.prompts import ANSWER_LABELS, SOURCES_HEADING  # noqa: E402

QUESTIONS = [
    "Wat vragen gemeenten van het rijk voor de jeugdhulp?",
    "Wat is bestaanszekerheid?",
    "Wat doen gemeenten aan schulden?",
    "Wat bedoelen ze met kansengelijkheid?",
    "Hoe willen gemeenten gezond samenleven versterken?",
]


def page_asker(url: str, auth) -> Callable[[str], bool]:
    """One page session, asking through the "vraag" event; True when answered with a source."""
    client = httpx.Client(base_url=url, timeout=120)
    if auth:
        client.post("login", data={"username": auth[0], "password": auth[1]}).raise_for_status()
    config = client.get("config").json()
    event = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "vraag")
    session = uuid.uuid4().hex

    def ask(question: str) -> bool:
        # the event's inputs: the question, "explain for a resident", the chat so far, the session state
        joined = client.post("gradio_api/queue/join", json={"data": [question, False, [], None], "fn_index": event,
                                                            "session_hash": session, "trigger_id": None})
        joined.raise_for_status()
        event_id = joined.json()["event_id"]
        with client.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as messages:
            for line in messages.iter_lines():
                message = json.loads(line[len("data:"):]) if line.startswith("data:") else {}
                if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                    outputs = message["output"].get("data") or [[], None, None, "failed"]
                    chat, notice = outputs[0], outputs[-1]
                    return message.get("success", False) and not notice and \
                        any(f"{SOURCES_HEADING} (" in part.get("text", "")  # a cited source is shown
                            for m in chat for part in m["content"])
        return False

    return ask


def api_asker(url: str, auth) -> Callable[[str], bool]:
    """One API client, asking POST /api/v1/ask; True when answered with citations."""
    client = httpx.Client(base_url=url, auth=auth, timeout=120)

    def ask(question: str) -> bool:
        response = client.post("api/v1/ask", json={"question": question})
        return response.status_code == 200 and bool(response.json()["citations"])

    return ask


def chat_asker(url: str, auth) -> Callable[[str], bool]:
    """One chat client, asking /v1/chat/completions; True when answered with citations."""
    client = httpx.Client(base_url=url, auth=auth, timeout=120)

    def ask(question: str) -> bool:
        response = client.post("v1/chat/completions", json={"model": "sociaal-domein",
                                                             "messages": [{"role": "user", "content": question}]})
        return response.status_code == 200 and bool(response.json()["grounded_answer"]["citations"])

    return ask


def one_user(asker, url: str, user: int, questions: int, deadline: float, auth) -> tuple[list[float], int]:
    ask = asker(url, auth)
    latencies, errors = [], 0
    for i in range(questions):
        if time.monotonic() > deadline:
            break
        started = time.monotonic()
        try:
            errors += not ask(QUESTIONS[(user + i) % len(QUESTIONS)])
        except Exception as exc:  # noqa: BLE001 - every failure counts as an error, the run goes on
            print(f"user {user}: {type(exc).__name__}: {exc}", file=sys.stderr)
            errors += 1
        latencies.append(time.monotonic() - started)
    return latencies, errors


def run(name: str, asker, args, auth) -> None:
    deadline = time.monotonic() + args.max_seconds
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        results = list(pool.map(lambda u: one_user(asker, args.url, u, args.questions, deadline, auth),
                                range(args.users)))
    report(name, args.users, results, time.monotonic() - started)


def report(name: str, users: int, results: list[tuple[list[float], int]], elapsed: float) -> None:
    latencies = sorted(t for lat, _ in results for t in lat)
    errors = sum(e for _, e in results)
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)] if latencies else float("nan")
    print(f"{name}: users {users}, requests {len(latencies)}, errors {errors}, {elapsed:.1f} s, "
          f"throughput {len(latencies) / elapsed:.2f} req/s, "
          f"median {statistics.median(latencies) if latencies else float('nan'):.2f} s, p95 {p95:.2f} s")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# the newest answer shows text of its own (not the "searching" line an LLM answer streams first)
ANSWER_TEXT_SHOWN = """([before, searching]) => {
    const rows = document.querySelectorAll('#gesprek .bot-row');
    const text = rows.length > before ? rows[rows.length - 1].querySelector('.message-content').innerText.trim() : '';
    return text && !text.startsWith(searching);
}"""
ANSWER_DONE = "labels => { const rows = document.querySelectorAll('#gesprek .bot-row'); " \
              "return labels.some(l => rows[rows.length - 1].innerText.includes(l)); }"


async def browser_user(browser, args, user: int, deadline: float) -> tuple[list[float], int]:
    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    tab = await context.new_page()
    latencies, errors = [], 0
    try:
        await tab.goto(args.url)
        await tab.wait_for_selector("#vraag textarea")
        for i in range(args.questions):
            if time.monotonic() > deadline:
                break
            before = await tab.locator("#gesprek .bot-row").count()
            await tab.fill("#vraag textarea", QUESTIONS[(user + i) % len(QUESTIONS)])
            started = time.monotonic()
            try:
                await tab.press("#vraag textarea", "Enter")
                await tab.wait_for_function(ANSWER_TEXT_SHOWN, arg=[before, "Ik zoek"], timeout=120_000)
                latencies.append(time.monotonic() - started)
                await tab.wait_for_function(ANSWER_DONE, arg=list(ANSWER_LABELS.values()), timeout=120_000)
            except Exception as exc:  # noqa: BLE001 - every failure counts as an error, the run goes on
                print(f"user {user}: {type(exc).__name__}: {exc}", file=sys.stderr)
                errors += 1
    finally:
        await context.close()
    return latencies, errors


async def run_browser(args) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        deadline = time.monotonic() + args.max_seconds
        started = time.monotonic()
        results = await asyncio.gather(*(browser_user(browser, args, u, deadline) for u in range(args.users)))
        report("browser", args.users, results, time.monotonic() - started)
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=3, help="per user")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--auth", help="user:password when the page has UI_AUTH set")
    parser.add_argument("--mode", choices=("all", "page", "api", "chat", "browser"), default="all",
                        help="all: page, api and chat, one after another")
    args = parser.parse_args()
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("load is only driven against a page on this machine (loopback)")
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    if args.mode in ("page", "all"):
        run("page", page_asker, args, auth)
    if args.mode in ("api", "all"):
        run("api ", api_asker, args, auth)
    if args.mode in ("chat", "all"):
        run("chat", chat_asker, args, auth)
    if args.mode == "browser":
        asyncio.run(run_browser(args))


if __name__ == "__main__":
    main()
