"""Section-aware chunks with stable ids.

Chunks follow the document's structure: each chunk lies inside one section, carries the path
of headings above it (plus a bullet's bold lead-in), never cuts a sentence, and is identified
by a hash of its content, so re-indexing recognises unchanged chunks.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path

from .. import types
from ..types import Block, Chunk, Document, SourceMap
from . import documents

log = logging.getLogger(__name__)

TARGET_CHARS = 700  # merge small neighbouring blocks of one section up to this size
MAX_CHARS = 1000  # a longer block is split between sentences
CHUNKS = "chunks"  # under the cache folder: each document's chunks, by fingerprint (cached_chunks)


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="nl", clean=False, char_span=True)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Sentence boundaries in `text` (Dutch rules: abbreviations such as "o.a." do not end one)."""
    spans = []
    for sentence in _segmenter().segment(text):
        start, end = sentence.start, sentence.end
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans or [(0, len(text))]


def _chunk_id(source: str, section: tuple[str, ...], text: str) -> str:
    digest = hashlib.sha256("\x1f".join((source, *section, text)).encode("utf-8")).hexdigest()
    return digest[:24]


def _make_chunk(doc: Document, section: tuple[str, ...], text: str, offsets: list[int],
                blocks: tuple[tuple[int, int, str], ...], lead: str) -> Chunk:
    return Chunk(
        id=_chunk_id(doc.name, section, text), source=doc.name, title=doc.title, section=section,
        text=text, offsets=SourceMap.of(offsets), sentences=tuple(sentence_spans(text)), blocks=blocks, lead=lead,
    )


def _split_long(text: str) -> list[tuple[int, int]]:
    """Where to cut a long block between sentences into pieces of about TARGET_CHARS."""
    if len(text) <= MAX_CHARS:
        return [(0, len(text))]
    pieces, start, end = [], 0, 0
    for s_start, s_end in sentence_spans(text):
        if s_end - start > TARGET_CHARS and end > start:
            pieces.append((start, end))
            start = s_start
        end = s_end
    pieces.append((start, len(text)))
    return pieces


def chunk_document(doc: Document) -> list[Chunk]:
    chunks: list[Chunk] = []
    headings: list[tuple[int, str]] = []
    pending: list[Block] = []
    pending_section: tuple[str, ...] = ()

    def flush() -> None:
        if not pending:
            return
        text, offsets, spans = "", [], []
        for block in pending:
            if text:
                text += "\n"
                offsets.append(block.offsets[0] - 1)
            spans.append((len(text), len(text) + len(block.text), block.kind))
            text += block.text
            offsets.extend(block.offsets)
        for a, b in _split_long(text):
            piece = text[a:b]
            a += len(piece) - len(piece.lstrip())
            piece = piece.strip()
            b = a + len(piece)
            blocks = tuple((max(s, a) - a, min(e, b) - a, kind) for s, e, kind in spans if s < b and e > a)
            lead = pending[0].lead if a == 0 else ""
            chunks.append(_make_chunk(doc, pending_section, piece, offsets[a:b], blocks, lead))
        pending.clear()

    for block in doc.blocks:
        if block.kind == "heading":
            flush()
            headings = [(lvl, t) for lvl, t in headings if lvl < block.level] + [(block.level, block.text)]
            continue
        section = tuple(t for _, t in headings) + ((block.lead,) if block.lead else ())
        size = sum(len(b.text) + 1 for b in pending)
        if section != pending_section or size + len(block.text) > TARGET_CHARS:
            flush()
        pending_section = section
        pending.append(block)
    flush()
    unique: dict[str, Chunk] = {}  # the same passage twice in one section has one id: keep it once
    for chunk in chunks:
        unique.setdefault(chunk.id, chunk)
    return list(unique.values())


def chunk_documents(docs: list[Document]) -> list[Chunk]:
    return [chunk for doc in docs for chunk in chunk_document(doc)]


@lru_cache(maxsize=1)
def _code_digest():
    """The hash of this module's and the cleaner's code, read once per process (not per document)."""
    digest = hashlib.sha256()
    for module_file in (__file__, documents.__file__, types.__file__):
        digest.update(Path(module_file).read_bytes())
    return digest


def _fingerprint(doc: Document) -> str:
    """Changes with the document's text or title, and with this module's or the cleaner's code."""
    digest = _code_digest().copy()
    digest.update("\x1f".join((doc.name, doc.title, doc.source)).encode("utf-8"))
    return digest.hexdigest()[:32]


def chunk_cache_path(doc: Document, cache_dir: Path) -> Path:
    return cache_dir / CHUNKS / f"{_fingerprint(doc)}.json"


def read_chunk_cache(path: Path) -> list[Chunk]:
    """The chunks saved by `cached_chunks` (OSError or ValueError when missing or damaged)."""
    rows = json.loads(path.read_text(encoding="utf-8"))
    try:
        return [Chunk(**{**row, "section": tuple(row["section"]), "sentences": tuple(map(tuple, row["sentences"])),
                         "blocks": tuple(map(tuple, row["blocks"])), "offsets": _source_map(row["offsets"])})
                for row in rows]
    except (TypeError, KeyError, AttributeError) as error:
        raise ValueError(f"not a chunk cache: {error}") from error


def cached_chunks(doc: Document, cache_dir: Path) -> list[Chunk]:
    """`chunk_document`, remembered on disk per document: sentence splitting costs seconds at
    every start, and an edited document is the only one split again."""
    path = chunk_cache_path(doc, cache_dir)
    try:
        return read_chunk_cache(path)
    except (OSError, ValueError) as error:
        if path.exists():
            log.warning("Ignoring unreadable chunk cache %s: %s", path, error)
    chunks = chunk_document(doc)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps([asdict(c) for c in chunks], ensure_ascii=False), encoding="utf-8")
        temporary.replace(path)
    except OSError as error:
        log.warning("Cannot write the chunk cache %s: %s", path, error)
    return chunks


def _source_map(row: dict) -> SourceMap:
    return SourceMap(tuple(row["starts"]), tuple(row["sources"]), row["length"])


def stream_chunks(docs: Iterable[Document], cache_dir: Path) -> Iterator[Chunk]:
    """The chunks of each document in turn; with a lazy `docs`, one document is in memory at a time."""
    for doc in docs:
        yield from cached_chunks(doc, cache_dir)
