"""Hybrid retrieval: dense (e5 in Chroma) fused with Dutch keywords, near-duplicates grouped.

1. The question (read once, question.py) brings its retrieval text (with the topic of a
   follow-up) and the domain vocabulary's expansion: a resident's "huur niet betalen" adds
   "bestaanszekerheid", "schulden", ... to the keyword search (at half weight) and to the text
   that is embedded.
2. The text is embedded and searched in Chroma, and scored with the Dutch BM25 index; the two
   score lists are min-max normalised and added (convex fusion), so a passage that one of them
   finds far ahead of the rest keeps its lead (benchmarks/retrieval.py compares this with
   reciprocal-rank fusion and the other alternatives).
3. Passages that repeat the same statement (the web page, the proposition and the pamphlet
   share sentences) are grouped: the best-ranked copy is shown, all copies are cited.
4. The signals relevance.py judges by are measured here: the best cosine similarity to the
   question as asked (to the expanded question only when it holds two or more of the
   vocabulary's everyday cues), and the best keyword score of the question's own words.
"""

from __future__ import annotations

import logging
import re
import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ..index.embeddings import embed_queries
from ..index.generations import fingerprint
from ..index.served import ServedChunks
from ..index.store import PassageStore
from ..types import Chunk, Passage, Question, Role, SearchResult, Signals
from .compose import section_kind
from .keywords import TOKENIZATION, DutchKeywordIndex, fold
from .question import QuestionReader, titled

log = logging.getLogger(__name__)

RRF_K = 60  # the usual reciprocal-rank-fusion constant
CANDIDATES = 40  # how deep each ranking is read before fusion
DUPLICATE_CONTAINMENT = 0.5  # share of the shorter passage's word 5-grams found in the other
SHINGLE = 5
DOMAIN_CUES = 2  # vocabulary entries a question needs before its expanded form sets the confidence
TRACE_HITS = 5  # how many of each ranking's best hits the trace shows
# A document whose title the question quotes ("in het pamflet 'Investeer in de samenleving'") is
# preferred: its passages gain this much of the fused score (dense + keywords reach at most 2.0)
TITLE_PREFERENCE = 0.25
# A follow-up that pivots to another kind of section ("en wat vragen ze van het rijk?") on the
# conversation's topic: the passages of that kind gain this much
KIND_PREFERENCE = 1.0
PREVIOUS_ANSWER_PASSAGES = 3  # the passages that best hold the previous answer's words: its themes


SHINGLES_CACHED = 4096  # passages whose word 5-grams are kept (a search compares its ~80 candidates)


@lru_cache(maxsize=SHINGLES_CACHED)
def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    """The passage's word 5-grams: made when a search compares it, not kept for the whole corpus
    (they took more memory than the chunks themselves)."""
    tokens = re.findall(r"\w+", fold(text))
    return frozenset(tuple(tokens[i:i + SHINGLE]) for i in range(max(1, len(tokens) - SHINGLE + 1)))


KEYWORD_INDEXES_KEPT = 4  # saved keyword indexes of other document sets (other generations, tests)


class Corpus:
    """The served chunks (served.py: read from the cache when needed) with their keyword index.
    With a `keyword_cache` folder the index is saved there once per set of chunks and served
    memory-mapped (DutchKeywordIndex.load)."""

    def __init__(self, chunks: ServedChunks | list[Chunk], keyword_cache: Path | None = None):
        self.chunks = chunks if isinstance(chunks, ServedChunks) else ServedChunks.holding(chunks)
        self.keywords = keyword_index(self.chunks, keyword_cache)

    def following(self, chunk: Chunk, limit: int) -> list[Chunk]:
        """Up to `limit` chunks after `chunk` in its document (a list's items continue there)."""
        return self.chunks.following(chunk, limit)

    def preceding(self, chunk: Chunk, limit: int) -> list[Chunk]:
        """Up to `limit` chunks before `chunk` in its document, the nearest first."""
        return self.chunks.preceding(chunk, limit)

    def same_statement(self, a: Chunk, b: Chunk) -> bool:
        if a.source == b.source:
            return False
        sa, sb = _shingles(a.text), _shingles(b.text)
        smaller = min(len(sa), len(sb))
        return smaller > 0 and len(sa & sb) / smaller >= DUPLICATE_CONTAINMENT


