"""The JSON API: `/api/v1` on the page's port, FastAPI routes beside the Gradio page.

    POST /api/v1/ask        {"question", "history", "explain"} -> the batch interface's ask line
    POST /api/v1/search     {"question", "history", "k"}       -> the batch interface's search line
    POST /api/v1/lookup     {"phrase"}                          -> where a half-remembered phrase stands
    GET  /api/v1/documents                                      -> the indexed documents
    GET  /openapi.json                                          -> this contract, machine-readable

The JSON out is the `--jsonl` batch interface's (contract.py). Bad input is a 4xx with an
`error` (English, for the developer) and, where a user could see it, a Dutch `message`; never a
5xx. When `UI_AUTH` or `API_TOKENS` is set every route needs the page's logins (HTTP Basic) or a
token (`Authorization: Bearer ...`); repeated failed logins from one address are slowed down
with 429 (login_throttle.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..answering.citations import QuoteFinder
from ..answering.prompts import SOMETHING_WENT_WRONG, STORE_UNAVAILABLE
from ..answering.question import BadQuestion, check_question
from ..index.store import StoreUnavailable
from ..pipeline import Pipeline
from ..records.store import Records
from ..types import Role, Turn
from .access import Access, AccessRefused
from .contract import HISTORY_MAX_TURNS, HISTORY_TURN_MAX_CHARS, answer_json, lookup_json, search_json

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 256_000  # a question with a full history fits many times over


# ------------------------------------------------------------------ the contract, as pydantic models
class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(max_length=HISTORY_TURN_MAX_CHARS)


class AskRequest(BaseModel):
    question: str = Field(description="The question, in Dutch", examples=["Wat vragen gemeenten van het rijk?"])
    history: list[HistoryTurn] = Field(default_factory=list, max_length=HISTORY_MAX_TURNS,
                                       description="Earlier turns, for a follow-up question")
    explain: bool = Field(False, description="Explain for a resident: the hard words and the referral line")


class SearchRequest(BaseModel):
    question: str
    history: list[HistoryTurn] = Field(default_factory=list, max_length=HISTORY_MAX_TURNS)
    k: int | None = Field(None, ge=1, le=50, description="How many passages (default TOP_K)")


class LookupRequest(BaseModel):
    phrase: str = Field(description="A half-remembered phrase", examples=["pleisters plakken op losse problemen"])


class CitationOut(BaseModel):
    source: str
    quote: str
    number: int


class AskResponse(BaseModel):
    model_config = ConfigDict(extra="allow")  # notice, glossary, referral, personal_data_left_out, ...
    found: bool
    partial: bool = Field(description="Not found, but the documents speak about the topic: the answer says "
                                      "what they leave out and cites the closest passage")
    mode: Literal["llm", "passages"]
    answer: str
    citations: list[CitationOut]
    trace: list[dict[str, Any]]


class PassageOut(BaseModel):
    source: str
    section: str
    text: str
    score: float
    also_in: list[str]


class SearchResponse(BaseModel):
    found: bool
    confidence: float
    passages: list[PassageOut]


class LookupMatch(BaseModel):
    source: str
    title: str
    section: str
    quote: str
    reference: str
    citation: str
    similarity: float
    exact: bool
    also_in: list[str]


class LookupResponse(BaseModel):
    exact: bool
    matches: list[LookupMatch]


class DocumentOut(BaseModel):
    source: str
    title: str
    kind: str
    organisation: str
    date: str | None
    chunks: int
    indexed_at: str | None = Field(description="When the document was indexed (UTC): its passages first embedded")


class ErrorOut(BaseModel):
    error: str
    message: str | None = Field(None, description="The same in Dutch, for a user")


ERRORS = {400: {"model": ErrorOut}, 401: {"model": ErrorOut}, 413: {"model": ErrorOut}, 422: {"model": ErrorOut},
          429: {"model": ErrorOut}, 503: {"model": ErrorOut}}


def turns(history: list[HistoryTurn]) -> list[Turn]:
    return [Turn(Role(t.role), t.content) for t in history]


# ------------------------------------------------------------------ the app
def validation_problems(error: RequestValidationError) -> str:
    """What is wrong with a request body, field by field (English, for the developer)."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in error.errors())


def client_of(request: Request) -> str:
    return request.client.host if request.client else "?"


