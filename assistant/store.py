"""The Chroma vector store: chunk vectors and sentence vectors, indexed incrementally.

Chroma runs embedded (`PersistentClient` under `vectorstore/`) by default, or as a server
(`HttpClient`, when CHROMA_HOST is set), telemetry off either way. Its default embedding
function downloads a model, so it is never used: every vector comes from the project's own
embeddings. Two collections: `<name>` holds one vector per chunk (retrieval),
`<name>_sentences` one per sentence (the extractive answer picks sentences with them).

Indexing is incremental: ids are content hashes, so unchanged chunks are kept, new ones are
embedded (in batches, as the chunks stream in) and removed ones deleted at the end. The build
state lives in the chunk collection's metadata (so it travels with the store, embedded or
server): whether the last build finished, with which embedding model and for which chunks. A
build that was killed, or a model change, is detected and finished or rebuilt. One build at a
time (build_claim.py): a file lock (`index.lock` under VECTORSTORE_DIR) for this machine, and a
claim collection (`<name>_build_lock`) in Chroma itself for machines that share a server. A
server that does not answer raises StoreUnavailable.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.errors import ChromaError
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from .build_claim import BuildClaim, IndexBusy  # noqa: F401 (IndexBusy: callers catch it from here)
from .logs import redact
from .types import Chunk, sentence_id

log = logging.getLogger(__name__)

LOCK_FILE = "index.lock"
BATCH_SIZE = 32
COSINE = {"hnsw": {"space": "cosine"}}


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
    try:
        client = chromadb.HttpClient(host=host, port=port, ssl=ssl, settings=settings)
    except (ValueError, httpx.HTTPError, ChromaError) as error:
        raise StoreUnavailable(f"Cannot reach the Chroma server at {host}:{port}: {redact(str(error))}") from error
    # chromadb's HTTP client is made with timeout=None and offers no setting for it (chromadb 1.5):
    # a stalled server would hang every search for ever, so its session gets ours
    client._server._session.timeout = httpx.Timeout(timeout)
    return client


@dataclass
class IndexReport:
    added: int
    removed: int
    kept: int
    sentences_added: int


class PassageStore:
    def __init__(self, path: Path, collection: str, embeddings: Embeddings, model_identity: str,
                 client: ClientAPI | None = None):
        """`path` holds the build lock, and the store itself unless a server `client` is given."""
        self.path = path
        self.model_identity = model_identity
        self.embeddings = embeddings
        path.mkdir(parents=True, exist_ok=True)
        self.client = client or connect(path)
        self.names = (collection, f"{collection}_sentences")
        self.lock_name = f"{collection}_build_lock"
        with self.reachable():
            self._open()

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

    def _open(self) -> None:
        self.passages, self.sentences = (
            Chroma(collection_name=name, embedding_function=self.embeddings, client=self.client,
                   collection_configuration=COSINE)
            for name in self.names
        )

    # ------------------------------------------------------------------ state
    def read_state(self) -> dict:
        """The build state ({} before the first build)."""
        with self.reachable():
            return dict(self.client.get_collection(self.names[0]).metadata or {})

    def _write_state(self, complete: bool, chunk_ids: list[str]) -> None:
        state = {"complete": complete, "embedding_model": self.model_identity,
                 "chunks": len(chunk_ids), "fingerprint": _fingerprint(chunk_ids),
                 "completed_at": datetime.now(UTC).isoformat(timespec="seconds") if complete else ""}
        self.client.get_collection(self.names[0]).modify(metadata=state)

    def check_ready(self, chunks: list[Chunk]) -> None:
        """Raise IndexNotReady unless the store holds exactly `chunks`, fully built."""
        state = self.read_state()
        if not state:
            raise IndexNotReady("no index has been built yet")
        if not state.get("complete"):
            raise IndexNotReady("the last index build did not finish")
        if state.get("embedding_model") != self.model_identity:
            raise IndexNotReady(f"the index was built with {state.get('embedding_model')!r}, "
                                f"not {self.model_identity!r}")
        if state.get("fingerprint") != _fingerprint([c.id for c in chunks]):
            raise IndexNotReady("the documents changed since the index was built")

    # --------------------------------------------------------------- indexing
    def sync(self, chunks: Iterable[Chunk], rebuild: bool = False, progress: bool = True) -> IndexReport:
        """Make the store hold exactly `chunks`: embed the new, delete the removed.

        `chunks` may be a stream (one document at a time): across it only ids are kept, so the
        build's memory does not grow with the corpus. One build at a time: a second one (another
        process) gets IndexBusy at once instead of writing into the same collections.
        """
        with self.reachable(), BuildClaim(self.client, self.lock_name, self.path / LOCK_FILE) as claim:
            return self._sync(chunks, rebuild, progress, claim)

    def _sync(self, chunks: Iterable[Chunk], rebuild: bool, progress: bool, claim: BuildClaim) -> IndexReport:
        state = self.read_state()
        if rebuild or (state and state.get("embedding_model") != self.model_identity):
            if not rebuild:
                log.warning("Embedding model changed (%s -> %s): rebuilding the index",
                            state.get("embedding_model"), self.model_identity)
            for name in self.names:
                if name in {c.name for c in self.client.list_collections()}:
                    self.client.delete_collection(name)
            self._open()
        self._write_state(False, [])  # until the stream has ended, the store is not servable
        existing = set(self.passages.get(include=[])["ids"])
        wanted: set[str] = set()
        new: list[Chunk] = []
        added = sentences_added = 0
        with tqdm(desc="Opslaan", unit="tekst", disable=not progress) as bar:
            for chunk in chunks:
                if chunk.id in wanted:
                    continue
                wanted.add(chunk.id)
                if chunk.id not in existing:
                    new.append(chunk)
                if len(new) == BATCH_SIZE:
                    sentences_added += self._add(new, bar, claim)
                    added, new = added + len(new), []
            if new:
                sentences_added += self._add(new, bar, claim)
                added += len(new)
        removed = sorted(existing - wanted)
        for batch in _batches(removed):
            self.passages.delete(ids=batch)
            stale = self.sentences.get(where={"chunk_id": {"$in": batch}}, include=[])["ids"]
            if stale:
                self.sentences.delete(ids=stale)
        self._write_state(True, list(wanted))
        return IndexReport(added=added, removed=len(removed), kept=len(wanted) - added,
                           sentences_added=sentences_added)

    def _add(self, chunks: list[Chunk], bar: tqdm, claim: BuildClaim) -> int:
        """Embed and store a batch of chunks and their sentences; returns the sentences stored.
        Reports to `claim` after each batch, so the build is not taken for dead."""
        self._upsert(self.names[0], [c.id for c in chunks], [c.embedding_text for c in chunks],
                     [c.text for c in chunks], [_metadata(c) for c in chunks])
        rows = [(sentence_id(c.id, i), text, c) for c in chunks for i, text in enumerate(c.sentence_texts())]
        self._upsert(self.names[1], [sid for sid, _, _ in rows], [text for _, text, _ in rows],
                     [text for _, text, _ in rows], [{"chunk_id": c.id, "source": c.source} for _, _, c in rows])
        bar.update(len(chunks) + len(rows))
        claim.report_alive()
        return len(rows)

    def _upsert(self, name: str, ids: list[str], to_embed: list[str], documents: list[str],
                metadatas: list[dict]) -> None:
        vectors = self.embeddings.embed_documents(to_embed)
        self.client.get_collection(name).upsert(ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)

    # ----------------------------------------------------------------- search
    def dense_search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks."""
        with self.reachable():
            k = min(k, self.count())
            if k == 0:
                return []
            # langchain-chroma returns cosine *distances* here (lower is closer)
            hits = self.passages.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
        return [(doc.id, 1.0 - distance) for doc, distance in hits]

    def sentence_search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the chunks holding the k nearest sentences."""
        with self.reachable():
            k = min(k, self.client.get_collection(self.names[1]).count())
            if k == 0:
                return []
            hits = self.sentences.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
        return [(doc.metadata["chunk_id"], 1.0 - distance) for doc, distance in hits]

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, list[float]]:
        if not chunk_ids:
            return {}
        with self.reachable():
            rows = self.sentences.get(where={"chunk_id": {"$in": list(chunk_ids)}}, include=["embeddings"])
        return dict(zip(rows["ids"], rows["embeddings"], strict=True))

    def count(self) -> int:
        with self.reachable():
            return self.client.get_collection(self.names[0]).count()


def _metadata(chunk: Chunk) -> dict:
    return {"source": chunk.source, "title": chunk.title, "section": chunk.section_path}


def _fingerprint(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def _batches(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start:start + size]
