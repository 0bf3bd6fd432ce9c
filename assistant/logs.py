"""Logging for the CLI and the page: to stderr, and nothing secret or personal in it.

Libraries log more than we want: httpx logs every request's URL at INFO (with the user:password
of an LLM_BASE_URL such as http://user:pass@host/v1), and LangChain sends every prompt and answer
to LangSmith when a developer's environment says LANGSMITH_TRACING=true. So: URLs lose their
userinfo and API keys their value in every log line, httpx and the OpenAI client log warnings
only, and tracing is forced off unless this project's own ASSISTANT_TRACING=true allows it.
"""

from __future__ import annotations

import logging
import os
import re
import sys

FORMAT = "%(levelname)s %(name)s: %(message)s"
NOISY = ("httpx", "httpcore", "openai", "urllib3", "chromadb.telemetry")
TRACING_VARIABLES = ("LANGSMITH_TRACING", "LANGSMITH_TRACING_V2", "LANGCHAIN_TRACING", "LANGCHAIN_TRACING_V2")
USERINFO = re.compile(r"(?<=://)[^/@\s:]+(?::[^/@\s]*)?@")
SECRET_VALUE = re.compile(r"(?i)\b(api[_-]?key|token|password|authorization|bearer)\b([\"']?\s*[:=]?\s*[\"']?)"
                          r"([A-Za-z0-9._~+/=-]{8,})")
ERROR_CHARS = 300  # of an error message (an LLM's error body, say) in a log line


def redact(text: str) -> str:
    """`text` without URL userinfo or secret values, cut to a readable length."""
    text = SECRET_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}***", USERINFO.sub("***@", text))
    return text if len(text) <= ERROR_CHARS else text[:ERROR_CHARS] + "…"


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def setup_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, stream=sys.stderr, format=FORMAT)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.WARNING)
    tracing_off()


def tracing_off() -> None:
    """LangChain's tracing sends prompts (questions) and answers to a service: off, unless allowed here."""
    if os.environ.get("ASSISTANT_TRACING", "").strip().lower() in ("1", "true", "yes"):
        return
    for name in TRACING_VARIABLES:
        os.environ[name] = "false"
