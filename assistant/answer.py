"""Answering without an LLM: a short extractive answer with citations.

The answer is made of the 1-3 sentences from the best passages that are closest in meaning to
the question (sentence vectors from the store), each with its [n] marker pointing at a numbered
passage. Every quote is checked to stand verbatim in its source. When nothing relevant was
found the answer is the fixed refusal with the closest topics the documents do cover.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .chunking import Chunk
from .citations import Citation, is_verbatim, reference, verbatim_quote
from .documents import Document
from .prompts import CLOSEST_TOPICS, REFUSAL
from .retrieval import HybridRetriever, Passage, SearchResult, Turn
from .store import sentence_id

ANSWER_PASSAGES = 3  # sentences are picked from this many best passages
MAX_SENTENCES = 3
NEAR_BEST = 0.03  # a further sentence must be this close to the best one's similarity
RANK_PENALTY = 0.01  # per passage rank, so the best passage wins ties


@dataclass
class NumberedPassage:
    number: int
    passage: Passage
    highlights: list[tuple[int, int]]  # sentence spans in passage.chunk.text that answer
    reference: str

    @property
    def chunk(self) -> Chunk:
        return self.passage.chunk


@dataclass
class Answer:
    question: str
    found: bool
    mode: str  # "passages" | "llm"
    text: str
    citations: list[Citation]
    passages: list[NumberedPassage] = field(default_factory=list)


class PassageAnswerer:
    def __init__(self, retriever: HybridRetriever, documents: dict[str, Document]):
        self.retriever = retriever
        self.documents = documents

    def ask(self, question: str, history: list[Turn] | None = None) -> Answer:
        result = self.retriever.search(question, history)
        if not result.found:
            return self.refusal(question, result)
        return self.extract(question, result)

    def refusal(self, question: str, result: SearchResult) -> Answer:
        topics = list(dict.fromkeys(p.chunk.section_path or p.chunk.title for p in result.passages[:3]))
        text = REFUSAL + ("\n\n" + CLOSEST_TOPICS + "\n" + "\n".join(f"- {t}" for t in topics) if topics else "")
        return Answer(question, False, "passages", text, [], self.number(result.passages, {}))

    def extract(self, question: str, result: SearchResult) -> Answer:
        best = result.passages[:ANSWER_PASSAGES]
        vectors = self.retriever.store.sentence_vectors([p.chunk.id for p in best])
        query = np.asarray(result.query_vector)
        scored = []
        for rank, passage in enumerate(best):
            for i, span in enumerate(passage.chunk.sentences):
                vector = vectors.get(sentence_id(passage.chunk.id, i))
                if vector is not None:
                    scored.append((float(np.dot(query, vector)) - RANK_PENALTY * rank, rank, span))
        scored.sort(key=lambda s: -s[0])
        chosen = [s for s in scored[:MAX_SENTENCES] if s[0] >= scored[0][0] - NEAR_BEST] if scored else []
        chosen.sort(key=lambda s: (s[1], s[2][0]))  # reading order within each passage

        highlights: dict[int, list[tuple[int, int]]] = {}
        for _, rank, span in chosen:
            highlights.setdefault(rank, []).append(span)
        numbered = self.number(result.passages, highlights)
        lines, citations = [], []
        for _, rank, (start, end) in chosen:
            passage = numbered[rank]
            quote = verbatim_quote(passage.chunk, start, end, self.documents[passage.chunk.source])
            if not quote:
                continue
            lines.append(f"{quote} [{passage.number}]")
            citations.extend(self.cite(passage, quote))
        return Answer(question, True, "passages", "\n".join(lines), citations, numbered)

    def cite(self, passage: NumberedPassage, quote: str) -> list[Citation]:
        """The quote from the passage itself and from every other document that repeats it."""
        out = []
        for chunk in [passage.chunk, *passage.passage.copies]:
            document = self.documents[chunk.source]
            if is_verbatim(quote, document) and all(c.source != chunk.source for c in out):
                out.append(Citation(passage.number, chunk.source, chunk.title, chunk.section, quote))
        return out

    def number(self, passages: list[Passage], highlights: dict[int, list[tuple[int, int]]]) -> list[NumberedPassage]:
        return [
            NumberedPassage(i + 1, p, highlights.get(i, []), reference(self.documents[p.chunk.source], p.chunk.section))
            for i, p in enumerate(passages)
        ]
