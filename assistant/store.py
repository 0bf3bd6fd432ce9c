"""The Chroma vector store: chunk vectors and sentence vectors, indexed incrementally.

Chroma runs embedded (`PersistentClient` under `vectorstore/`) by default, or as a server
(`HttpClient`, when CHROMA_HOST is set), telemetry off either way. Its default embedding
function downloads a model, so it is never used: every vector comes from the project's own
embeddings. The index lives in generations, each two collections: `<name>_g<N>` holds one
vector per chunk (retrieval), `<name>_g<N>_sentences` one per sentence (the extractive answer
picks sentences with them); `<name>_current` names the generation that is served.

Indexing is incremental: ids are content hashes, so a build copies the vectors of unchanged
chunks from the served generation into the new one, embeds the new chunks (in batches, as they
stream in) and leaves the removed ones out; when it is complete the pointer switches to it in
one write, so a half-built generation is never served and a running page follows the switch
(`refresh`). The build state lives in each generation's chunk collection metadata (so it travels
with the store, embedded or server): whether its build finished, with which embedding model and
for which chunks. A build that was killed is resumed into its unfinished generation; a model
change starts a generation from nothing. One build at a
time (build_claim.py): a file lock (`index.lock` under VECTORSTORE_DIR) for this machine, and a
claim collection (`<name>_build_lock`) in Chroma itself for machines that share a server. A
server that does not answer raises StoreUnavailable.
"""

from __future__ import annotations

import hashlib
import logging
import threading
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


@dataclass
class IndexReport:
    added: int
    removed: int
    kept: int
    sentences_added: int


@dataclass(frozen=True)
class Generation:
    """One complete copy of the index: a chunk collection and a sentence collection."""

    number: int
    passages: str
    sentences: str

    @classmethod
    def of(cls, collection: str, number: int) -> Generation:
        return cls(number, f"{collection}_g{number}", f"{collection}_g{number}_sentences")


NO_GENERATION = 0