def keyword_index(chunks: ServedChunks, cache: Path | None) -> DutchKeywordIndex:
    """The chunks' keyword index: loaded from `cache` when saved there for exactly these chunks,
    else built (and saved, then served from the saved files)."""
    if cache is None:
        return DutchKeywordIndex([c.embedding_text for c in chunks])
    folder = cache / f"{fingerprint(chunks.ids)}-t{TOKENIZATION}"
    if folder.is_dir():
        try:
            return DutchKeywordIndex.load(folder)
        except (OSError, ValueError, KeyError) as damaged:
            log.warning("The saved keyword index %s cannot be read (%s): building it again", folder, damaged)
            shutil.rmtree(folder, ignore_errors=True)
    DutchKeywordIndex([c.embedding_text for c in chunks]).save(folder)
    saved = sorted((p for p in cache.iterdir() if p.is_dir() and not p.name.startswith(".")),
                   key=lambda p: p.stat().st_mtime)
    for old in saved[:-KEYWORD_INDEXES_KEPT]:
        shutil.rmtree(old, ignore_errors=True)
    return DutchKeywordIndex.load(folder)


Ranking = tuple[dict[str, float], float]  # (chunk id -> score, best first; the ranking's weight)


def reciprocal_rank_fusion(rankings: list[Ranking]) -> dict[str, float]:
    """Only the ranks count: robust to scores on different scales."""
    fused: dict[str, float] = {}
    for scores, weight in rankings:
        for rank, chunk_id in enumerate(scores):
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight / (RRF_K + rank + 1)
    return fused


def convex_fusion(rankings: list[Ranking]) -> dict[str, float]:
    """A weighted sum of min-max normalised scores: a passage that one ranking finds far ahead of
    all others (a rare word quoted from the text) keeps that lead, which ranks alone would lose.
    A passage missing from a ranking gets that ranking's minimum."""
    fused: dict[str, float] = {}
    for scores, weight in rankings:
        if not scores:
            continue
        low, high = min(scores.values()), max(scores.values())
        span = (high - low) or 1.0
        for chunk_id, score in scores.items():
            fused[chunk_id] = fused.get(chunk_id, 0.0) + weight * (score - low) / span
    return fused


FUSIONS = {"rrf": reciprocal_rank_fusion, "convex": convex_fusion}


