"""Nothing secret in a log line, and no tracing service unless the project allows it."""

from __future__ import annotations

import logging
import os

from assistant.logs import RedactingFilter, redact, tracing_off


def test_userinfo_and_keys_are_taken_out():
    line = 'HTTP Request: POST http://gebruiker:geheim123@127.0.0.1:8088/v1/chat "200" api_key=sk-abcdef0123456789'
    cleaned = redact(line)
    assert "geheim123" not in cleaned and "gebruiker" not in cleaned and "sk-abcdef" not in cleaned
    assert "http://***@127.0.0.1:8088/v1/chat" in cleaned
    assert redact('{"error": {"token": "abcdefgh12345678"}}').count("abcdefgh") == 0
    assert len(redact("x" * 5000)) < 400, "error bodies are cut short"


def test_the_filter_rewrites_records(caplog):
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger="test.redaction"):
        logger.info("calling %s", "https://user:pass-word@llm.example/v1")
    assert "pass-word" not in caplog.text and "***@llm.example" in caplog.text


def test_tracing_is_forced_off_unless_allowed(monkeypatch):
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("LANGCHAIN_TRACING_V2", "true")
    monkeypatch.delenv("ASSISTANT_TRACING", raising=False)
    tracing_off()
    assert os.environ["LANGSMITH_TRACING"] == "false" and os.environ["LANGCHAIN_TRACING_V2"] == "false"
    monkeypatch.setenv("LANGSMITH_TRACING", "true")
    monkeypatch.setenv("ASSISTANT_TRACING", "true")
    tracing_off()
    assert os.environ["LANGSMITH_TRACING"] == "true"
