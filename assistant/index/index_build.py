"""Writing the index: a new generation that keeps the vectors of the unchanged chunks, embeds
the new ones and leaves the removed ones out, then is served in one step.

Ids are content hashes, so a build copies the vectors of unchanged chunks (and their sentences)
from the served generation, embeds the new chunks in batches as they stream in, and only when
the stream has ended marks the generation complete and points readers at it: a half-built
generation is never served. A build that was killed is resumed into its unfinished generation;
a model change starts one from nothing. The caller holds the build claim (build_claim.py).

The build keeps the model busy: the documents are read, cleaned and chunked on a thread of their
own a bounded number of chunks ahead (memory stays flat); new chunks are embedded in pools across
documents (the encoder makes batches of like length from a pool); a sentence that repeats
(boilerplate, a paragraph the web page and the proposition share) is embedded once while it is
remembered; and Chroma writes on a thread of its own, a bounded number of batches behind.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from ..types import Chunk, sentence_id
from .build_claim import BuildClaim
from .generations import NO_GENERATION, Generation, Generations, now

log = logging.getLogger(__name__)

BATCH_SIZE = 32  # unchanged chunks copied at once
EMBED_POOL = 64  # new chunks embedded together (across documents: the encoder batches them by length)
READ_AHEAD = 512  # chunks read and chunked ahead of the embedding
WRITES_AHEAD = 4  # embedded batches waiting for Chroma
SENTENCES_REMEMBERED = 50_000  # sentence vectors kept for reuse within a build (~77 MB as float32 at 384 dimensions)


@dataclass
class IndexReport:
    added: int
    removed: int
    kept: int
    sentences_added: int


class IndexWriter:
    def __init__(self, generations: Generations, embeddings: Embeddings, model_identity: str, claim: BuildClaim):
        self.generations = generations
        self.client = generations.client
        self.embeddings = embeddings
        self.model_identity = model_identity
        self.claim = claim

    def sync(self, chunks: Iterable[Chunk], rebuild: bool, progress: bool) -> IndexReport:
        """Make the generations serve exactly `chunks` (a stream: across it only ids are kept)."""
        serving = self.generations.serving()
        source = self.generations.of(serving) if serving != NO_GENERATION else None
        if source is not None:
            model = self.generations.state(source).get("embedding_model")
            if model != self.model_identity:
                if not rebuild:
                    log.warning("Embedding model changed (%s -> %s): rebuilding the index", model, self.model_identity)
                source = None  # vectors of another model are never mixed in
        if rebuild:
            source = None
        target = self._target(serving, resume=not rebuild)
        # until the stream has ended, this generation is not servable
        self.generations.write_state(target, self.model_identity, False, [])
        present = set(self.client.get_collection(target.passages).get(include=[])["ids"])  # a killed build got this far
        copyable = set(self.client.get_collection(source.passages).get(include=[])["ids"]) if source else set()
        wanted: set[str] = set()
        to_copy: list[str] = []
        new: list[Chunk] = []
        added = sentences_added = 0
        self.remembered: OrderedDict[str, np.ndarray] = OrderedDict()  # sentence text -> its vector
        started = time.perf_counter()
        with tqdm(desc="Opslaan", unit="tekst", disable=not progress) as bar, ChromaWriter(self.client, bar) as writer:
            for chunk in read_ahead(chunks, READ_AHEAD):
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
                    self._copy(source, target, to_copy, writer)
                    to_copy = []
                if len(new) == EMBED_POOL:
                    sentences_added += self._add(target, new, writer)
                    added, new = added + len(new), []
                    bar.set_postfix_str(f"{added / (time.perf_counter() - started):.1f} passages/s")
            if to_copy:
                self._copy(source, target, to_copy, writer)
            if new:
                sentences_added += self._add(target, new, writer)
                added += len(new)
        for batch in _batches(sorted(present - wanted)):  # left by a killed build for other documents
            self._delete(target, batch)
        self.generations.write_state(target, self.model_identity, True, list(wanted))
        self.generations.serve(target)
        return IndexReport(added=added, removed=len(copyable - wanted), kept=len(wanted) - added,
                           sentences_added=sentences_added)

    def _target(self, serving: int, resume: bool) -> Generation:
        """The generation to build: one left unfinished by a killed build (resumed), or a new one."""
        built = self.generations.built()
        newer = [n for n in built if n > serving]
        if newer and resume:
            return self.generations.create(self.generations.of(newer[-1]))
        for number in newer:  # a rebuild starts over: an unfinished generation is dropped
            self.generations.drop(self.generations.of(number))
        return self.generations.create(self.generations.of(max([serving, *built]) + 1))

    def _copy(self, source: Generation, target: Generation, ids: list[str], writer: ChromaWriter) -> None:
        """Carry chunks and their sentences over from the serving generation, vectors and all."""
        include = ["embeddings", "documents", "metadatas"]
        chunks = self.client.get_collection(source.passages).get(ids=ids, include=include)
        sentences = self.client.get_collection(source.sentences).get(where={"chunk_id": {"$in": ids}}, include=include)
        for name, rows in ((target.passages, chunks), (target.sentences, sentences)):
            if rows["ids"]:
                writer.upsert(name, rows["ids"], rows["embeddings"], rows["documents"], rows["metadatas"])
        self.claim.report_alive()

    def _delete(self, generation: Generation, ids: list[str]) -> None:
        self.client.get_collection(generation.passages).delete(ids=ids)
        sentences = self.client.get_collection(generation.sentences)
        stale = sentences.get(where={"chunk_id": {"$in": ids}}, include=[])["ids"]
        if stale:
            sentences.delete(ids=stale)

    def _add(self, target: Generation, chunks: list[Chunk], writer: ChromaWriter) -> int:
        """Embed a pool of new chunks and their sentences and hand them to the writer; returns the
        sentences stored. Reports to the claim after each pool, so the build is not taken for dead."""
        indexed_at = now()
        vectors = self.embeddings.embed_documents([c.embedding_text for c in chunks])
        writer.upsert(target.passages, [c.id for c in chunks], vectors, [c.text for c in chunks],
                      [_metadata(c, indexed_at) for c in chunks])
        rows = [(sentence_id(c.id, i), text, c) for c in chunks for i, text in enumerate(c.sentence_texts())]
        texts = [text for _, text, _ in rows]
        writer.upsert(target.sentences, [sid for sid, _, _ in rows], self._sentence_vectors(texts), texts,
                      [{"chunk_id": c.id, "source": c.source} for _, _, c in rows])
        self.claim.report_alive()
        return len(rows)

    def _sentence_vectors(self, texts: list[str]) -> list[list[float]]:
        """The sentences' vectors: each distinct sentence not remembered from earlier in the build
        embedded once, the rest remembered (the least recently used forgotten beyond SENTENCES_REMEMBERED)."""
        unseen = [text for text in dict.fromkeys(texts) if text not in self.remembered]
        for text, vector in zip(unseen, self.embeddings.embed_documents(unseen) if unseen else [], strict=True):
            self.remembered[text] = np.asarray(vector, dtype=np.float32)  # 1.5 kB, not a list of Python floats
        vectors = []
        for text in texts:
            self.remembered.move_to_end(text)
            vectors.append(self.remembered[text])
        while len(self.remembered) > SENTENCES_REMEMBERED:
            self.remembered.popitem(last=False)
        return vectors


class ChromaWriter:
    """Chroma's upserts on a thread of their own, at most WRITES_AHEAD batches behind, so the model
    embeds the next pool while the last one is written; the progress bar counts what is written. A
    failed write is raised in the build's thread at the next upsert or at the end."""

    def __init__(self, client, bar: tqdm):
        self.client = client
        self.bar = bar
        self.waiting: queue.Queue = queue.Queue(maxsize=WRITES_AHEAD)
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._write, name="index-writer", daemon=True)

    def __enter__(self) -> ChromaWriter:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.waiting.put(None)
        self.thread.join()
        if self.failure is not None and exc[0] is None:
            raise self.failure

    def upsert(self, name: str, ids: list[str], vectors, documents: list[str], metadatas: list[dict]) -> None:
        if self.failure is not None:
            raise self.failure
        self.waiting.put((name, ids, vectors, documents, metadatas))

    def _write(self) -> None:
        while (batch := self.waiting.get()) is not None:
            if self.failure is None:  # after a failure the rest is dropped: the build stops unfinished
                name, ids, vectors, documents, metadatas = batch
                try:
                    self.client.get_collection(name).upsert(ids=ids, embeddings=vectors, documents=documents,
                                                            metadatas=metadatas)
                    self.bar.update(len(ids))
                except BaseException as failure:  # noqa: BLE001 - raised in the build's thread
                    self.failure = failure


class _Failed:
    def __init__(self, error: BaseException):
        self.error = error


_END = object()


def read_ahead(items: Iterable, size: int) -> Iterator:
    """The items of `items` (reading, cleaning and chunking the documents) produced on a thread of
    their own, at most `size` ahead of the caller; an error there is raised here."""
    waiting: queue.Queue = queue.Queue(maxsize=size)
    stopped = threading.Event()

    def offer(item) -> bool:
        while not stopped.is_set():
            try:
                waiting.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as error:  # noqa: BLE001 - raised in the caller's thread
            offer(_Failed(error))

    threading.Thread(target=produce, name="index-reader", daemon=True).start()
    try:
        while (item := waiting.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.error
            yield item
    finally:
        stopped.set()


def _metadata(chunk: Chunk, indexed_at: str) -> dict:
    """What the store keeps beside a chunk's vector; `indexed_at` travels with it to later generations."""
    return {"source": chunk.source, "title": chunk.title, "section": chunk.section_path, "indexed_at": indexed_at}


def _batches(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start:start + size]
