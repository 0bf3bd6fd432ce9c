"""Answering: retrieval, then an LLM answer whose citations are checked, or the passages.

`Answerer` runs one question: condense a follow-up (LLM) or carry its topic (rule), retrieve,
refuse when nothing relevant was found, else let the LLM write a cited Dutch answer and keep
only the sentences whose [n] markers point at a retrieved passage that holds their words. When
no LLM is configured, or it fails, times out or leaves no valid citation, the passages answer
stands (with a Dutch notice saying why):

- the passages answer is the 1-3 sentences from the best passages closest in meaning to the
  question (sentence vectors from the store), each with its [n] marker;
- every quote shown is checked to stand verbatim in its source document;
- the refusal is the fixed sentence with the closest topics the documents do cover.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .chunking import Chunk, sentence_spans
from .citations import Citation, is_verbatim, normalize_for_match, reference, verbatim_quote
from .documents import Document
from .keywords import looks_dutch
from .llm import LLMFailure, LLMWriter
from .prompts import (CLOSEST_TOPICS, EXPLAIN_NEEDS_LLM, FOREIGN_QUESTION_NOTICE, LLM_FAILED_NOTICE, REFUSAL,
                      REFUSAL_CORE)
from .retrieval import HybridRetriever, Passage, SearchResult, Turn
from .store import sentence_id

log = logging.getLogger(__name__)

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
    notice: str = ""  # why the answer is not what was asked for (LLM fell back, ...)

    @property
    def cited_passages(self) -> list[NumberedPassage]:
        numbers = {c.number for c in self.citations}
        return [p for p in self.passages if p.number in numbers]


@dataclass
class AnswerUpdate:
    """A step of a streamed answer: the text so far; `answer` is set on the last step only."""

    text: str
    answer: Answer | None = None


class PassageAnswerer:
    """The answers made of the documents' own sentences: the refusal and the extract."""

    def __init__(self, retriever: HybridRetriever, documents: dict[str, Document]):
        self.retriever = retriever
        self.documents = documents

    def refusal(self, question: str, result: SearchResult, mode: str = "passages") -> Answer:
        topics = list(dict.fromkeys(p.chunk.section_path or p.chunk.title for p in result.passages[:3]))
        text = REFUSAL + ("\n\n" + CLOSEST_TOPICS + "\n" + "\n".join(f"- {t}" for t in topics) if topics else "")
        return Answer(question, False, mode, text, [], self.number(result.passages, {}))

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


# ------------------------------------------------------------------ LLM answers, checked
MARKERS = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
SUPPORT_MIN = 0.34  # share of a sentence's (rarity-weighted) words its cited passage must hold
ATTRIBUTION_MIN = 0.5  # the same, for giving an unmarked sentence the marker of its passage


def with_markers(claim: str, numbers: list[int]) -> str:
    """'Zin .' + [1, 2] -> 'Zin [1][2].'"""
    claim = re.sub(r"\s+([.,;:!?])", r"\1", claim).strip()
    end = len(claim.rstrip(".!?:;"))
    return claim[:end] + " " + "".join(f"[{n}]" for n in numbers) + claim[end:]


