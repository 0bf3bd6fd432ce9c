"""An OpenAI-compatible chat endpoint, `/v1` on the page's port: for the chat clients municipal
staff already use (Open WebUI and GovChat-NL on it, LiteLLM, any OpenAI SDK).

    GET  /v1/models             one model: the collection (`sociaal-domein`)
    POST /v1/chat/completions   messages -> the answer; with "stream": server-sent chunks, `data: [DONE]`

`content` is what a plain chat client shows (export.answer_for_chat): the answer with its [n]
markers and a "Bronnen" block with each source and its quotes; the first answer of a
conversation opens with the notice that an AI system answers (`AI_NOTICE`). The structured answer (found,
partial, mode, citations, generated_by, ai_generated, the trace) is in `grounded_answer`, a field
OpenAI clients ignore, on the response and on the last chunk of a stream. Only checked text is
streamed, as on the page. The system prompt, `temperature`, `max_tokens` and the like are
accepted and do not change the answer: it comes from the documents. Errors are in OpenAI's shape,
`{"error": {"message", "type", "param", "code"}}`; a question a user typed wrong gets a Dutch
message (the client shows it to them), a malformed request an English one.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..answering.prompts import SOMETHING_WENT_WRONG, SOURCES_HEADING, STORE_UNAVAILABLE
from ..answering.question import BadQuestion, check_question
from ..index.store import StoreUnavailable
from ..pipeline import Pipeline
from ..records.store import Records
from ..types import Answer, AnswerUpdate, Role, Turn
from .access import Access, AccessRefused
from .api import BoundedBody, client_of, validation_problems
from .contract import HISTORY_MAX_TURNS, HISTORY_TURN_MAX_CHARS, answer_json
from .export import answer_for_chat

log = logging.getLogger(__name__)

CHAT_PREFIX = "/v1"
MAX_MESSAGES = 200  # a long conversation is kept to its last HISTORY_MAX_TURNS turns, not refused
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 404: "invalid_request_error",
               411: "invalid_request_error", 413: "invalid_request_error", 429: "rate_limit_error",
               503: "service_unavailable", 500: "server_error"}


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")  # image_url and the like: not read
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_calls, ...: not read
    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[ContentPart] | None = None

    @property
    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content if part.type == "text" and part.text)
        return self.content or ""


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens, top_p, user, stream_options, ...
    model: str
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    explain: bool = Field(False, description="Explain for a resident (send it with the SDK's extra_body)")


class ChatError(Exception):
    def __init__(self, status: int, message: str, code: str, param: str | None = None, headers=None):
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.headers = status, message, code, param, headers


def model_id(collection: str) -> str:
    return collection.replace("_", "-")


def conversation(messages: list[ChatMessage]) -> tuple[str, list[Turn]]:
    """The question (the last message, a user's) and the turns before it. What the assistant said
    earlier counts without its sources block: the follow-up reads the answer, not the references."""
    if messages[-1].role != "user":
        raise ChatError(400, "the last message must be the user's question (role 'user')",
                        "invalid_messages", "messages")
    turns = []
    for message in messages[:-1]:
        if message.role in ("user", "assistant"):
            text = message.text.split(f"\n\n{SOURCES_HEADING}:\n")[0]
            turns.append(Turn(Role(message.role), text[:HISTORY_TURN_MAX_CHARS]))
    return messages[-1].text, turns[-HISTORY_MAX_TURNS:]


REFUSAL_CODES = {401: "login_needed", 429: "too_many_failed_logins", 503: "identity_provider_unavailable"}


def error_body(status: int, message: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": ERROR_TYPES.get(status, "invalid_request_error"),
                      "param": param, "code": code}}


def refuse(status: int, message: str) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status)


def build_chat_app(pipeline: Pipeline, access: Access, records: Records | None = None) -> FastAPI:
    """The /v1 routes as an app of their own (mounted by the page), with OpenAI's error shape."""
    settings = pipeline.settings
    model = model_id(settings.collection)
    app = FastAPI(title="Sociaal-domein-assistent, OpenAI-compatible chat", openapi_url=None, docs_url=None,
                  redoc_url=None)
    app.add_middleware(BoundedBody, prefix="/", refuse=refuse)

    def scoped(request: Request) -> Pipeline:
        """The pipeline as the caller may read it; a refusal when the login or token does not open the door."""
        try:
            return pipeline.for_reader(access.check(request.headers.get("authorization", ""), client_of(request)))
        except AccessRefused as refusal:
            raise ChatError(refusal.status, refusal.reason, REFUSAL_CODES.get(refusal.status, "login_needed"),
                            headers=refusal.headers) from None

    @app.exception_handler(ChatError)
    async def chat_error(request: Request, error: ChatError):
        return JSONResponse(error_body(error.status, error.message, error.code, error.param), status_code=error.status,
                            headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        return refuse(400, validation_problems(error) or "the request body is not valid JSON")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException):
        return refuse(error.status_code, str(error.detail))

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, error: StoreUnavailable):
        log.error("%s", error)
        return JSONResponse(error_body(503, STORE_UNAVAILABLE, "store_unavailable"), status_code=503)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.error("Chat endpoint %s failed", request.url.path, exc_info=error)
        return JSONResponse(error_body(500, SOMETHING_WENT_WRONG, "internal_error"), status_code=500)

    reader_view = Depends(scoped)
    guarded = [reader_view]
    card = {"id": model, "object": "model", "created": 0, "owned_by": "sociaal-domein-assistent"}

    def served(name: str) -> None:
        if name != model:
            raise ChatError(404, f"the model '{name}' does not exist; GET /v1/models lists '{model}'",
                            "model_not_found", "model")

    @app.get("/models", dependencies=guarded)
    def models() -> dict:
        return {"object": "list", "data": [card]}

    @app.get("/models/{name}", dependencies=guarded)
    def one_model(name: str) -> dict:
        served(name)
        return card

    @app.post("/chat/completions")
    def chat_completions(request: ChatRequest, view: Pipeline = reader_view):
        served(request.model)
        text, history = conversation(request.messages)
        try:
            question = check_question(text, settings.max_question_chars)
        except BadQuestion as hint:
            raise ChatError(400, str(hint), "invalid_question", "messages") from None
        started = time.perf_counter()

        def answered(answer: Answer) -> None:
            if records:
                records.add_exchange(answer, (time.perf_counter() - started) * 1000, "chat")

        updates = view.answerer.stream(question, history, request.explain)
        first = next(updates)  # the search runs here: a store that is down is a 503, before any byte is sent
        # the first answer of a conversation opens with what the user is talking to (AI Act, Art. 50)
        reply = Reply(model, "" if any(t.role == Role.ASSISTANT for t in history) else settings.ai_notice, answered)
        if not request.stream:
            answer = first.answer if first.answer is not None else _last(updates).answer
            reply.answered(answer)
            return JSONResponse(reply.completion(answer))
        return StreamingResponse(reply.chunks(first, updates), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    return app


def _last(updates: Iterator[AnswerUpdate]) -> AnswerUpdate:
    *_, last = updates
    return last


class Reply:
    """One completion in OpenAI's shapes: whole, or as chunks of server-sent events."""

    def __init__(self, model: str, notice: str = "", answered: Callable[[Answer], None] = lambda answer: None):
        self.model = model
        self.opening = f"{notice}\n\n" if notice else ""
        self.answered = answered  # told the whole answer once it is there (the store records it)
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())

    def completion(self, answer: Answer) -> dict:
        content = self.opening + answer_for_chat(answer)
        return {"id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": usage(answer.question, content), "grounded_answer": answer_json(answer)}

    def chunk(self, delta: dict, finish: str | None = None, **extra: Any) -> str:
        body = {"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def chunks(self, first: AnswerUpdate, updates: Iterator[AnswerUpdate]) -> Iterator[str]:
        """The checked text as it grows, then what follows it (sources, ...), then the structured
        answer on the last chunk. Should the final text not continue what was sent (an LLM that
        failed midway: the passages stand instead), it follows after a blank line."""
        yield self.chunk({"role": "assistant", "content": self.opening})
        sent = ""  # of the answer's own text
        update = first
        try:
            while True:
                if update.answer is not None:
                    break
                if update.text.startswith(sent) and len(update.text) > len(sent):
                    yield self.chunk({"content": update.text[len(sent):]})
                    sent = update.text
                update = next(updates)
        except Exception as error:  # noqa: BLE001 - the status is sent: the stream ends with an error event
            log.error("Chat stream failed", exc_info=error)
            message = STORE_UNAVAILABLE if isinstance(error, StoreUnavailable) else SOMETHING_WENT_WRONG
            yield f"data: {json.dumps(error_body(503, message, 'stream_failed'), ensure_ascii=False)}\n\n"
            yield "data: [DONE]\n\n"
            return
        self.answered(update.answer)
        content = answer_for_chat(update.answer)
        rest = content[len(sent):] if content.startswith(sent) else "\n\n" + content
        yield self.chunk({"content": rest})
        yield self.chunk({}, "stop", usage=usage(update.answer.question, self.opening + content),
                         grounded_answer=answer_json(update.answer))
        yield "data: [DONE]\n\n"


def usage(question: str, content: str) -> dict:
    """Words, not tokens: no tokenizer decides what this endpoint costs (there is no LLM bill)."""
    asked, said = len(question.split()), len(content.split())
    return {"prompt_tokens": asked, "completion_tokens": said, "total_tokens": asked + said}

