"""Hybrid retrieval: dense (e5 in Chroma) fused with Dutch keywords, near-duplicates grouped.

1. The question (with the earlier user turns, for follow-ups) is embedded and searched in
   Chroma, and scored with the Dutch BM25 index.
2. The two rankings are fused with reciprocal-rank fusion.
3. Passages that repeat the same statement (the web page, the proposition and the pamphlet
   share sentences) are grouped: the best-ranked copy is shown, all copies are cited.
4. `found` needs a confidence above a calibrated threshold: the best passage's cosine
   similarity, plus a bonus when the keyword ranking also found clear evidence (e5's
   similarities are compressed: off-topic questions still reach 0.75-0.83), and, for questions that ask for an amount, date, place or person,
   such a fact in a sentence about the question's subject (see answer_types.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .answer_types import expected_answer_types, holds_answer_type
from .chunking import Chunk
from .keywords import DutchKeywordIndex, fold, word_stems
from .store import PassageStore

RRF_K = 60  # the usual reciprocal-rank-fusion constant
CANDIDATES = 40  # how deep each ranking is read before fusion
DENSE_WEIGHT = 1.0
KEYWORD_WEIGHT = 1.0
DUPLICATE_CONTAINMENT = 0.5  # share of the shorter passage's word 5-grams found in the other
SHINGLE = 5
KEYWORD_EVIDENCE = 2.0  # a BM25 score that only real keyword matches reach
KEYWORD_BONUS = 0.03
EVIDENCE_PASSAGES = 3  # how many of the best passages may hold the asked-for fact


@dataclass(frozen=True)
class Turn:
    role: str  # "user" | "assistant"
    content: str


@dataclass
class Passage:
    """A retrieved passage; `copies` are other documents stating the same thing."""

    chunk: Chunk
    score: float
    copies: list[Chunk] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return [self.chunk.source] + [c.source for c in self.copies if c.source != self.chunk.source]


@dataclass
class SearchResult:
    query: str
    found: bool
    confidence: float
    passages: list[Passage]
    query_vector: list[float] = field(repr=False, default_factory=list)


def retrieval_query(question: str, history: list[Turn] | None = None) -> str:
    """Without an LLM, a follow-up carries its topic through the previous user question."""
    earlier = [t.content for t in (history or []) if t.role == "user" and t.content.strip()]
    return " ".join(earlier[-1:] + [question]).strip()


def _shingles(text: str) -> set[tuple[str, ...]]:
    tokens = re.findall(r"\w+", fold(text))
    return {tuple(tokens[i:i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1))}


class Corpus:
    """The chunks in memory with their keyword index and near-duplicate fingerprints."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        self.by_id = {c.id: c for c in chunks}
        self.position = {c.id: i for i, c in enumerate(chunks)}
        self.keywords = DutchKeywordIndex([c.embedding_text for c in chunks])
        self.shingles = [_shingles(c.text) for c in chunks]

    def same_statement(self, a: Chunk, b: Chunk) -> bool:
        if a.source == b.source:
            return False
        sa, sb = self.shingles[self.position[a.id]], self.shingles[self.position[b.id]]
        smaller = min(len(sa), len(sb))
        return smaller > 0 and len(sa & sb) / smaller >= DUPLICATE_CONTAINMENT


def reciprocal_rank_fusion(rankings: list[tuple[list[str], float]]) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, chunk_id in enumerate(ids):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
    return fused


class HybridRetriever(BaseRetriever):
    """Dense + Dutch keyword retrieval over the store, as a LangChain retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: PassageStore
    corpus: Corpus
    k: int = 5
    found_threshold: float = 0.84

    def search(self, question: str, history: list[Turn] | None = None, k: int | None = None) -> SearchResult:
        k = k or self.k
        query = retrieval_query(question, history)
        vector = self.store.embeddings.embed_query(query)
        dense_hits = self.store.dense_search(vector, CANDIDATES)
        dense = {cid: sim for cid, sim in dense_hits if cid in self.corpus.by_id}
        keyword_scores = self.corpus.keywords.scores(query)
        keyword_order = [self.corpus.chunks[i].id for i in np.argsort(-keyword_scores)[:CANDIDATES]
                         if keyword_scores[i] > 0]
        fused = reciprocal_rank_fusion([(list(dense), DENSE_WEIGHT), (keyword_order, KEYWORD_WEIGHT)])
        ranked = sorted(fused, key=lambda cid: -fused[cid])

        passages: list[Passage] = []
        for cid in ranked:
            chunk = self.corpus.by_id[cid]
            group = next((p for p in passages if self.corpus.same_statement(p.chunk, chunk)), None)
            if group is not None:
                group.copies.append(chunk)
                continue
            if len(passages) < k:
                passages.append(Passage(chunk, fused[cid]))
        confidence = max(dense.values(), default=0.0)
        if keyword_scores.max(initial=0.0) >= KEYWORD_EVIDENCE:
            confidence += KEYWORD_BONUS
        found = confidence >= self.found_threshold and self.answer_type_present(question, passages)
        return SearchResult(query, found, confidence, passages, vector)

    def answer_type_present(self, question: str, passages: list[Passage]) -> bool:
        """A question asking for an amount, date, place or person needs one in a sentence
        about its subject among the best passages (see answer_types.py)."""
        wanted = expected_answer_types(question)
        if not wanted:
            return True
        focus = self.corpus.keywords.focus_tokens(question)
        for passage in passages[:EVIDENCE_PASSAGES]:
            for chunk in [passage.chunk, *passage.copies]:
                for sentence in chunk.sentence_texts():
                    about_subject = not focus or focus & word_stems(sentence)
                    if about_subject and all(holds_answer_type(t, sentence) for t in wanted):
                        return True
        return False

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[LCDocument]:
        result = self.search(query, k=k)
        return [
            LCDocument(
                id=p.chunk.id,
                page_content=p.chunk.text,
                metadata={"source": p.chunk.source, "title": p.chunk.title, "section": p.chunk.section_path,
                          "score": p.score, "found": result.found, "sources": p.sources},
            )
            for p in result.passages
        ]