def build_api(pipeline: Pipeline, access: Access, records: Records | None = None) -> FastAPI:
    settings = pipeline.settings

    def scoped(request: Request) -> Pipeline:
        """The pipeline as the caller may read it; a refusal when the login or token does not open the door."""
        try:
            return pipeline.for_reader(access.check(request.headers.get("authorization", ""), client_of(request)))
        except AccessRefused as refusal:
            raise HTTPException(refusal.status, refusal.reason, headers=refusal.headers) from None

    app = FastAPI(title="Sociaal-domein-assistent API", version="1",
                  description="Dutch questions about 'De waarde van het sociaal domein', answered with cited passages.",
                  docs_url=f"{API_PREFIX}/docs", redoc_url=None, openapi_url="/openapi.json")

    app.add_middleware(BoundedBody, prefix=API_PREFIX, refuse=_error)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError):
        return _error(422, validation_problems(error) or "the request body is not valid JSON for this route")

    @app.exception_handler(HTTPException)
    async def refused(request: Request, error: HTTPException):
        return _error(error.status_code, str(error.detail), headers=error.headers)

    @app.exception_handler(StoreUnavailable)
    async def store_down(request: Request, error: StoreUnavailable):
        log.error("%s", error)
        return _error(503, "the search service (Chroma) did not answer; try again later", STORE_UNAVAILABLE)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception):
        log.error("API %s failed", request.url.path, exc_info=error)
        return _error(500, f"internal error ({type(error).__name__})", SOMETHING_WENT_WRONG)

    reader_view = Depends(scoped)

    def question_of(text: str) -> str:
        try:
            return check_question(text, settings.max_question_chars)
        except BadQuestion as hint:
            raise HTTPException(400, str(hint)) from None

    @app.post(f"{API_PREFIX}/ask", response_model=AskResponse, response_model_exclude_none=True,
              responses=ERRORS, summary="Answer a question with cited passages")
    def ask(request: AskRequest, view: Pipeline = reader_view) -> JSONResponse:
        question = question_of(request.question)
        started = time.perf_counter()
        answer = view.answerer.ask(question, turns(request.history), request.explain)
        if records:
            records.add_exchange(answer, (time.perf_counter() - started) * 1000, "api")
        # the dict is the contract already (contract.py): sent as it is, the models document it
        return JSONResponse(answer_json(answer))

    @app.post(f"{API_PREFIX}/search", response_model=SearchResponse, responses=ERRORS,
              summary="The best passages for a question, with the relevance verdict")
    def search(request: SearchRequest, view: Pipeline = reader_view) -> JSONResponse:
        question = question_of(request.question)
        return JSONResponse(search_json(view.answerer.search(question, turns(request.history), k=request.k)))

    @app.post(f"{API_PREFIX}/lookup", response_model=LookupResponse, responses=ERRORS,
              summary="Where a half-remembered phrase stands, with a ready citation")
    def lookup(request: LookupRequest, view: Pipeline = reader_view) -> JSONResponse:
        phrase = question_of(request.phrase)
        return JSONResponse(lookup_json(QuoteFinder(view.retriever, view.documents).find(phrase)))

    @app.get(f"{API_PREFIX}/documents", response_model=list[DocumentOut], responses=ERRORS,
             summary="The indexed documents (those the caller may read)")
    def documents(view: Pipeline = reader_view) -> list[dict]:
        return view.document_list()

    @app.api_route(f"{API_PREFIX}/{{route:path}}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def no_such_route(route: str) -> JSONResponse:
        return _error(404, f"no route {API_PREFIX}/{route}; see /openapi.json")

    return app


class BoundedBody:
    """Bodies under `prefix` of at most MAX_BODY_BYTES, announced by Content-Length; `refuse`
    says a refusal in the shape of that way in. Pure ASGI: every other request (the page's
    server-sent events above all) passes without a wrapper of its own."""

    def __init__(self, app, prefix: str, refuse: Callable[[int, str], JSONResponse]):
        self.app = app
        self.prefix = prefix
        self.refuse = refuse

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length")
            refusal = None
            if length is None and scope["method"] == "POST" and headers.get(b"transfer-encoding"):
                refusal = self.refuse(411, "send the body with a Content-Length")
            elif length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
                refusal = self.refuse(413, f"the body may have at most {MAX_BODY_BYTES} bytes")
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _error(status: int, error: str, message: str | None = None, headers: dict | None = None) -> JSONResponse:
    body = {"error": error} | ({"message": message} if message else {})
    return JSONResponse(body, status_code=status, headers=headers)
