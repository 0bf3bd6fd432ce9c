"""Hybrid retrieval: dense (e5 in Chroma) fused with Dutch keywords, near-duplicates grouped.

1. The question (with the earlier user turns, for follow-ups) is looked up in the domain
   vocabulary (vocabulary.py): a resident's "huur niet betalen" adds "bestaanszekerheid",
   "schulden", ... to the keyword search (at half weight) and to the text that is embedded.
2. The question is embedded and searched in Chroma, and scored with the Dutch BM25 index; the
   two score lists are min-max normalised and added (convex fusion), so a passage that one of
   them finds far ahead of the rest keeps its lead (benchmarks/retrieval.py compares this with
   reciprocal-rank fusion and the other alternatives).
3. Passages that repeat the same statement (the web page, the proposition and the pamphlet
   share sentences) are grouped: the best-ranked copy is shown, all copies are cited.
4. `found` needs a confidence above a calibrated threshold: the best passage's cosine
   similarity (to the question as asked, unless it holds two or more of the vocabulary's
   everyday cues: then with their terms), plus a bonus when the keyword ranking also found clear evidence (e5's
   similarities are compressed: off-topic questions still reach 0.75-0.83), and, for questions that ask for an amount, date, place or person,
   such a fact in a sentence about the question's subject (see answer_types.py). A question
   about a name the documents never mention ("informateur Plasterk") is not found either,
   unless the name is part of someone's own story ("we zijn gevlucht uit Eritrea").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from .answer_types import expected_answer_types
from .chunking import Chunk
from .keywords import WORD, DutchKeywordIndex, fold, stem, word_stems, words
from .store import PassageStore
from .vocabulary import DomainVocabulary, terms

RRF_K = 60  # the usual reciprocal-rank-fusion constant
CANDIDATES = 40  # how deep each ranking is read before fusion
DUPLICATE_CONTAINMENT = 0.5  # share of the shorter passage's word 5-grams found in the other
SHINGLE = 5
KEYWORD_EVIDENCE = 2.0  # a BM25 score that only real keyword matches reach
KEYWORD_BONUS = 0.03
EVIDENCE_PASSAGES = 3  # how many of the best passages may hold the asked-for fact
DOMAIN_CUES = 2  # vocabulary entries a question needs before its expanded form sets the confidence
SENTENCE_END = re.compile(r"[.!?:;]\s+")
FIRST_PERSON = frozenset("ik mijn me mij we wij ons onze".split())


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

    def unknown_names(self, question: str) -> list[str]:
        """Capitalised words inside a sentence of `question` that no document contains."""
        names = []
        for sentence in SENTENCE_END.split(question.strip()):
            for word in WORD.findall(sentence)[1:]:
                parts = words(word)  # the word and, when hyphenated, its parts; stopwords left out
                if word[0].isupper() and parts and not any(stem(p) in self.keywords.vocabulary for p in parts):
                    names.append(word)
        return names

    def same_statement(self, a: Chunk, b: Chunk) -> bool:
        if a.source == b.source:
            return False
        sa, sb = self.shingles[self.position[a.id]], self.shingles[self.position[b.id]]
        smaller = min(len(sa), len(sb))
        return smaller > 0 and len(sa & sb) / smaller >= DUPLICATE_CONTAINMENT


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
    vocabulary: DomainVocabulary | None = None
    k: int = 5
    found_threshold: float = 0.84
    dense_weight: float = 1.0
    keyword_weight: float = 1.0
    expansion_weight: float = 0.5  # the vocabulary's terms count half as much as the question's words
    expand_dense: bool = True  # the vocabulary's terms are embedded with the question too
    fusion: str = "convex"  # "convex" | "rrf": see benchmarks/retrieval.py
    sentence_weight: float = 0.0  # a third ranking by each chunk's best sentence vector ("small to big")

    def search(self, question: str, history: list[Turn] | None = None, k: int | None = None) -> SearchResult:
        k = k or self.k
        query = retrieval_query(question, history)
        entries = self.vocabulary.matches(query) if self.vocabulary else []
        expansion = terms(entries)
        dense_query = f"{query} ({expansion})" if expansion and self.expand_dense else query
        vector = self.store.embeddings.embed_query(dense_query)
        dense_hits = self.store.dense_search(vector, CANDIDATES)
        dense = {cid: sim for cid, sim in dense_hits if cid in self.corpus.by_id}
        question_scores = self.corpus.keywords.scores(query)
        keyword_scores = question_scores
        if expansion and self.expansion_weight:
            keyword_scores = question_scores + self.expansion_weight * self.corpus.keywords.scores(expansion)
        keyword = {self.corpus.chunks[i].id: float(keyword_scores[i])
                   for i in np.argsort(-keyword_scores)[:CANDIDATES] if keyword_scores[i] > 0}
        rankings = [(dense, self.dense_weight), (keyword, self.keyword_weight)]
        if self.sentence_weight:
            by_sentence: dict[str, float] = {}
            for cid, similarity in self.store.sentence_search(vector, CANDIDATES):
                if cid in self.corpus.by_id:
                    by_sentence.setdefault(cid, similarity)
            rankings.append((by_sentence, self.sentence_weight))
        fused = FUSIONS[self.fusion](rankings)
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
        nearest = dense
        if dense_query != query and len(entries) < DOMAIN_CUES:
            # one everyday word ("eten") does not make a question ours: confidence as asked
            nearest = dict(self.store.dense_search(self.store.embeddings.embed_query(query), 1))
        confidence = max(nearest.values(), default=0.0)
        if question_scores.max(initial=0.0) >= KEYWORD_EVIDENCE:
            confidence += KEYWORD_BONUS
        found = (confidence >= self.found_threshold and self.answer_type_present(question, passages)
                 and not self.asks_about_unknown_name(question))
        return SearchResult(query, found, confidence, passages, vector)

    def asks_about_unknown_name(self, question: str) -> bool:
        """A name no document mentions is what the question is about, unless the asker tells
        their own story (a resident's country of origin is context, not the subject)."""
        personal = any(w in FIRST_PERSON for w in WORD.findall(fold(question)))
        return not personal and bool(self.corpus.unknown_names(question))

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
                    if about_subject and all(e.held_by(sentence) for e in wanted):
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