class Answerer:
    """One question in, one answer out; with an LLM when configured, else the passages."""

    def __init__(self, retriever: HybridRetriever, documents: dict[str, Document], writer: LLMWriter | None,
                 timeout: float = 60.0):
        self.retriever = retriever
        self.passages = PassageAnswerer(retriever, documents)
        self.writer = writer
        self.timeout = timeout

    @property
    def mode(self) -> str:
        return "llm" if self.writer else "passages"

    def ask(self, question: str, history: list[Turn] | None = None, explain: bool = False) -> Answer:
        *_, last = self.stream(question, history, explain)
        return last.answer

    def stream(self, question: str, history: list[Turn] | None = None,
               explain: bool = False) -> Iterator[AnswerUpdate]:
        history = history or []
        deadline = time.monotonic() + self.timeout
        result = self.retriever.search(*self.retrieval_question(question, history, deadline))
        if not result.found:
            answer = self.passages.refusal(question, result, self.mode)
        elif self.writer is None:
            answer = self.passages.extract(question, result)
            answer.notice = EXPLAIN_NEEDS_LLM if explain else ""
        else:
            answer = yield from self.write(question, result, explain, deadline)
        if self.writer is None and not looks_dutch(question):
            answer.notice = FOREIGN_QUESTION_NOTICE
        yield AnswerUpdate(answer.text, answer)

    def retrieval_question(self, question: str, history: list[Turn], deadline: float) -> tuple[str, list[Turn]]:
        """With an LLM a follow-up, or a question in another language, becomes a stand-alone
        Dutch question; otherwise (or when that fails) retrieval carries the topic through the
        previous user turn (see retrieval_query)."""
        follow_up = any(t.role == "user" for t in history)
        foreign = not looks_dutch(question)
        if self.writer is None or not (follow_up or foreign):
            return question, history
        try:
            rewritten = self.writer.condense(question, history, deadline)
        except LLMFailure as failure:
            log.warning("Rewriting the question failed, using the conversation rule: %s", failure)
            return question, history
        log.info("Question rewritten for retrieval: %r", rewritten)
        if normalize_for_match(rewritten) == normalize_for_match(question):
            return question, history  # not rewritten: the conversation rule still carries the topic
        return rewritten, []

    def write(self, question: str, result: SearchResult, explain: bool, deadline: float):
        """Stream the LLM's answer, then check it; the passages answer when it is unusable."""
        numbered = self.passages.number(result.passages[:ANSWER_PASSAGES], {})
        try:
            text = ""
            for text in self.writer.stream_answer(question, [p.chunk.text for p in numbered], explain, deadline):
                yield AnswerUpdate(text)
            checked = self.check(question, text, numbered, result)
            if checked is not None:
                return checked
            failure = f"no sentence kept a valid, supported citation: {text[:300]!r}"
        except LLMFailure as exc:
            failure = str(exc)
        log.warning("LLM answer unusable, falling back to the passages: %s", failure)
        fallback = self.passages.extract(question, result)
        fallback.notice = LLM_FAILED_NOTICE
        return fallback

    def check(self, question: str, text: str, numbered: list[NumberedPassage],
              result: SearchResult) -> Answer | None:
        """Keep the sentences whose markers point at a retrieved passage holding their words;
        None when none is left. The refusal sentence means found=false."""
        log.debug("LLM text: %r", text)
        if REFUSAL_CORE in normalize_for_match(text):
            return self.passages.refusal(question, result, "llm")
        kept_sentences, highlights, citations = [], {}, []
        for start, end in sentence_spans(text):
            sentence = text[start:end]
            claim = MARKERS.sub("", sentence).strip()
            if not claim or normalize_for_match(claim) == normalize_for_match(question):
                continue
            shown = []
            for number in self.supporting_passages(sentence, claim, numbered):
                passage = numbered[number - 1]
                span, quote = self.best_quote(claim, passage)
                if quote:
                    shown.append(number)
                    highlights.setdefault(number - 1, []).append(span)
                    citations += [c for c in self.passages.cite(passage, quote) if c not in citations]
            if shown:  # a claim without a valid, supported source is not shown
                kept_sentences.append(with_markers(claim, shown))
        if not citations:
            return None
        for index, spans in highlights.items():
            numbered[index].highlights = sorted(set(spans))
        return Answer(question, True, "llm", "\n".join(kept_sentences), citations, numbered)

    def supporting_passages(self, sentence: str, claim: str, numbered: list[NumberedPassage]) -> list[int]:
        """The sentence's own markers that point at a passage holding its words; for an unmarked
        sentence, the one passage it was plainly taken from."""
        keywords = self.retriever.corpus.keywords
        support = [keywords.weighted_recall(claim, p.chunk.text) for p in numbered]
        cited = []
        for group in MARKERS.findall(sentence):
            for number in (int(n) for n in re.split(r"[,;]", group)):
                if 1 <= number <= len(numbered) and number not in cited and support[number - 1] >= SUPPORT_MIN:
                    cited.append(number)
        best = max(range(len(numbered)), key=support.__getitem__)
        if not MARKERS.search(sentence) and support[best] >= ATTRIBUTION_MIN:
            cited.append(best + 1)
        return cited

    def best_quote(self, claim: str, passage: NumberedPassage) -> tuple[tuple[int, int], str]:
        """The passage's sentence sharing most of the claim's words, as a verbatim quote."""
        keywords = self.retriever.corpus.keywords
        span = max(passage.chunk.sentences, key=lambda s: keywords.weighted_recall(claim, passage.chunk.text[s[0]:s[1]]))
        return span, verbatim_quote(passage.chunk, *span, self.passages.documents[passage.chunk.source])