class HybridRetriever(BaseRetriever):
    """Dense + Dutch keyword retrieval over the store, as a LangChain retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: PassageStore
    corpus: Corpus
    reader: QuestionReader  # reads LangChain's plain query the way the answer path reads a question
    k: int = 5
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    expansion_weight: float = 0.5  # the vocabulary's terms count half as much as the question's words
    expand_dense: bool = True  # the vocabulary's terms are embedded with the question too
    fusion: str = "convex"  # "convex" | "rrf": see benchmarks/retrieval.py
    sentence_weight: float = 0.0  # a third ranking by each chunk's best sentence vector ("small to big")
    # documents this retriever never finds (those a reader may not read: Pipeline.for_reader); the
    # store's query and the keyword scores leave them out, so they cannot fill a place in the k best
    hidden: frozenset[str] = frozenset()

    def search(self, question: Question, k: int | None = None) -> SearchResult:
        """The k best passages for the question, with the signals relevance.py judges by."""
        k = k or self.k
        query = question.searched
        expansion = question.expansion if self.expansion_weight or self.expand_dense else ""
        dense_query = f"{query} ({expansion})" if expansion and self.expand_dense else query
        # the question as asked is embedded too when the vocabulary changed it (confidence, below)
        as_asked = dense_query != query and len(question.cues) < DOMAIN_CUES
        vector, *asked = embed_queries(self.store.embeddings, [dense_query] + ([query] if as_asked else []))
        dense = {cid: sim for cid, sim in self.store.dense_search(vector, CANDIDATES, self.hidden)
                 if cid in self.corpus.chunks}
        readable = self.corpus.chunks.readable(self.hidden) if self.hidden else None
        question_scores = self.keyword_scores(query, readable)
        keyword_scores = question_scores
        if expansion and self.expansion_weight:
            keyword_scores = question_scores + self.expansion_weight * self.keyword_scores(expansion, readable)
        keyword = {self.corpus.chunks.ids[i]: float(keyword_scores[i])
                   for i in np.argsort(-keyword_scores)[:CANDIDATES] if keyword_scores[i] > 0}
        rankings = [(dense, self.dense_weight), (keyword, self.keyword_weight)]
        if self.sentence_weight:
            by_sentence: dict[str, float] = {}
            for cid, similarity in self.store.sentence_search(vector, CANDIDATES, self.hidden):
                if cid in self.corpus.chunks:
                    by_sentence.setdefault(cid, similarity)
            rankings.append((by_sentence, self.sentence_weight))
        fused = FUSIONS[self.fusion](rankings)
        if question.pivots:
            themes = self.previous_themes(question, readable)
            for cid in fused:
                chunk = self.corpus.chunks.get(cid)
                if section_kind(chunk) in question.wants and _theme(chunk) in themes:
                    fused[cid] += KIND_PREFERENCE
        if question.title:
            titles = {cid: self.corpus.chunks.get(cid).title for cid in fused}
            preferred = {title for title in set(titles.values()) if titled(question.title, title)}
            for cid, title in titles.items():
                if title in preferred:
                    fused[cid] += TITLE_PREFERENCE

        passages: list[Passage] = []
        for cid in sorted(fused, key=lambda cid: -fused[cid]):
            chunk = self.corpus.chunks.get(cid)
            group = next((p for p in passages if self.corpus.same_statement(p.chunk, chunk)), None)
            if group is not None:
                group.copies.append(chunk)
            elif len(passages) < k:
                passages.append(Passage(chunk, fused[cid]))
        nearest = dense
        if asked:  # one everyday word ("eten") does not make a question ours: confidence as asked
            nearest = dict(self.store.dense_search(asked[0], 1, self.hidden))
        signals = Signals(similarity=max(nearest.values(), default=0.0),
                          keyword_best=float(question_scores.max(initial=0.0)),
                          dense_top=_top(dense), keyword_top=_top(keyword), fused_top=_top(fused))
        return SearchResult(question, passages, signals, vector)

    def previous_themes(self, question: Question, readable: np.ndarray | None) -> set[tuple[str, str]]:
        """The themes (a document's outermost heading) of the passages the previous answer stands
        in, found by its words: a pivot's passages are that theme's section of the kind it asks."""
        previous = next((t.content for t in reversed(question.history) if t.role == Role.ASSISTANT), "")
        if not previous.strip():
            return set()
        scores = self.keyword_scores(previous, readable)
        best = [i for i in np.argsort(-scores)[:PREVIOUS_ANSWER_PASSAGES] if scores[i] > 0]
        return {_theme(self.corpus.chunks.get(self.corpus.chunks.ids[i])) for i in best}

    def keyword_scores(self, text: str, readable: np.ndarray | None) -> np.ndarray:
        """The keyword index's score of each served chunk; 0 where `readable` (the mask of the
        hidden documents' chunks, ServedChunks.readable) says no."""
        scores = self.corpus.keywords.scores(text)
        return scores if readable is None else np.where(readable, scores, 0.0)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[LCDocument]:
        result = self.search(self.reader.read(query), k=k)
        return [
            LCDocument(
                id=p.chunk.id,
                page_content=p.chunk.text,
                metadata={"source": p.chunk.source, "title": p.chunk.title, "section": p.chunk.section_path,
                          "score": p.score, "sources": p.sources},
            )
            for p in result.passages
        ]


def _theme(chunk: Chunk) -> tuple[str, str]:
    return chunk.source, chunk.section[0] if chunk.section else ""


def _top(scores: dict[str, float]) -> list[tuple[str, float]]:
    """The best few hits of a ranking, for the trace."""
    return [(cid, round(scores[cid], 4)) for cid in sorted(scores, key=lambda cid: -scores[cid])[:TRACE_HITS]]
