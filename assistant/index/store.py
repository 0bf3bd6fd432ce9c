"""The Chroma vector store: chunk vectors and sentence vectors, indexed incrementally.

Three parts: this module connects and serves (reads the generation the pointer names and
searches it); generations.py names the generations and keeps their build state; index_build.py
writes a new one; build_claim.py lets one build run at a time.

Chroma runs embedded (`PersistentClient` under `vectorstore/`) by default, or as a server
(`HttpClient`, when CHROMA_HOST is set), telemetry off either way. Its default embedding
function downloads a model, so it is never used: every vector comes from the project's own
embeddings. The index lives in generations, each two collections: `<name>_g<N>` holds one
vector per chunk (retrieval), `<name>_g<N>_sentences` one per sentence (the extractive answer
picks sentences with them); `<name>_current` names the generation that is served.

Indexing is incremental (index_build.py): ids are content hashes, so a build copies the vectors
of unchanged chunks from the served generation into a new one, embeds only the new chunks, and
switches the pointer when it is complete, so a half-built generation is never served and a
running page follows the switch (`refresh`). One build at a time (build_claim.py): a file lock
(`index.lock` under VECTORSTORE_DIR) for this machine, and a claim collection
(`<name>_build_lock`) in Chroma itself for machines that share a server. A server that does not
answer raises StoreUnavailable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.errors import ChromaError
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings

from ..logs import redact
from ..types import Chunk
from .build_claim import BuildClaim, IndexBusy  # noqa: F401 (IndexBusy: callers catch it from here)
from .generations import COSINE, NO_GENERATION, Generation, Generations, fingerprint
from .index_build import IndexReport, IndexWriter

log = logging.getLogger(__name__)

LOCK_FILE = "index.lock"


class IndexNotReady(RuntimeError):
    """The store is missing, half-built, or built for other documents or another model."""


class StoreUnavailable(RuntimeError):
    """The Chroma server cannot be reached."""


CHROMA_SETTINGS = chromadb.config.Settings(anonymized_telemetry=False)


def connect(path: Path, host: str = "", port: int = 8000, timeout: float = 10.0, token: str = "",
            ssl: bool = False) -> ClientAPI:
    """The embedded store under `path`, or the Chroma server at host:port when a host is given:
    every request bounded by `timeout` seconds, with `token` as the server's (or its proxy's)
    bearer token, over TLS when `ssl`."""
    if not host:
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=CHROMA_SETTINGS)
    settings = CHROMA_SETTINGS.model_copy(update={
        "chroma_client_auth_provider": "chromadb.auth.token_authn.TokenAuthClientProvider",
        "chroma_client_auth_credentials": token,
        "chroma_auth_token_transport_header": "Authorization"}) if token else CHROMA_SETTINGS
    # chromadb's HTTP client is made with timeout=None and offers no setting for it (chromadb 1.5),
    # and making it already asks the server (tenant, database): a stalled server would hang that
    # for ever, so it is made on a thread we stop waiting for, and its session then gets our timeout
    made: list = []

    def make() -> None:
        try:
            made.append(chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings))
        except Exception as error:  # noqa: BLE001 - handed to the caller below
            made.append(error)

    maker = threading.Thread(target=make, name="chroma-connect", daemon=True)
    maker.start()
    maker.join(timeout)
    if not made:
        raise StoreUnavailable(f"Cannot reach the Chroma server at {host}:{port}: "
                               f"it did not answer in time ({timeout} s)")
    if isinstance(made[0], ValueError | httpx.HTTPError | ChromaError):
        raise StoreUnavailable(f"Cannot reach the Chroma server at {host}:{port}: {redact(str(made[0]))}") \
            from made[0]
    if isinstance(made[0], Exception):
        raise made[0]
    client = made[0]
    client._server._session.timeout = httpx.Timeout(timeout)
    return client


class PassageStore:
    """The index as readers see it: the generation the pointer names (never a half-built one),
    followed with `refresh()` when a build switches it, and searched by vector. `sync` builds a
    new generation (index_build.py) under the build claim and then serves it."""

    def __init__(self, path: Path, collection: str, embeddings: Embeddings, model_identity: str,
                 client: ClientAPI | None = None):
        """`path` holds the build lock, and the store itself unless a server `client` is given."""
        self.path = path
        self.collection = collection
        self.model_identity = model_identity
        self.embeddings = embeddings
        path.mkdir(parents=True, exist_ok=True)
        self.client = client or connect(path)
        self.generations = Generations(self.client, collection)
        self.lock_name = f"{collection}_build_lock"
        self.generation = Generation.of(collection, NO_GENERATION)
        with self.reachable():
            self._open(self.generations.viewed())

    @contextmanager
    def reachable(self):
        """Turn a server that does not answer in time, or answers with an error (a 5xx, a refused
        token), into StoreUnavailable (English, for developers)."""
        try:
            yield
        except httpx.TimeoutException as error:
            raise StoreUnavailable(f"The Chroma server did not answer in time: {type(error).__name__}") from error
        except (httpx.HTTPError, ChromaError) as error:
            raise StoreUnavailable(f"The Chroma server failed: {type(error).__name__}: {redact(str(error))}") from error

    def _open(self, number: int) -> None:
        self.generation = Generation.of(self.collection, number)
        self._counts: tuple[int, int] | None = None  # (chunks, sentences) served, read once per generation
        if number == NO_GENERATION:
            self.passages = self.sentences = None
            return
        self.passages, self.sentences = (
            Chroma(collection_name=name, embedding_function=self.embeddings, client=self.client,
                   collection_configuration=COSINE)
            for name in (self.generation.passages, self.generation.sentences)
        )

    def refresh(self) -> bool:
        """Follow the pointer: True when another generation is served now (a build finished)."""
        with self.reachable():
            viewed = self.generations.viewed()
            if viewed == self.generation.number:
                return False
            self._open(viewed)
            return True

    # ------------------------------------------------------------------ state
    def read_state(self) -> dict:
        """The build state of the generation readers see ({} before the first build)."""
        with self.reachable():
            return self.generations.state(self.generation)

    def check_ready(self, chunk_ids: list[str]) -> None:
        """Raise IndexNotReady unless the store serves exactly the chunks with these ids, fully built
        (following the pointer first: another machine may have finished a build)."""
        self.refresh()
        state = self.read_state()
        if not state:
            raise IndexNotReady("no index has been built yet")
        if not state.get("complete"):
            raise IndexNotReady("the last index build did not finish")
        if state.get("embedding_model") != self.model_identity:
            raise IndexNotReady(f"the index was built with {state.get('embedding_model')!r}, "
                                f"not {self.model_identity!r}")
        if state.get("fingerprint") != fingerprint(chunk_ids):
            raise IndexNotReady("the documents changed since the index was built")

    # --------------------------------------------------------------- indexing
    def sync(self, chunks: Iterable[Chunk], rebuild: bool = False, progress: bool = True) -> IndexReport:
        """Make the store serve exactly `chunks`: a new generation that keeps the vectors of the
        unchanged chunks, embeds the new ones and leaves the removed ones out; then serve it.

        `chunks` may be a stream (one document at a time): across it only ids are kept, so the
        build's memory does not grow with the corpus. One build at a time: a second one (another
        process) gets IndexBusy at once instead of writing into the same collections.
        """
        with self.reachable(), BuildClaim(self.client, self.lock_name, self.path / LOCK_FILE) as claim:
            report = IndexWriter(self.generations, self.embeddings, self.model_identity, claim).sync(
                chunks, rebuild, progress)
            self._open(self.generations.serving())
        return report

    # ----------------------------------------------------------------- search
    def dense_search(self, query_vector: list[float], k: int,
                     hidden: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks, none of the `hidden` documents
        (left out by the store's own query, so a reader's k are all readable)."""
        with self.reachable():
            k = min(k, self._served()[0])
            if k == 0:
                return []
            # langchain-chroma returns cosine *distances* here (lower is closer)
            hits = self.passages.similarity_search_by_vector_with_relevance_scores(query_vector, k=k,
                                                                                   filter=_without(hidden))
        return [(doc.id, 1.0 - distance) for doc, distance in hits]

    def sentence_search(self, query_vector: list[float], k: int,
                        hidden: frozenset[str] = frozenset()) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the chunks holding the k nearest sentences, none of
        the `hidden` documents."""
        if self.sentences is None:
            return []
        with self.reachable():
            k = min(k, self._served()[1])
            if k == 0:
                return []
            hits = self.sentences.similarity_search_by_vector_with_relevance_scores(query_vector, k=k,
                                                                                    filter=_without(hidden))
        return [(doc.metadata["chunk_id"], 1.0 - distance) for doc, distance in hits]

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, list[float]]:
        if not chunk_ids or self.sentences is None:
            return {}
        with self.reachable():
            rows = self.sentences.get(where={"chunk_id": {"$in": list(chunk_ids)}}, include=["embeddings"])
        return dict(zip(rows["ids"], rows["embeddings"], strict=True))

    def indexed_at(self) -> dict[str, str]:
        """When each document served was indexed: its source -> the time its oldest chunk was
        embedded (for chunks stored before that was kept: when the index was completed)."""
        if self.generation.number == NO_GENERATION:
            return {}
        with self.reachable():
            completed = self.read_state().get("completed_at", "")
            rows = self.client.get_collection(self.generation.passages).get(include=["metadatas"])["metadatas"]
        first: dict[str, str] = {}
        for row in rows:
            at = row.get("indexed_at") or completed
            first[row["source"]] = min(first.get(row["source"], at), at)
        return first

    def count(self) -> int:
        if self.generation.number == NO_GENERATION:
            return 0
        with self.reachable():
            return self.client.get_collection(self.generation.passages).count()

    def _served(self) -> tuple[int, int]:
        """How many chunks and sentences the served generation holds: a complete generation does
        not change, so a search asks once (an unfinished one, before the first build completed,
        is asked every time)."""
        if self._counts is not None:
            return self._counts
        counts = (self.count(), self.client.get_collection(self.generation.sentences).count())
        if self.read_state().get("complete"):
            self._counts = counts
        return counts


def _without(hidden: frozenset[str]) -> dict | None:
    """Chroma's filter that leaves out the chunks and sentences of the `hidden` documents."""
    return {"source": {"$nin": sorted(hidden)}} if hidden else None
