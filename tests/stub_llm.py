"""A small OpenAI-compatible server for what the real LLM cannot be made to do on purpose.

The happy path runs against the real llama.cpp server; this stub stands in for faults (a server
that stalls, answers HTTP 500, sends malformed JSON, or cites a passage that does not exist) and,
given a `script`, for a scripted LLM: the script reads the request (the numbered passages the
assistant sent) and returns the pieces to stream, so a probe can answer with altered sentences
of the very passages it was given (benchmarks/grounding_probe.py, tests/llm/test_grounding_probe.py).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULTS = ("slow", "http500", "malformed", "bad-citation")
PASSAGE = re.compile(r"^\[(\d+)\] (.*)$", re.MULTILINE)


def request_passages(request: dict) -> dict[int, str]:
    """The numbered passages of a chat request's last user message: {n: text}."""
    last = [m for m in request["messages"] if m["role"] == "user"][-1]["content"]
    return {int(n): text for n, text in PASSAGE.findall(last.split("\n\nVraag:", 1)[0])}


def _chunk(content: str) -> bytes:
    body = {"id": "stub", "object": "chat.completion.chunk", "created": 0, "model": "stub",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": None}]}
    return f"data: {json.dumps(body)}\n\n".encode()


class StubHandler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.server.requests.append(json.loads(self.rfile.read(length)))
        fault = self.server.fault
        if self.server.script is not None:
            self._stream(self.server.script(self.server.requests[-1]))
            return
        if fault == "http500":
            body = b'{"error": {"message": "internal error", "type": "server_error"}}'
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self._start_stream()
        if fault == "slow":
            self.wfile.write(_chunk("De gemeente "))
            self.wfile.flush()
            time.sleep(self.server.stall_seconds)
        elif fault == "malformed":
            self.wfile.write(b'data: {"choices": [{"delta": {"content": "De gem\n\n')
        elif fault == "bad-citation":
            self.wfile.write(_chunk("Gemeenten vragen het rijk om financiële zekerheid voor de jeugdhulp [9]."))
        try:
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except BrokenPipeError:
            pass

    def _start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()

    def _stream(self, pieces: list[str]) -> None:
        self._start_stream()
        try:
            for piece in pieces:
                self.wfile.write(_chunk(piece))
                self.wfile.flush()
                time.sleep(self.server.piece_seconds)
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except BrokenPipeError:
            pass


class StubLLM(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fault: str = "", stall_seconds: float = 30.0,
                 script: Callable[[dict], list[str]] | None = None, piece_seconds: float = 0.0):
        super().__init__(("127.0.0.1", 0), StubHandler)
        self.fault = fault
        self.script = script
        self.piece_seconds = piece_seconds
        self.stall_seconds = stall_seconds
        self.requests: list[dict] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"
