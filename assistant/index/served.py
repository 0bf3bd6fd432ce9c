"""What the answer path serves: the documents and chunks of the index, read when needed.

A running page holds of each document only its description (title, organisation, ...) and of
each chunk only its id and document, so its memory does not grow with the text of the corpus.
The text itself is read from the cache folder when an answer needs it: each document's chunks
from the chunk cache (chunking.py) and its text from `documents/`, both saved under the
document's fingerprint when the pipeline is assembled. A file there never changes, so what is
read matches the index being served even after a document in SEEDS_DIR was edited or removed
(until the page follows the next build). The recently used documents stay in memory (an LRU).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..types import Chunk, Document, Reader
from .chunking import CHUNKS, cached_chunks, chunk_cache_path, read_chunk_cache
from .documents import SkippedFile, parse_blocks

log = logging.getLogger(__name__)

# What stays in memory of the recently used, weighed by size (a few tens of MB at most, whatever
# the size of the corpus); a search reads the chunks of ~80 candidates, an answer the documents
# it cites
DOCUMENT_CHARS_KEPT = 20_000_000  # characters of documents' text
CHUNKS_KEPT = 20_000  # chunks
DOCUMENT_TEXTS = "documents"  # under the cache folder: each served document's text, by fingerprint
# A chunk cache or saved text that no pipeline has served for this long is deleted: each edited
# version of a document leaves a pair behind. What a pipeline serves is touched when it is assembled,
# so a page started within this time keeps its files.
CACHE_FILES_KEPT_DAYS = 30
LEFT_OVER_SECONDS = 24 * 3600  # a ".tmp" file of a write that never finished


class Recent:
    """A thread-safe LRU weighed by size: `get(key, load)` loads what it does not hold, and the
    least recently used go once the held weights pass `size`."""

    def __init__(self, size: int, weight: Callable[[object], int]):
        self.size = size
        self.weight = weight
        self._held: OrderedDict = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()

    def get(self, key, load: Callable):
        with self._lock:
            if key in self._held:
                self._held.move_to_end(key)
                return self._held[key][0]
        value = load()
        weight = self.weight(value)
        with self._lock:
            if key not in self._held:
                self._held[key] = (value, weight)
                self._total += weight
            while self._total > self.size and len(self._held) > 1:
                _, (_, dropped) = self._held.popitem(last=False)
                self._total -= dropped
        return value


@dataclass(frozen=True)
class ServedDocument:
    """A document as the page lists it; its text is read from `text_file` when needed."""

    description: Document  # without its text and blocks
    text_file: Path | None  # None: `held` keeps the whole document (the cache folder was not writable)
    held: Document | None = None


class ServedDocuments(Mapping[str, Document]):
    """The served documents by file name. `served[name]` is the document with its text, which
    citations check quotes against; its blocks are left out (parsing them costs more than reading
    the text): `whole(name)` has them too, for "Bekijk in document". `descriptions()` lists the
    documents without reading their text."""

    def __init__(self, entries: Iterable[ServedDocument] = (), kept: int = DOCUMENT_CHARS_KEPT):
        self._entries = {e.description.name: e for e in entries}
        self._recent = Recent(kept, lambda document: len(document.source))
        self.skipped: tuple[SkippedFile, ...] = ()  # the folder's files that could not be read, with why

    def __getitem__(self, name: str) -> Document:
        entry = self._entries[name]
        if entry.held is not None:
            return entry.held
        return self._recent.get(name, lambda: replace(entry.description, source=_read_text(entry.text_file)))

    def whole(self, name: str) -> Document | None:
        """The document with its text and blocks; None when it is not served."""
        if name not in self._entries:
            return None
        document = self[name]
        return document if document.blocks else replace(document, blocks=parse_blocks(document.source))

    def __contains__(self, name: object) -> bool:
        return name in self._entries  # without reading the text

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def descriptions(self) -> list[Document]:
        """Every document's description (no text), by file name."""
        return [self._entries[name].description for name in sorted(self._entries)]

    def hidden_from(self, reader: Reader) -> frozenset[str]:
        """The documents `reader` may not read (their audience holds none of its groups)."""
        return frozenset(name for name, entry in self._entries.items() if not reader.may_read(entry.description))

    def without(self, hidden: frozenset[str]) -> ServedDocuments:
        """These documents less the `hidden` ones, sharing the texts read so far."""
        view = ServedDocuments(entry for name, entry in self._entries.items() if name not in hidden)
        view._recent, view.skipped = self._recent, self.skipped
        return view


def _read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8")  # as saved: no newline is translated


@dataclass(frozen=True)
class _ChunkFile:
    source: str
    first: int  # position of its first chunk among all served chunks
    path: Path | None  # the chunk cache file; None: `held` keeps the chunks
    held: tuple[Chunk, ...] = ()