class PassageStore:
    """The index in generations: a build writes a new generation (copying the vectors of the
    chunks it keeps, embedding the new ones) and, once it is complete, switches the pointer
    (`<name>_current`) to it in one step. Readers serve the pointer's generation: never a
    half-built one, and a running page picks up the switch with `refresh()`. The generation
    before the current one stays for requests in flight; older ones are dropped."""

    def __init__(self, path: Path, collection: str, embeddings: Embeddings, model_identity: str,
                 client: ClientAPI | None = None):
        """`path` holds the build lock, and the store itself unless a server `client` is given."""
        self.path = path
        self.collection = collection
        self.model_identity = model_identity
        self.embeddings = embeddings
        path.mkdir(parents=True, exist_ok=True)
        self.client = client or connect(path)
        self.pointer_name = f"{collection}_current"
        self.lock_name = f"{collection}_build_lock"
        self.generation = Generation.of(collection, NO_GENERATION)
        with self.reachable():
            self._open(self._viewed())

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

    # ------------------------------------------------------------------ generations
    def _serving(self) -> int:
        """The generation the pointer names (NO_GENERATION before the first complete build)."""
        pointer = self.client.get_or_create_collection(self.pointer_name)
        return int((pointer.metadata or {}).get("generation", NO_GENERATION))

    def _built(self) -> list[int]:
        """The generations that exist, complete or not, oldest first."""
        prefix = f"{self.collection}_g"
        numbers = {int(name[len(prefix):]) for name in self._collection_names()
                   if name.startswith(prefix) and name[len(prefix):].isdigit()}
        return sorted(numbers)

    def _collection_names(self) -> set[str]:
        return {c if isinstance(c, str) else c.name for c in self.client.list_collections()}

    def _viewed(self) -> int:
        """What readers see: the serving generation; before any build completed, the newest
        unfinished one (so that its state says the build did not finish)."""
        serving = self._serving()
        return serving if serving != NO_GENERATION else max(self._built(), default=NO_GENERATION)

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
            viewed = self._viewed()
            if viewed == self.generation.number:
                return False
            self._open(viewed)
            return True

    # ------------------------------------------------------------------ state
    def read_state(self) -> dict:
        """The build state of the generation readers see ({} before the first build)."""
        if self.generation.number == NO_GENERATION:
            return {}
        with self.reachable():
            return dict(self.client.get_collection(self.generation.passages).metadata or {})

    def _write_state(self, generation: Generation, complete: bool, chunk_ids: list[str]) -> None:
        state = {"complete": complete, "embedding_model": self.model_identity,
                 "chunks": len(chunk_ids), "fingerprint": _fingerprint(chunk_ids),
                 "completed_at": _now() if complete else ""}
        self.client.get_collection(generation.passages).modify(metadata=state)

    def check_ready(self, chunks: list[Chunk]) -> None:
        """Raise IndexNotReady unless the store serves exactly `chunks`, fully built (following
        the pointer first: another machine may have finished a build)."""
        self.refresh()
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
        """Make the store serve exactly `chunks`: a new generation that keeps the vectors of the
        unchanged chunks, embeds the new ones and leaves the removed ones out.

        `chunks` may be a stream (one document at a time): across it only ids are kept, so the
        build's memory does not grow with the corpus. One build at a time: a second one (another
        process) gets IndexBusy at once instead of writing into the same collections.
        """
        with self.reachable(), BuildClaim(self.client, self.lock_name, self.path / LOCK_FILE) as claim:
            return self._sync(chunks, rebuild, progress, claim)

    def _sync(self, chunks: Iterable[Chunk], rebuild: bool, progress: bool, claim: BuildClaim) -> IndexReport:
        serving = self._serving()
        source = Generation.of(self.collection, serving) if serving != NO_GENERATION else None
        if source is not None:
            state = dict(self.client.get_collection(source.passages).metadata or {})
            if state.get("embedding_model") != self.model_identity:
                if not rebuild:
                    log.warning("Embedding model changed (%s -> %s): rebuilding the index",
                                state.get("embedding_model"), self.model_identity)
                source = None  # vectors of another model are never mixed in
        if rebuild:
            source = None
        target = self._target(serving, resume=not rebuild)
        self._write_state(target, False, [])  # until the stream has ended, this generation is not servable
        target_passages = self.client.get_collection(target.passages)
        present = set(target_passages.get(include=[])["ids"])  # a killed build into this generation got this far
        copyable = set(self.client.get_collection(source.passages).get(include=[])["ids"]) if source else set()
        wanted: set[str] = set()
        to_copy: list[str] = []
        new: list[Chunk] = []
        added = sentences_added = 0
        with tqdm(desc="Opslaan", unit="tekst", disable=not progress) as bar:
            for chunk in chunks:
                if chunk.id in wanted:
                    continue
                wanted.add(chunk.id)
                if chunk.id in present:
                    continue
                if chunk.id in copyable:
                    to_copy.append(chunk.id)
                else:
                    new.append(chunk)
                if len(to_copy) == BATCH_SIZE:
                    self._copy(source, target, to_copy, bar, claim)
                    to_copy = []
                if len(new) == BATCH_SIZE:
                    sentences_added += self._add(target, new, bar, claim)
                    added, new = added + len(new), []
            if to_copy:
                self._copy(source, target, to_copy, bar, claim)
            if new:
                sentences_added += self._add(target, new, bar, claim)
                added += len(new)
        for batch in _batches(sorted(present - wanted)):  # left by a killed build for other documents
            self._delete(target, batch)
        self._write_state(target, True, list(wanted))
        self._switch(target)
        return IndexReport(added=added, removed=len(copyable - wanted), kept=len(wanted) - added,
                           sentences_added=sentences_added)

    def _target(self, serving: int, resume: bool) -> Generation:
        """The generation to build: one left unfinished by a killed build (resumed), or a new one."""
        built = self._built()
        newer = [n for n in built if n > serving]
        if newer and resume:
            return self._create(Generation.of(self.collection, newer[-1]))
        for number in newer:  # a rebuild starts over: an unfinished generation is dropped
            self._drop(Generation.of(self.collection, number))
        return self._create(Generation.of(self.collection, max([serving, *built]) + 1))

    def _create(self, generation: Generation) -> Generation:
        for name in (generation.passages, generation.sentences):
            self.client.get_or_create_collection(name, configuration=COSINE)
        return generation

    def _switch(self, target: Generation) -> None:
        """Serve `target` from now on (one metadata write: readers see the old or the new, never
        a mix); keep the one before it for requests in flight, drop the rest."""
        serving = self._serving()
        self.client.get_or_create_collection(self.pointer_name).modify(metadata={"generation": target.number})
        for number in self._built():
            if number not in (target.number, serving):
                self._drop(Generation.of(self.collection, number))
        self._open(target.number)

    def _drop(self, generation: Generation) -> None:
        names = self._collection_names()
        for name in (generation.passages, generation.sentences):
            if name in names:
                self.client.delete_collection(name)

    def _copy(self, source: Generation, target: Generation, ids: list[str], bar: tqdm, claim: BuildClaim) -> None:
        """Carry chunks and their sentences over from the serving generation, vectors and all."""
        include = ["embeddings", "documents", "metadatas"]
        chunks = self.client.get_collection(source.passages).get(ids=ids, include=include)
        sentences = self.client.get_collection(source.sentences).get(where={"chunk_id": {"$in": ids}}, include=include)
        for name, rows in ((target.passages, chunks), (target.sentences, sentences)):
            if rows["ids"]:
                self.client.get_collection(name).upsert(ids=rows["ids"], embeddings=rows["embeddings"],
                                                        documents=rows["documents"], metadatas=rows["metadatas"])
        bar.update(len(chunks["ids"]) + len(sentences["ids"]))
        claim.report_alive()

    def _delete(self, generation: Generation, ids: list[str]) -> None:
        self.client.get_collection(generation.passages).delete(ids=ids)
        sentences = self.client.get_collection(generation.sentences)
        stale = sentences.get(where={"chunk_id": {"$in": ids}}, include=[])["ids"]
        if stale:
            sentences.delete(ids=stale)

    def _add(self, target: Generation, chunks: list[Chunk], bar: tqdm, claim: BuildClaim) -> int:
        """Embed and store a batch of chunks and their sentences; returns the sentences stored.
        Reports to `claim` after each batch, so the build is not taken for dead."""
        now = _now()
        self._upsert(target.passages, [c.id for c in chunks], [c.embedding_text for c in chunks],
                     [c.text for c in chunks], [_metadata(c, now) for c in chunks])
        rows = [(sentence_id(c.id, i), text, c) for c in chunks for i, text in enumerate(c.sentence_texts())]
        self._upsert(target.sentences, [sid for sid, _, _ in rows], [text for _, text, _ in rows],
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
            k = min(k, self._served()[0])
            if k == 0:
                return []
            # langchain-chroma returns cosine *distances* here (lower is closer)
            hits = self.passages.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
        return [(doc.id, 1.0 - distance) for doc, distance in hits]

    def sentence_search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the chunks holding the k nearest sentences."""
        if self.sentences is None:
            return []
        with self.reachable():
            k = min(k, self._served()[1])
            if k == 0:
                return []
            hits = self.sentences.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
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


def _metadata(chunk: Chunk, indexed_at: str) -> dict:
    """What the store keeps beside a chunk's vector; `indexed_at` travels with it to later generations."""
    return {"source": chunk.source, "title": chunk.title, "section": chunk.section_path, "indexed_at": indexed_at}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fingerprint(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def _batches(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start:start + size]
