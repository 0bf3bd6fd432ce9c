"""The Chroma vector store: chunk vectors and sentence vectors, indexed incrementally.

Chroma runs embedded (`PersistentClient` under `vectorstore/`) with telemetry off. Its default
embedding function downloads a model, so it is never used: collections are created without
one and every vector comes from the project's own embeddings. Two collections:
`<name>` holds one vector per chunk (retrieval), `<name>_sentences` one per sentence (the
extractive answer picks sentences with them).

Indexing is incremental: ids are content hashes, so unchanged chunks are kept, new ones are
embedded and removed ones deleted. A state file records whether the last build finished and
with which embedding model; a build that was interrupted, or a model change, is detected. A file
lock (`index.lock`) lets one build run at a time.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import chromadb
from filelock import FileLock, Timeout
from langchain_chroma import Chroma
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from .chunking import Chunk

log = logging.getLogger(__name__)

STATE_FILE = "index_state.json"
LOCK_FILE = "index.lock"
BATCH_SIZE = 32
COSINE = {"hnsw": {"space": "cosine"}}


class IndexBusy(RuntimeError):
    """Another process is building the index in the same folder."""


class IndexNotReady(RuntimeError):
    """The store is missing, half-built, or built for other documents or another model."""


@dataclass
class IndexReport:
    added: int
    removed: int
    kept: int
    sentences_added: int


def sentence_id(chunk_id: str, index: int) -> str:
    return f"{chunk_id}:{index}"


class PassageStore:
    def __init__(self, path: Path, collection: str, embeddings: Embeddings, model_identity: str):
        self.path = path
        self.model_identity = model_identity
        self.embeddings = embeddings
        path.mkdir(parents=True, exist_ok=True)
        self.client = chromadb.PersistentClient(
            path=str(path), settings=chromadb.config.Settings(anonymized_telemetry=False))
        self.names = (collection, f"{collection}_sentences")
        self._open()

    def _open(self) -> None:
        self.passages, self.sentences = (
            Chroma(collection_name=name, embedding_function=self.embeddings, client=self.client,
                   collection_configuration=COSINE)
            for name in self.names
        )

    # ------------------------------------------------------------------ state
    @property
    def state_path(self) -> Path:
        return self.path / STATE_FILE

    def read_state(self) -> dict:
        try:
            return json.loads(self.state_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def _write_state(self, complete: bool, chunk_ids: list[str]) -> None:
        state = {"complete": complete, "embedding_model": self.model_identity,
                 "chunks": len(chunk_ids), "fingerprint": _fingerprint(chunk_ids)}
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
        tmp.replace(self.state_path)

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
    def sync(self, chunks: list[Chunk], rebuild: bool = False, progress: bool = True) -> IndexReport:
        """Make the store hold exactly `chunks`: embed the new, delete the removed.

        One build at a time: a second one (another process) gets IndexBusy at once instead of
        writing into the same collections.
        """
        lock = FileLock(self.path / LOCK_FILE)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            raise IndexBusy(f"another index build is running on {self.path}; "
                            "wait for it to finish and start again") from None
        try:
            return self._sync(chunks, rebuild, progress)
        finally:
            lock.release()

    def _sync(self, chunks: list[Chunk], rebuild: bool, progress: bool) -> IndexReport:
        state = self.read_state()
        if rebuild or (state and state.get("embedding_model") != self.model_identity):
            if not rebuild:
                log.warning("Embedding model changed (%s -> %s): rebuilding the index",
                            state.get("embedding_model"), self.model_identity)
            for name in self.names:
                if name in {c.name for c in self.client.list_collections()}:
                    self.client.delete_collection(name)
            self._open()
        wanted = {c.id: c for c in chunks}
        self._write_state(False, list(wanted))

        existing = set(self.passages.get(include=[])["ids"])
        removed = sorted(existing - set(wanted))
        new = [c for c in chunks if c.id not in existing]
        if removed:
            self.passages.delete(ids=removed)
            stale = self.sentences.get(where={"chunk_id": {"$in": removed}}, include=[])["ids"]
            if stale:
                self.sentences.delete(ids=stale)

        sentence_rows = [(sentence_id(c.id, i), text, c) for c in new for i, text in enumerate(c.sentence_texts())]
        total = len(new) + len(sentence_rows)
        with tqdm(total=total, desc="Indexeren", unit="tekst", disable=not progress or total == 0) as bar:
            for batch in _batches(new):
                self._upsert(self.passages, [c.id for c in batch], [c.embedding_text for c in batch],
                             [c.text for c in batch], [_metadata(c) for c in batch])
                bar.update(len(batch))
            for batch in _batches(sentence_rows):
                self._upsert(self.sentences, [sid for sid, _, _ in batch], [t for _, t, _ in batch],
                             [t for _, t, _ in batch], [{"chunk_id": c.id, "source": c.source} for _, _, c in batch])
                bar.update(len(batch))
        self._write_state(True, list(wanted))
        return IndexReport(added=len(new), removed=len(removed), kept=len(wanted) - len(new),
                           sentences_added=len(sentence_rows))

    def _upsert(self, store: Chroma, ids: list[str], to_embed: list[str], documents: list[str],
                metadatas: list[dict]) -> None:
        vectors = self.embeddings.embed_documents(to_embed)
        collection = self.client.get_collection(store._collection.name)
        collection.upsert(ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)

    # ----------------------------------------------------------------- search
    def dense_search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the k nearest chunks."""
        k = min(k, self.count())
        if k == 0:
            return []
        # langchain-chroma returns cosine *distances* here (lower is closer)
        hits = self.passages.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
        return [(doc.id, 1.0 - distance) for doc, distance in hits]

    def sentence_search(self, query_vector: list[float], k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the chunks holding the k nearest sentences."""
        k = min(k, self.sentences._collection.count())
        if k == 0:
            return []
        hits = self.sentences.similarity_search_by_vector_with_relevance_scores(query_vector, k=k)
        return [(doc.metadata["chunk_id"], 1.0 - distance) for doc, distance in hits]

    def sentence_vectors(self, chunk_ids: list[str]) -> dict[str, list[float]]:
        if not chunk_ids:
            return {}
        rows = self.sentences.get(where={"chunk_id": {"$in": list(chunk_ids)}}, include=["embeddings"])
        return dict(zip(rows["ids"], rows["embeddings"]))

    def count(self) -> int:
        return self.client.get_collection(self.names[0]).count()


def _metadata(chunk: Chunk) -> dict:
    return {"source": chunk.source, "title": chunk.title, "section": chunk.section_path}


def _fingerprint(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def _batches(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start:start + size]