class ServedChunks:
    """The served chunks in reading order (document by document), by id or position; each
    document's chunks are read from its chunk cache file when needed."""

    def __init__(self, kept: int = CHUNKS_KEPT):
        self.ids: list[str] = []
        self._position: dict[str, int] = {}
        self._files: list[_ChunkFile] = []
        self._firsts: list[int] = []
        self._recent = Recent(kept, len)

    @classmethod
    def holding(cls, chunks: Iterable[Chunk]) -> ServedChunks:
        """Chunks held in memory as they are (hand-made ones, in the tests)."""
        served = cls()
        by_source: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            by_source.setdefault(chunk.source, []).append(chunk)
        for source, held in by_source.items():
            served.add(source, held, None)
        return served

    def add(self, source: str, chunks: list[Chunk], path: Path | None) -> None:
        """A document's chunks, read again from `path` when needed (held in memory without one)."""
        first = len(self.ids)
        for chunk in chunks:  # ids are unique: they hash the document's name (chunking.py)
            self._position[chunk.id] = len(self.ids)
            self.ids.append(chunk.id)
        self._files.append(_ChunkFile(source, first, path, () if path else tuple(chunks)))
        self._firsts.append(first)

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, chunk_id: str) -> bool:
        return chunk_id in self._position

    def __iter__(self) -> Iterator[Chunk]:
        for index in range(len(self._files)):
            yield from self._chunks_of(index).values()

    def get(self, chunk_id: str) -> Chunk | None:
        position = self._position.get(chunk_id)
        return None if position is None else self.at(position)

    def at(self, position: int) -> Chunk:
        index = bisect_right(self._firsts, position) - 1
        return self._chunks_of(index)[self.ids[position]]

    def following(self, chunk: Chunk, limit: int) -> list[Chunk]:
        """Up to `limit` chunks after `chunk` in its document (a list's items continue there)."""
        position = self._position[chunk.id]
        after = [self.at(p) for p in range(position + 1, min(position + 1 + limit, len(self.ids)))]
        return [c for c in after if c.source == chunk.source]

    def preceding(self, chunk: Chunk, limit: int) -> list[Chunk]:
        """Up to `limit` chunks before `chunk` in its document, the nearest first (a list's
        introduction may stand there)."""
        position = self._position[chunk.id]
        before = [self.at(p) for p in range(position - 1, max(position - 1 - limit, -1), -1)]
        return [c for c in before if c.source == chunk.source]

    def readable(self, hidden: frozenset[str]) -> np.ndarray:
        """A mask over the positions: False where a chunk belongs to one of the `hidden` documents
        (the keyword index's scores are cut with it, as the store's query leaves them out)."""
        mask = np.ones(len(self.ids), dtype=bool)
        for index, file in enumerate(self._files):
            if file.source in hidden:
                end = self._firsts[index + 1] if index + 1 < len(self._files) else len(self.ids)
                mask[file.first:end] = False
        return mask

    def counts(self) -> dict[str, int]:
        """How many chunks each document has."""
        counts: dict[str, int] = {}
        for index, file in enumerate(self._files):
            end = self._firsts[index + 1] if index + 1 < len(self._files) else len(self.ids)
            counts[file.source] = counts.get(file.source, 0) + end - file.first
        return counts

    def _chunks_of(self, index: int) -> dict[str, Chunk]:
        file = self._files[index]
        if file.path is None:
            return {c.id: c for c in file.held}
        return self._recent.get(index, lambda: {c.id: c for c in read_chunk_cache(file.path)})


def serve(documents: Iterable[Document], cache_dir: Path) -> tuple[ServedDocuments, ServedChunks]:
    """Chunk the documents one at a time (from the chunk cache where it has them), save each
    document's text beside its chunks, and keep only their descriptions and chunk ids."""
    entries: list[ServedDocument] = []
    chunks = ServedChunks()
    served: set[Path] = set()
    for document in documents:
        found = cached_chunks(document, cache_dir)
        chunk_file = chunk_cache_path(document, cache_dir)
        text_file = _saved_text(document, cache_dir / DOCUMENT_TEXTS / f"{chunk_file.stem}.txt")
        kept_on_disk = text_file is not None and chunk_file.is_file()
        chunks.add(document.name, found, chunk_file if kept_on_disk else None)
        description = replace(document, source="", blocks=[])
        entries.append(ServedDocument(description, text_file, None) if kept_on_disk
                       else ServedDocument(description, None, document))
        if kept_on_disk:
            served |= {chunk_file, text_file}
    prune_cache(cache_dir, served)
    return ServedDocuments(entries), chunks


def prune_cache(cache_dir: Path, served: set[Path], now: float | None = None) -> list[Path]:
    """Touch the files being served and delete the chunk caches and saved texts no pipeline has
    served for CACHE_FILES_KEPT_DAYS (and writes left unfinished); returns what was deleted."""
    now = time.time() if now is None else now
    for path in served:
        try:
            os.utime(path, (now, now))
        except OSError:
            pass  # a read-only cache: nothing is deleted from it either
    deleted = []
    for folder in (cache_dir / CHUNKS, cache_dir / DOCUMENT_TEXTS):
        try:
            files = [p for p in folder.iterdir() if p.is_file() and p not in served]
        except OSError:
            continue
        for path in files:
            try:
                age = now - path.stat().st_mtime
                limit = LEFT_OVER_SECONDS if path.name.endswith(".tmp") else CACHE_FILES_KEPT_DAYS * 86400
                if age > limit:
                    path.unlink()
                    deleted.append(path)
            except OSError:
                continue  # deleted meanwhile by another process, or not ours to delete
    if deleted:
        log.info("Deleted %d cache files no index served for %d days", len(deleted), CACHE_FILES_KEPT_DAYS)
    return deleted


def _saved_text(document: Document, path: Path) -> Path | None:
    """The document's text saved at `path` (once: the name is its fingerprint); None when the
    cache folder cannot be written (the document is then held in memory)."""
    if path.is_file():
        return path
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{threading.get_ident()}.tmp")
        temporary.write_bytes(document.source.encode("utf-8"))
        temporary.replace(path)
        return path
    except OSError as error:
        log.warning("Cannot save the text of %s in the cache (%s): holding it in memory", document.name, error)
        return None
