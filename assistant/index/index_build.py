"""Writing the index: a new generation that keeps the vectors of the unchanged chunks, embeds
the new ones and leaves the removed ones out, then is served in one step.

Ids are content hashes, so a build copies the vectors of unchanged chunks (and their sentences)
from the served generation, embeds the new chunks in batches as they stream in, and only when
the stream has ended marks the generation complete and points readers at it: a half-built
generation is never served. A build that was killed is resumed into its unfinished generation;
a model change starts one from nothing. The caller holds the build claim (build_claim.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from langchain_core.embeddings import Embeddings
from tqdm import tqdm

from ..types import Chunk, sentence_id
from .build_claim import BuildClaim
from .generations import NO_GENERATION, Generation, Generations, now

log = logging.getLogger(__name__)

BATCH_SIZE = 32


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
                    self._copy(source, target, to_copy, bar)
                    to_copy = []
                if len(new) == BATCH_SIZE:
                    sentences_added += self._add(target, new, bar)
                    added, new = added + len(new), []
            if to_copy:
                self._copy(source, target, to_copy, bar)
            if new:
                sentences_added += self._add(target, new, bar)
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

    def _copy(self, source: Generation, target: Generation, ids: list[str], bar: tqdm) -> None:
        """Carry chunks and their sentences over from the serving generation, vectors and all."""
        include = ["embeddings", "documents", "metadatas"]
        chunks = self.client.get_collection(source.passages).get(ids=ids, include=include)
        sentences = self.client.get_collection(source.sentences).get(where={"chunk_id": {"$in": ids}}, include=include)
        for name, rows in ((target.passages, chunks), (target.sentences, sentences)):
            if rows["ids"]:
                self.client.get_collection(name).upsert(ids=rows["ids"], embeddings=rows["embeddings"],
                                                        documents=rows["documents"], metadatas=rows["metadatas"])
        bar.update(len(chunks["ids"]) + len(sentences["ids"]))
        self.claim.report_alive()

    def _delete(self, generation: Generation, ids: list[str]) -> None:
        self.client.get_collection(generation.passages).delete(ids=ids)
        sentences = self.client.get_collection(generation.sentences)
        stale = sentences.get(where={"chunk_id": {"$in": ids}}, include=[])["ids"]
        if stale:
            sentences.delete(ids=stale)

    def _add(self, target: Generation, chunks: list[Chunk], bar: tqdm) -> int:
        """Embed and store a batch of chunks and their sentences; returns the sentences stored.
        Reports to the claim after each batch, so the build is not taken for dead."""
        indexed_at = now()
        self._upsert(target.passages, [c.id for c in chunks], [c.embedding_text for c in chunks],
                     [c.text for c in chunks], [_metadata(c, indexed_at) for c in chunks])
        rows = [(sentence_id(c.id, i), text, c) for c in chunks for i, text in enumerate(c.sentence_texts())]
        self._upsert(target.sentences, [sid for sid, _, _ in rows], [text for _, text, _ in rows],
                     [text for _, text, _ in rows], [{"chunk_id": c.id, "source": c.source} for _, _, c in rows])
        bar.update(len(chunks) + len(rows))
        self.claim.report_alive()
        return len(rows)

    def _upsert(self, name: str, ids: list[str], to_embed: list[str], documents: list[str],
                metadatas: list[dict]) -> None:
        vectors = self.embeddings.embed_documents(to_embed)
        self.client.get_collection(name).upsert(ids=ids, embeddings=vectors, documents=documents, metadatas=metadatas)


def _metadata(chunk: Chunk, indexed_at: str) -> dict:
    """What the store keeps beside a chunk's vector; `indexed_at` travels with it to later generations."""
    return {"source": chunk.source, "title": chunk.title, "section": chunk.section_path, "indexed_at": indexed_at}


def _batches(items: list, size: int = BATCH_SIZE):
    for start in range(0, len(items), size):
        yield items[start:start + size]
