"""Citations: quotes that stand verbatim in their source, and ready-to-copy references."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .chunking import SECTION_SEPARATOR, Chunk
from .documents import Document


@dataclass(frozen=True)
class Citation:
    number: int  # the [n] marker in the answer
    source: str  # the document's file name
    title: str
    section: tuple[str, ...]
    quote: str


def normalize_for_match(text: str) -> str:
    """Fold what cleaning may change (markdown marks, quote styles, dashes, whitespace)."""
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text)
    text = text.replace("*", "")
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”„]", '"', text)
    text = re.sub(r"[–—]", "-", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def is_verbatim(quote: str, document: Document) -> bool:
    return bool(quote.strip()) and normalize_for_match(quote) in normalize_for_match(document.source)


def verbatim_quote(chunk: Chunk, start: int, end: int, document: Document) -> str:
    """The text of chunk.text[start:end] as a quote that stands verbatim in the source.

    Cleaning can join a paragraph that a page header interrupted; a sentence spanning that
    join is cut back to its longest part that stands verbatim in the source.
    """
    text = chunk.text[start:end].strip()
    if is_verbatim(text, document):
        return text
    pieces, piece_start = [], start
    for i in range(start + 1, end):
        if chunk.offsets[i] - chunk.offsets[i - 1] > 2:  # a jump over removed source text
            pieces.append((piece_start, i))
            piece_start = i
    pieces.append((piece_start, end))
    candidates = sorted((chunk.text[a:b].strip() for a, b in pieces), key=len, reverse=True)
    return next((c for c in candidates if is_verbatim(c, document)), "")


def reference(document: Document, section: tuple[str, ...]) -> str:
    """A citation to paste into a memo: author, title, "chapter" > "section"."""
    parts = [p for p in (document.citation_author, document.title) if p]
    path = SECTION_SEPARATOR.join(f'"{s}"' for s in section)
    return ", ".join(parts + ([path] if path else []))
