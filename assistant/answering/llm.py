"""Talking to the LLM: any OpenAI-compatible chat API through langchain-openai's ChatOpenAI.

OpenAI, Azure OpenAI, Ollama, vLLM and a llama.cpp server all speak this API; LLM_BASE_URL,
LLM_MODEL and LLM_API_KEY choose one. Everything here runs against one deadline: the stream is
read on a worker thread, so a server that stalls, trickles or never answers costs at most
LLM_TIMEOUT before the caller falls back to the passages. Nothing here logs the API key.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from ..config import Settings
from ..types import Role, Turn
from .prompts import (
    ANSWER_EXAMPLES,
    ANSWER_SYSTEM,
    ANSWER_USER,
    CONDENSE_EXAMPLES,
    CONDENSE_SYSTEM,
    CONDENSE_USER,
    NO_CONVERSATION,
    RESIDENT_STYLE,
    STAFF_STYLE,
)

log = logging.getLogger(__name__)

CONDENSE_MAX_TOKENS = 80
CONDENSE_SHARE = 0.3  # of the deadline the rewriting may take
HISTORY_TURNS = 4  # the conversation the condensing prompt sees
HISTORY_CHARS = 400  # per turn: answers are long, their topic is in the first sentences


class LLMFailure(RuntimeError):
    """The LLM gave no usable text in time; the message says why (for the log, in English)."""


class LLMWriter:
    def __init__(self, settings: Settings):
        # imported here: the OpenAI client takes 1.5 s to import, which a process without an LLM
        # (the passages mode, every command-line call) need not pay
        from langchain_openai import ChatOpenAI

        self.timeout = settings.llm_timeout
        self.model_name = settings.llm_model  # said with every answer it wrote (the AI Act's Article 50)
        self.model = ChatOpenAI(
            model=settings.llm_model,
            base_url=settings.llm_base_url or None,
            # local servers ignore the key, but the client insists on one
            api_key=settings.llm_api_key or "not-needed",
            temperature=settings.llm_temperature,
            max_tokens=settings.llm_max_tokens,
            timeout=settings.llm_timeout,
            max_retries=0,  # a retry would break the deadline; the passages are the fall-back
        )

    def answer_messages(self, question: str, passages: list[str], explain: bool) -> list[BaseMessage]:
        system = f"{ANSWER_SYSTEM} {RESIDENT_STYLE if explain else STAFF_STYLE}"
        numbered = "\n\n".join(f"[{n}] {text}" for n, text in enumerate(passages, 1))
        messages: list[BaseMessage] = [SystemMessage(system)]
        for example_question, example_answer in ANSWER_EXAMPLES:
            messages += [HumanMessage(example_question), AIMessage(example_answer)]
        return messages + [HumanMessage(ANSWER_USER.format(passages=numbered, question=question))]

    def stream_answer(self, question: str, passages: list[str], explain: bool, deadline: float) -> Iterator[str]:
        """The answer as it grows (each item is the whole text so far)."""
        messages = self.answer_messages(question, passages, explain)
        text = ""
        for piece in _within(lambda: (chunk.text for chunk in self.model.stream(messages)), deadline):
            text += piece
            yield text
        if not text.strip():
            raise LLMFailure("the LLM returned an empty answer")

    def condense(self, question: str, history: list[Turn], deadline: float) -> str:
        """A question in another language, with its conversation, rewritten as a stand-alone Dutch
        question (retrieval then needs no history)."""
        conversation = "\n".join(
            f"{'Gebruiker' if t.role == Role.USER else 'Assistent'}: {t.content[:HISTORY_CHARS]}"
            for t in history[-HISTORY_TURNS:]) or NO_CONVERSATION
        messages: list[BaseMessage] = [SystemMessage(CONDENSE_SYSTEM)]
        for example_question, example_answer in CONDENSE_EXAMPLES:
            messages += [HumanMessage(example_question), AIMessage(example_answer)]
        messages.append(HumanMessage(CONDENSE_USER.format(conversation=conversation, question=question)))
        own_deadline = min(deadline, time.monotonic() + self.timeout * CONDENSE_SHARE)
        model = self.model.bind(max_tokens=CONDENSE_MAX_TOKENS)
        text = "".join(_within(lambda: (c.text for c in model.stream(messages)), own_deadline))
        lines = [line.strip(" \"'") for line in text.strip().splitlines() if line.strip()]
        if not lines or len(lines[0]) > 400:
            # its text echoes the user's question: not in the message, which is logged
            raise LLMFailure(f"the LLM gave no usable stand-alone question ({len(text)} characters)")
        return lines[0]


def _within(start: Callable[[], Iterator[str]], deadline: float) -> Iterator[str]:
    """Items of start()'s iterator, read on a worker thread, until the deadline passes.

    When the caller stops (deadline, or it needs no more), the worker stops reading at the next
    item and closes the stream, so the server sees the client leave and stops generating
    instead of keeping the next question waiting behind an abandoned answer.
    """
    items: queue.Queue = queue.Queue()
    abandoned = threading.Event()

    def read() -> None:
        try:
            for item in start():
                if abandoned.is_set():
                    return  # leaving the loop closes the generator and with it the HTTP stream
                items.put(("item", item))
            items.put(("end", None))
        except Exception as exc:  # noqa: BLE001 - any failure is handed to the caller, which falls back
            items.put(("error", exc))

    threading.Thread(target=read, daemon=True, name="llm-stream").start()
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise queue.Empty
                kind, value = items.get(timeout=remaining)
            except queue.Empty:
                raise LLMFailure("the LLM did not finish within LLM_TIMEOUT") from None
            if kind == "end":
                return
            if kind == "error":
                raise LLMFailure(f"the LLM request failed: {type(value).__name__}: {value}") from value
            yield value
    finally:
        abandoned.set()
