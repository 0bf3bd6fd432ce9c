"""The MCP server (the official `mcp` SDK's MCPServer), for agents that reach tools over the Model
Context Protocol: Copilot- and Claude-style desktop clients, RAGFlow, Onyx, Dify.

    tools      search, ask, lookup_citation, list_documents
    resources  document://{name}: each document as clean text

Two transports: streamable HTTP under `/mcp` on the page's port (stateless, JSON responses, the
same logins as the API, each tool answering from the documents the caller may read: the page
mounts `http_app`), and stdio (`python -m assistant mcp`) for a
desktop client that starts the assistant itself (with the documents folder, so every document).
Only openbaar documents are listed as resources; the others are read through the template, for a
caller who may read them. The tools return the JSON of the API
(contract.py), so an agent gets the citations, `found`, `partial` and the provenance the AI Act
asks for; inputs are validated (lengths, k) and a bad question is a tool error with the Dutch
hint and the English reason.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import quote, unquote

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import Field
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import ASSISTANT_NAME, __version__
from ..answering.citations import QuoteFinder
from ..answering.question import BadQuestion, check_question
from ..index.store import StoreUnavailable
from ..pipeline import Pipeline
from ..records.store import Records
from ..types import PUBLIC_AUDIENCE, Document
from .access import Access, AccessRefused
from .api import MAX_BODY_BYTES
from .contract import HISTORY_MAX_TURNS, answer_json, lookup_json, parse_history, search_json

MCP_PATH = "/mcp"
READER = "reader"  # the request state's key for who Guarded let in
DOCUMENT_URI = "document://{name}"
INSTRUCTIONS = (
    "Answers Dutch questions about 'De waarde van het sociaal domein' (VNG, Divosa and the municipal networks) "
    "and related pages, from those documents only, with citations. Ask in Dutch. When `found` is false the "
    "documents do not answer the question: say so, do not answer from your own knowledge. / Beantwoordt "
    "Nederlandse vragen over 'De waarde van het sociaal domein' uit de documenten zelf, met bronnen."
)
TOOLS = {  # what an agent reads to choose a tool: English, then Dutch
    "search": ("Search the documents: the best passages for a question, each with its source and section, and "
               "whether they answer it (`found`). / Zoek de passages bij een vraag, met hun bron."),
    "ask": ("Answer a Dutch question from the documents, each sentence cited [n] with its source and quote. `found` "
            "false: the documents do not answer it (a `partial` answer says what is missing and cites the closest "
            "passage). `history`: earlier turns [{role: user|assistant, content}] for a follow-up. / Beantwoord een "
            "vraag uit de documenten, met bronnen."),
    "lookup_citation": ("Find where a half-remembered phrase stands: the verbatim sentence, its document and "
                        "section, and a ready citation; `exact` says whether it stands there word for word. / Zoek "
                        "een half herinnerd citaat op."),
    "list_documents": ("The indexed documents: file name, title, kind, organisation, date and passages; read one "
                       "as the resource document://{name}. / De documenten in de index."),
}
Question = Annotated[str, Field(min_length=1, max_length=100_000, description="The question, in Dutch / de vraag")]


def document_text(document: Document) -> str:
    """A document as clean text: its title, then its headings, paragraphs and list items."""
    lines = [f"# {document.title}", ""]
    for block in document.blocks:
        if block.kind == "heading":
            lines.append("#" * min(block.level + 1, 6) + " " + block.text)
        else:
            lines.append(("- " if block.kind == "bullet" else "") + block.text)
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def build_mcp(pipeline: Pipeline, records: Records | None = None) -> MCPServer:
    settings = pipeline.settings
    server = MCPServer(ASSISTANT_NAME, instructions=INSTRUCTIONS, version=__version__)

    def checked(text: str) -> str:
        try:
            return check_question(text, settings.max_question_chars)
        except BadQuestion as hint:
            raise ToolError(f"the question was refused / de vraag is geweigerd: {hint}") from None

    def answered(work: Callable[[], Any]) -> Any:
        try:
            return work()
        except StoreUnavailable:
            raise ToolError("the search service (Chroma) did not answer; try again later / "
                            "de zoekdienst is nu niet bereikbaar") from None

    def scoped(ctx: Context) -> Pipeline:
        """The pipeline as the caller may read it (over HTTP: who Guarded let in; over stdio: all)."""
        request = ctx.request_context.request if ctx else None
        return pipeline.for_reader(request.scope.get("state", {}).get(READER) if request is not None else None)

    @server.tool(structured_output=True, description=TOOLS["search"])
    def search(question: Question, ctx: Context,
               k: Annotated[int, Field(ge=1, le=50)] = settings.top_k) -> dict[str, Any]:
        question = checked(question)
        return answered(lambda: search_json(scoped(ctx).answerer.search(question, k=k)))

    @server.tool(structured_output=True, description=TOOLS["ask"])
    def ask(question: Question, ctx: Context, explain: bool = False,
            history: Annotated[list[dict], Field(max_length=HISTORY_MAX_TURNS)] | None = None) -> dict[str, Any]:
        question = checked(question)
        try:
            turns = parse_history(history or [])
        except ValueError as bad:
            raise ToolError(str(bad)) from None
        started = time.perf_counter()
        answer = answered(lambda: scoped(ctx).answerer.ask(question, turns, explain))
        if records:
            records.add_exchange(answer, (time.perf_counter() - started) * 1000, "mcp")
        return answer_json(answer)

    @server.tool(structured_output=True, description=TOOLS["lookup_citation"])
    def lookup_citation(phrase: Question, ctx: Context) -> dict[str, Any]:
        phrase = checked(phrase)
        view = scoped(ctx)
        return answered(lambda: lookup_json(QuoteFinder(view.retriever, view.documents).find(phrase)))

    @server.tool(structured_output=True, description=TOOLS["list_documents"])
    def list_documents(ctx: Context) -> list[dict[str, Any]]:
        return answered(scoped(ctx).document_list)

    def text_of(view: Pipeline, name: str) -> str:
        document = view.documents.whole(unquote(name))
        if document is None:
            raise ResourceNotFoundError(f"no document '{unquote(name)}' is served; list_documents names them")
        return document_text(document)

    def read_document(name: str, ctx: Context) -> str:
        return text_of(scoped(ctx), name)

    server.resource(DOCUMENT_URI, name="document", mime_type="text/markdown",
                    description="A document of the index as clean text / een document als tekst")(read_document)
    for description in pipeline.documents.descriptions():  # listed too (the template reads any later one)
        if PUBLIC_AUDIENCE in description.audience:
            server.add_resource(FunctionResource(
                uri=DOCUMENT_URI.format(name=quote(description.name)), name=description.name,
                title=description.title, mime_type="text/markdown",
                fn=lambda name=description.name: text_of(pipeline, name)))
    return server


def http_route(server: MCPServer, access: Access, hosts: list[str]) -> Route:
    """The streamable HTTP transport at MCP_PATH behind the API's logins. Its session manager must
    run for as long as the app serves (`server.session_manager.run()` in the app's lifespan)."""
    security = TransportSecuritySettings(
        allowed_hosts=[f"{host}:*" for host in hosts] + hosts,
        allowed_origins=[f"{scheme}://{host}:*" for host in hosts for scheme in ("http", "https")])
    transport = server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True, json_response=True,
                                           max_request_body_size=MAX_BODY_BYTES, transport_security=security)

    return Route(MCP_PATH, endpoint=Guarded(transport, access))


class Guarded:
    """An ASGI app behind the API's logins; a refusal in JSON-RPC's error shape, with the status."""

    def __init__(self, app, access: Access):
        self.app = app
        self.access = access

    async def __call__(self, scope, receive, send):
        headers = {key.decode("latin-1").lower(): value.decode("latin-1") for key, value in scope["headers"]}
        client = scope["client"][0] if scope.get("client") else "?"
        try:
            reader = self.access.check(headers.get("authorization", ""), client)
        except AccessRefused as refusal:
            body = {"jsonrpc": "2.0", "id": None, "error": {"code": -32001, "message": refusal.reason}}
            await JSONResponse(body, status_code=refusal.status, headers=refusal.headers)(scope, receive, send)
            return
        scope.setdefault("state", {})[READER] = reader  # the tools answer from what this caller may read
        await self.app(scope, receive, send)
