"""Load on the running assistant: N users at once, through the page or the JSON API, loopback only.

    python benchmarks/load.py [--url http://127.0.0.1:7860/] [--users 20] [--questions 3] [--mode page|api|both]

Page: each simulated user opens its own page session and asks its questions one after another
through the page's "vraag" event (the same handler as the button), the way the browser does:
join Gradio's queue, then read the event's server-sent messages until the answer is complete.
(`gradio_client` does the same with more work of its own: on these 2 shared cores it took more
CPU than the server.) API: each user
POSTs its questions to /api/v1/ask one after another. Prints per mode throughput, median and p95
latency and the number of errors. Bounded: users x questions requests, and --max-seconds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import httpx

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
                        any(m.get("metadata") for m in chat)  # a cited source is shown
        return False

    return ask


def api_asker(url: str, auth) -> Callable[[str], bool]:
    """One API client, asking POST /api/v1/ask; True when answered with citations."""
    client = httpx.Client(base_url=url, auth=auth, timeout=120)

    def ask(question: str) -> bool:
        response = client.post("api/v1/ask", json={"question": question})
        return response.status_code == 200 and bool(response.json()["citations"])

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
    elapsed = time.monotonic() - started
    latencies = sorted(t for lat, _ in results for t in lat)
    errors = sum(e for _, e in results)
    p95 = latencies[max(0, int(round(0.95 * len(latencies))) - 1)] if latencies else float("nan")
    print(f"{name}: users {args.users}, requests {len(latencies)}, errors {errors}, {elapsed:.1f} s, "
          f"throughput {len(latencies) / elapsed:.2f} req/s, "
          f"median {statistics.median(latencies) if latencies else float('nan'):.2f} s, p95 {p95:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:7860/")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--questions", type=int, default=3, help="per user")
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--auth", help="user:password when the page has UI_AUTH set")
    parser.add_argument("--mode", choices=("page", "api", "both"), default="both")
    args = parser.parse_args()
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("load is only driven against a page on this machine (loopback)")
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    if args.mode in ("page", "both"):
        run("page", page_asker, args, auth)
    if args.mode in ("api", "both"):
        run("api ", api_asker, args, auth)


if __name__ == "__main__":
    main()
