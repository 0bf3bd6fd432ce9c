"""Citations: quotes that stand verbatim in their source, and ready-to-copy references."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from rapidfuzz import fuzz

from ..types import SECTION_SEPARATOR, Block, Chunk, Citation, Document, NumberedPassage, Passage, sentence_id
from .keywords import fold, quoted_phrase

COPIES_CITED = 4  # other documents that repeat a quote, cited beside the passage's own


def normalize_for_match(text: str) -> str:
    """Fold what cleaning may change (markdown marks, quote styles, dashes, whitespace)."""
    text = re.sub(r"<sup>\s*\d+\s*</sup>", "", text)
    text = text.replace("*", "")
    text = re.sub(r"[‘’`´]", "'", text)
    text = re.sub(r"[“”„]", '"', text)
    text = re.sub(r"[–—]", "-", text)
    return re.sub(r"\s+", " ", text).strip().lower()


@lru_cache(maxsize=256)
def _normalized_source(source: str) -> str:
    """Normalising a whole document costs milliseconds; every citation check needs it."""
    return normalize_for_match(source)


def is_verbatim(quote: str, document: Document) -> bool:
    return bool(quote.strip()) and normalize_for_match(quote) in _normalized_source(document.source)


def verbatim_pieces(chunk: Chunk, start: int, end: int, document: Document) -> list[str]:
    """chunk.text[start:end] as quotes that stand verbatim in the source, in reading order.

    Cleaning joins a paragraph that a page break cut in two, also across the chapter title the
    page repeats ("... bieden we" / "# Bestaanszekerheid ..." / "samenhangende ondersteuning
    ..."): such a sentence is quoted as its parts on either side of the join, each verbatim;
    together they read as the whole sentence.
    """
    text = chunk.text[start:end].strip()
    if is_verbatim(text, document):
        return [text]
    pieces, piece_start = [], start
    for i in chunk.offsets.jumps(start, end, more_than=2):  # a jump over removed source text
        pieces.append((piece_start, i))
        piece_start = i
    pieces.append((piece_start, end))
    quotes = [chunk.text[a:b].strip() for a, b in pieces]
    return [quote for quote in quotes if quote and is_verbatim(quote, document)]


def verbatim_quote(chunk: Chunk, start: int, end: int, document: Document) -> str:
    """The longest part of chunk.text[start:end] that stands verbatim in the source (one quote)."""
    return max(verbatim_pieces(chunk, start, end, document), key=len, default="")


def cite(passage: NumberedPassage, quotes: list[str], documents: Mapping[str, Document]) -> list[Citation]:
    """Each quote (the verbatim parts of one sentence, `verbatim_pieces`) from the passage itself
    and from the other documents that repeat it (up to COPIES_CITED of them: a sentence a large
    corpus repeats a hundred times is cited a few times)."""
    out: list[Citation] = []
    for quote in quotes:
        cited: list[Citation] = []
        for chunk in [passage.chunk, *passage.passage.copies]:
            if len(cited) > COPIES_CITED:
                break
            if all(c.source != chunk.source for c in cited) and is_verbatim(quote, documents[chunk.source]):
                cited.append(Citation(passage.number, chunk.source, chunk.title, chunk.section, quote))
        out += cited
    return out


def numbered(passages: list[Passage], documents: Mapping[str, Document]) -> list[NumberedPassage]:
    """The passages as the answer shows them: [1], [2], ... each with its ready reference."""
    return [NumberedPassage(i + 1, p, [], reference(documents[p.chunk.source], p.chunk.section))
            for i, p in enumerate(passages)]


def reference(document: Document, section: tuple[str, ...]) -> str:
    """A citation to paste into a memo: author, title, "chapter" > "section"."""
    parts = [p for p in (document.citation_author, document.title) if p]
    if section and fold(section[0]) == fold(document.title):
        section = section[1:]  # a page whose first heading is its title
    path = SECTION_SEPARATOR.join(f'"{s}"' for s in section)
    return ", ".join(parts + ([path] if path else []))


def passage_in_document(document: Document, chunk: Chunk) -> list[tuple[Block, list[tuple[int, int]]]]:
    """The whole cleaned document, block by block, each with the span of its text that belongs to
    `chunk` ("Bekijk in document"): found by source position, so a passage that repeats elsewhere
    in the document is marked where it was retrieved."""
    if chunk.source != document.name or not len(chunk.offsets):
        return [(block, []) for block in document.blocks]
    first, last = chunk.offsets[0], chunk.offsets[len(chunk.offsets) - 1]
    shown = []
    for block in document.blocks:
        inside = [i for i, at in enumerate(block.offsets) if first <= at <= last] if len(block.offsets) else []
        shown.append((block, [(inside[0], inside[-1] + 1)] if inside else []))
    return shown


# ------------------------------------------------------------------ citation lookup
EXACT_MATCH = 0.9  # fuzzy similarity from which a phrase counts as found as it stands
LOOKUP_RESULTS = 3
LOOKUP_CANDIDATES = 10  # passages from the hybrid search, and sentences by vector


@dataclass
class QuoteMatch:
    """Where a half-remembered phrase stands: the passage, the matching sentence, the citation."""

    chunk: Chunk
    span: tuple[int, int]  # the matching sentence in chunk.text
    quote: str  # that sentence, verbatim in the source
    reference: str
    similarity: float  # 0-1, fuzzy match of the phrase against the sentence
    also_in: list[str]  # other documents that state the same passage

    @property
    def exact(self) -> bool:
        return self.similarity >= EXACT_MATCH


def remembered_phrase(text: str) -> str:
    """The part between quotes when the user quoted it ("waar staat 'pleisters plakken'?")."""
    return quoted_phrase(text) or text


class QuoteFinder:
    """Finds where a half-remembered phrase stands.

    Candidate sentences come from the hybrid search (passages) and the sentence vectors; each
    is scored by how many of the phrase's words it holds (weighted by rarity, stemmed, compound
    parts included) plus its cosine similarity, so both a phrase with a word changed and a
    paraphrase find their sentence. A fuzzy character match decides whether it stands as typed.
    """

    def __init__(self, retriever, documents: Mapping[str, Document]):
        self.retriever = retriever
        self.documents = documents

    def find(self, text: str, limit: int = LOOKUP_RESULTS) -> list[QuoteMatch]:
        phrase = remembered_phrase(text)
        result = self.retriever.search(self.retriever.reader.read(phrase), k=LOOKUP_CANDIDATES)
        served = self.retriever.corpus.chunks
        copies = {p.chunk.id: [s for s in p.sources if s != p.chunk.source] for p in result.passages}
        candidates = {p.chunk.id for p in result.passages}
        candidates |= {cid for cid, _ in self.retriever.store.sentence_search(result.query_vector, LOOKUP_CANDIDATES,
                                                                              self.retriever.hidden)
                       if cid in served}
        vectors = self.retriever.store.sentence_vectors(sorted(candidates))
        query = np.asarray(result.query_vector)
        keywords = self.retriever.corpus.keywords

        scored = []
        for chunk_id in candidates:
            chunk = served.get(chunk_id)
            for i, (start, end) in enumerate(chunk.sentences):
                vector = vectors.get(sentence_id(chunk_id, i))
                sentence = chunk.text[start:end]
                cosine = float(np.dot(query, vector)) if vector is not None else 0.0
                scored.append((keywords.weighted_recall(phrase, sentence) + cosine, chunk, (start, end)))
        scored.sort(key=lambda s: -s[0])

        matches, seen_chunks, seen_quotes = [], set(), set()
        for _, chunk, (start, end) in scored:
            document = self.documents[chunk.source]
            quote = verbatim_quote(chunk, start, end, document)
            if not quote or chunk.id in seen_chunks or normalize_for_match(quote) in seen_quotes:
                continue  # one match per passage; the same sentence in another copy is no news
            seen_chunks.add(chunk.id)
            seen_quotes.add(normalize_for_match(quote))
            similarity = fuzz.partial_ratio(normalize_for_match(fold(phrase)), normalize_for_match(fold(quote))) / 100
            matches.append(QuoteMatch(chunk, (start, end), quote, reference(document, chunk.section),
                                      similarity, copies.get(chunk.id, [])))
            if len(matches) == limit:
                break
        return matches


