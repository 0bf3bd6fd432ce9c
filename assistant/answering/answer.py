"""Answering: a question walks down the stages once, top to bottom, and its answer keeps the trace.

    question.py   the question, read once (intent, focus, vocabulary cues, asked-for facts, names)
    llm.py        with an LLM: a question in another language rewritten in Dutch for retrieval
    retrieval.py  dense + Dutch keywords, fused; near-duplicates grouped
    compose.py    the best passages re-ranked by their best sentence
    relevance.py  is it in the documents? the evidence, weighed by a learned model; if not: the refusal
    compose.py    the passages answer: the sentences and list items that answer
    llm.py        with an LLM: a short lead written from the passages, streamed ...
    grounding.py  ... of which only the claims their cited passage supports are shown
    citations.py  every quote verbatim in its source, with its reference

The passages answer always stands: without an LLM it is the answer; with one, the LLM's checked
lead is put above it, so LLM mode is never worse than the passages. When the LLM fails, times
out or no claim of its survives the check, the passages answer stands with a Dutch notice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping

from ..index.chunking import sentence_spans
from ..index.store import PassageStore
from ..privacy import PersonalDataFilter
from ..types import (
    Answer,
    AnswerUpdate,
    Citation,
    Document,
    Mode,
    NumberedPassage,
    Passage,
    Question,
    Redaction,
    SearchResult,
    Trace,
    Turn,
)
from .citations import cite, normalize_for_match, numbered, verbatim_pieces
from .compose import RERANK_DEPTH, Composer, Composition, Unit
from .grounding import Claim, Grounder, claims
from .keywords import word_stems
from .llm import LLMFailure, LLMWriter
from .plain_language import Glossary, reading_level
from .prompts import (
    CLOSEST_PASSAGE,
    CLOSEST_TOPICS,
    EXPLAIN_NEEDS_LLM,
    FACT_NAMES,
    FOREIGN_QUESTION_NOTICE,
    LLM_FAILED_NOTICE,
    LLM_NO_ANSWER_NOTICE,
    LOCATION,
    NOT_B1_NOTICE,
    NOT_STATED,
    NOT_STATED_SINCE,
    REFUSAL,
    REFUSAL_CORE,
)
from .question import QuestionReader
from .relevance import Relevance, holds_lookup
from .retrieval import HybridRetriever

log = logging.getLogger(__name__)

LLM_PASSAGES = 5  # at most this many of the passages answer's passages are sent to the LLM
# From this e5 similarity the documents speak about the question's topic: a refused question that
# asks for a fact they lack, or for what happened later, gets the closest passage (a partial answer)
PARTIAL_MIN_SIMILARITY = 0.84
PARTIAL_SENTENCES = 1
# the question is about something the documents do not cover at all: no closest passage then
OFF_TOPIC_EVIDENCE = ("unknown_only", "unknown_subject", "asks_about_name")


class Answerer:
    """One question in, one answer out; with an LLM when configured, else the passages."""

    def __init__(self, reader: QuestionReader, retriever: HybridRetriever, store: PassageStore,
                 composer: Composer, grounder: Grounder, documents: Mapping[str, Document],
                 writer: LLMWriter | None, relevance: Relevance, timeout: float = 60.0,
                 privacy: PersonalDataFilter | None = None, glossary: Glossary | None = None, referral: str = ""):
        self.privacy = privacy or PersonalDataFilter()
        self.glossary = glossary or Glossary([])
        self.referral = referral
        self.reader = reader
        self.retriever = retriever
        self.store = store
        self.composer = composer
        self.grounder = grounder
        self.documents = documents
        self.writer = writer
        self.relevance = relevance
        self.timeout = timeout

    @property
    def mode(self) -> Mode:
        return Mode.LLM if self.writer else Mode.PASSAGES

    # ------------------------------------------------------------------ search
    def search(self, text: str, history: list[Turn] | None = None, k: int | None = None) -> SearchResult:
        """The best passages for a question, re-ranked, with the relevance verdict."""
        redaction, history = self.redacted(text, history or ())
        question = self.reader.read(redaction.text, history)
        result, _ = self._search(question, k, Trace())
        result.passages = self.composer.with_list_continuations(question, result.passages)[:k or self.retriever.k]
        return result

    def redacted(self, text: str, history) -> tuple[Redaction, tuple[Turn, ...]]:
        """The question and its history with personal data left out: nothing after this sees them."""
        turns = tuple(Turn(t.role, self.privacy.redact(t.content).text) for t in history)
        return self.privacy.redact(text), turns

    def _search(self, question: Question, k: int | None, trace: Trace) -> tuple[SearchResult, dict]:
        k = k or self.retriever.k
        result = self.retriever.search(question, k=max(k, RERANK_DEPTH))
        names = self._names
        trace.add("retrieval", query=question.searched, expansion=question.expansion,
                  dense=[names(cid, s) for cid, s in result.signals.dense_top],
                  keyword=[names(cid, s) for cid, s in result.signals.keyword_top],
                  fused=[names(cid, s) for cid, s in result.signals.fused_top])
        vectors = self.store.sentence_vectors([p.chunk.id for p in result.passages[:RERANK_DEPTH]])
        candidates = self.composer.candidates(question, result.passages, vectors, result.query_vector, RERANK_DEPTH)
        result.passages = self.composer.rerank(question, result.passages, candidates)[:k]
        trace.add("rerank", passages=[_label(p) for p in result.passages[:5]])
        result.verdict = self.relevance.judge(result)
        trace.add("relevance", found=result.found, confidence=round(result.confidence, 4),
                  reasons=list(result.verdict.reasons))
        return result, vectors

    def _names(self, chunk_id: str, score: float) -> dict:
        chunk = self.retriever.corpus.chunks.get(chunk_id)
        return {"source": chunk.source if chunk else chunk_id, "section": chunk.section_path if chunk else "",
                "score": score}

    # ------------------------------------------------------------------ ask
    def ask(self, text: str, history: list[Turn] | None = None, explain: bool = False) -> Answer:
        *_, last = self.stream(text, history, explain)
        return last.answer

    def stream(self, text: str, history: list[Turn] | None = None, explain: bool = False) -> Iterator[AnswerUpdate]:
        """The answer as it is checked: each update holds only text that passed the check; the
        last one carries the whole Answer."""
        trace = Trace()
        deadline = time.monotonic() + self.timeout
        redaction, history = self.redacted(text, history or ())
        question = self.reader.read(redaction.text, history)
        trace.add("question", intent=question.intent.value, wants=[w.value for w in question.wants],
                  asks_for=[f.name for f in question.expected], focus=sorted(question.focus),
                  topic_focus=sorted(question.topic_focus - question.focus),
                  vocabulary=list(question.cues), names=list(question.unknown_names),
                  unknown_subjects=[word for word, _ in question.unknown_subjects],
                  asks_about_name=question.asks_about_name, asks_where=question.asks_where, dutch=question.dutch,
                  follow_up=question.follow_up, new_topic=question.new_topic, pivots=question.pivots,
                  quoted_title=question.title, personal_data_left_out=[kind.name for kind in redaction.kinds])
        question = self.rewritten(question, deadline, trace)
        result, vectors = self._search(question, None, trace)
        missing = not result.found and what_is_missing(question, result.verdict.evidence)
        if missing:
            composition = self.composer.compose(question, result.passages, vectors, result.query_vector)
            composition.units = about_the_question(question, composition.units)[:PARTIAL_SENTENCES]
            answer = self.partial_answer(question, composition, missing)
            trace.add("composition", partial=missing, kept=[_unit_label(u.chunk, u.span, u.item)
                                                            for u in composition.units])
        elif not result.found:
            answer = self.refusal(question, result.passages, self.mode)
        else:
            composition = self.composer.compose(question, result.passages, vectors, result.query_vector)
            composition.passages = self.composer.with_list_continuations(question, composition.passages)
            answer = self.passages_answer(question, composition)
            trace.add("composition", intent=question.intent.value,
                      passages=[_label(p) for p in composition.passages],
                      kept=[_unit_label(u.chunk, u.span, u.item) for u in composition.units],
                      dropped=[{"sentence": s, "score": v} for s, v in composition.dropped])
            if self.writer is None:
                answer.notice = EXPLAIN_NEEDS_LLM if explain else ""
            else:
                answer = yield from self.write(question, answer, explain, deadline, trace)
        if self.writer is None and not question.dutch:
            answer.notice = FOREIGN_QUESTION_NOTICE
        answer.personal_data = redaction.kinds
        self.for_residents(answer, explain, trace)
        trace.add("citations", citations=len(answer.citations), sources=sorted({c.source for c in answer.citations}))
        answer.trace = trace.steps
        yield AnswerUpdate(answer.text, answer)

    def rewritten(self, question: Question, deadline: float, trace: Trace) -> Question:
        """With an LLM, a question in another language (with its conversation) becomes a
        stand-alone Dutch question for retrieval. A Dutch follow-up keeps the conversation rule
        (question.follow_up_text: the previous question, the point it points at, a pivot, a new
        topic): the small model's rewrites searched worse (bank gesprek: found 1.00 -> 0.97)."""
        if self.writer is None or question.dutch:
            return question
        try:
            rewritten = self.writer.condense(question.text, list(question.history), deadline)
        except LLMFailure as failure:
            log.warning("Rewriting the question failed, searching it as asked: %s", failure)
            trace.add("rewrite", failed=str(failure)[:200])
            return question
        trace.add("rewrite", question=rewritten)
        return self.reader.read(question.text, question.history, rewritten=rewritten)

    def for_residents(self, answer: Answer, explain: bool, trace: Trace) -> None:
        """A resident answer explains its hard words (the glossary) and, when an LLM wrote it,
        is measured for B1 and flagged when it is not; a resident answer and every refusal end
        with the municipality's own referral line."""
        if explain and answer.found:
            answer.glossary = self.glossary.terms_in(answer.text)
            if answer.reading_level is not None:
                level = answer.reading_level
                trace.add("plain_language", b1=level.b1, words_per_sentence=level.words_per_sentence,
                          reading_ease=level.reading_ease, rare_share=level.rare_share)
                if not level.b1:
                    answer.notice = " ".join(filter(None, [answer.notice, NOT_B1_NOTICE]))
        if explain or not answer.found:
            answer.referral = self.referral

    # ------------------------------------------------------------------ the passages answer
    def refusal(self, question: Question, passages: list[Passage], mode: Mode) -> Answer:
        """The fixed sentence, with the closest topics the documents do cover."""
        topics = list(dict.fromkeys(p.chunk.section_path or p.chunk.title for p in passages[:3]))
        text = REFUSAL + ("\n\n" + CLOSEST_TOPICS + "\n" + "\n".join(f"- {t}" for t in topics) if topics else "")
        return Answer(question.text, False, mode, text, [], numbered(passages, self.documents))

    def partial_answer(self, question: Question, composition: Composition, missing: str) -> Answer:
        """What the documents leave out first, then the closest passage they do hold, cited."""
        closest = self.passages_answer(question, composition)
        if not closest.citations:
            return self.refusal(question, [p.passage for p in closest.passages], self.mode)
        text = f"{missing}\n\n{CLOSEST_PASSAGE}\n{closest.text}"
        return Answer(question.text, False, Mode.PASSAGES, text, closest.citations, closest.passages, partial=True)

    def passages_answer(self, question: Question, composition: Composition) -> Answer:
        """The composed sentences as verbatim quotes, each with the number of its passage; a list
        item from a passage that was not retrieved brings that passage along."""
        shown = numbered(composition.passages, self.documents)
        lines: list[str] = []
        citations: list[Citation] = []
        # where the sentence that was looked up stands, for a question that asks it: the first
        # that holds what it looks up, else the first
        places: list[tuple[bool, str]] = []
        for unit in composition.units:
            passage = next((p for p in shown if p.chunk.id == unit.chunk.id), None)
            if passage is None:
                passage = numbered([*[p.passage for p in shown], Passage(unit.chunk, 0.0)], self.documents)[-1]
                shown.append(passage)
            pieces = verbatim_pieces(unit.chunk, *unit.span, self.documents[unit.chunk.source])
            if not pieces:
                continue
            quote = " ".join(pieces)
            passage.highlights.append(unit.span)
            label = f"{unit.label}: " if unit.label else ""
            lines.append(f"{'- ' if unit.item else ''}{label}{quote} [{passage.number}]")
            cited = cite(passage, pieces, self.documents)
            if question.asks_where:
                places.append((not question.lookup or holds_lookup(question, quote), location(passage, cited)))
            citations += [c for c in cited if c not in citations]
        if places:
            lines.insert(0, next((place for holds, place in places if holds), places[0][1]))
        return Answer(question.text, True, Mode.PASSAGES, "\n".join(lines), citations, shown)

    # ------------------------------------------------------------------ LLM answers, checked
    def write(self, question: Question, passages_answer: Answer, explain: bool, deadline: float, trace: Trace):
        """Stream the LLM's lead; show each sentence once it is complete and supported."""
        given = passages_answer.passages[:LLM_PASSAGES]
        excerpts = [excerpt(p) for p in given]
        texts = [(p.chunk.text, list(p.chunk.sentences)) for p in given]
        context = " ".join([question.retrieval_text, *(p.chunk.section_path for p in given)])
        kept: list[str] = []
        citations: list[Citation] = []
        rejected: list[dict] = []
        checked = 0
        text = ""
        try:
            for text in self.writer.stream_answer(question.text, excerpts, explain, deadline):
                if REFUSAL_CORE in normalize_for_match(text):
                    continue
                complete = claims(text, sentence_spans)[:-1]  # the last sentence may still grow
                if len(complete) > checked:
                    for claim in complete[checked:]:
                        self._check(claim, given, texts, context, kept, citations, rejected)
                    checked = len(complete)
                    yield AnswerUpdate("\n".join(kept))
        except LLMFailure as failure:
            log.warning("LLM answer unusable, falling back to the passages: %s", failure)
            trace.add("llm", failed=str(failure)[:200])
            passages_answer.notice = LLM_FAILED_NOTICE
            return passages_answer
        if REFUSAL_CORE in normalize_for_match(text):
            # Relevance found the passages; a small model's "not in the documents" is wrong more
            # often than right there (dev set), so the passages stand, with the LLM's doubt said.
            trace.add("llm", refused=True)
            passages_answer.notice = LLM_NO_ANSWER_NOTICE
            return passages_answer
        for claim in claims(text, sentence_spans)[checked:]:
            self._check(claim, given, texts, context, kept, citations, rejected)
        trace.add("grounding", kept=kept, rejected=rejected)
        if not kept:
            # the LLM's text echoes the question: it stays out of the log (the trace has the rejected claims)
            log.warning("LLM answer unusable, falling back to the passages: none of its %d claims was supported",
                        len(rejected))
            passages_answer.notice = LLM_FAILED_NOTICE
            return passages_answer
        citations += [c for c in passages_answer.citations if c not in citations]
        return Answer(question.text, True, Mode.LLM, "\n".join(kept) + "\n\n" + passages_answer.text, citations,
                      passages_answer.passages, reading_level=reading_level(" ".join(kept)) if explain else None,
                      llm_model=self.writer.model_name)

    def _check(self, claim: Claim, given: list[NumberedPassage], texts, context: str, kept: list[str],
               citations: list[Citation], rejected: list[dict]) -> None:
        grounding = self.grounder.ground(claim, texts, context)
        if grounding.number is None:
            rejected.append({"claim": claim.text, "reason": grounding.reason})
            return
        passage = given[grounding.number - 1]
        pieces = verbatim_pieces(passage.chunk, *grounding.span, self.documents[passage.chunk.source])
        if not pieces:
            rejected.append({"claim": claim.text, "reason": "the supporting sentence is not verbatim in its source"})
            return
        passage.highlights.append(grounding.span)
        citations += [c for c in cite(passage, pieces, self.documents) if c not in citations]
        kept.append(with_marker(grounding.claim.text, grounding.number))  # a quotation may stand for the claim


def about_the_question(question: Question, units: list[Unit]) -> list[Unit]:
    """The units that hold a distinctive word of the question as asked: the closest passage of a
    partial answer is about what was asked, not about the topic a conversation carried along."""
    if not question.focus:
        return units
    return [u for u in units if question.focus & word_stems(u.chunk.text[u.span[0]:u.span[1]])]


def what_is_missing(question: Question, evidence: Mapping[str, float]) -> str:
    """For a refused question the documents do speak about: what they leave out, in Dutch ("" for
    a question about something they do not cover, or a lookup)."""
    if (question.lookup or evidence.get("similarity", 0.0) < PARTIAL_MIN_SIMILARITY
            or any(evidence.get(name) for name in OFF_TOPIC_EVIDENCE)):
        return ""
    if evidence.get("fact_missing"):
        names = list(dict.fromkeys(FACT_NAMES.get(fact.name, fact.name) for fact in question.expected))
        return NOT_STATED.format(what=" of ".join(names))
    return NOT_STATED_SINCE if evidence.get("after_publication") else ""


def excerpt(passage: NumberedPassage) -> str:
    """What the LLM reads of a passage: the sentences composition chose from it, in reading order.
    Short prompts keep a small model near the selected points (and fast on a CPU); its claims are
    still checked against the whole passage."""
    chosen = sorted(set(passage.highlights))
    return " ".join(passage.chunk.text[start:end] for start, end in chosen) or passage.chunk.text


def location(passage: NumberedPassage, cited: list[Citation]) -> str:
    """'Vindplaats: VNG e.a., De waarde van het sociaal domein, "Gezond samenleven" [2]', with the
    other documents that repeat the quote."""
    others = list(dict.fromkeys(c.title for c in cited if c.source != passage.chunk.source))
    also = f" (ook in: {'; '.join(others)})" if others else ""
    return f"{LOCATION}: {passage.reference}{also} [{passage.number}]"


def with_marker(claim: str, number: int) -> str:
    """'Zin.' + 2 -> 'Zin [2].'"""
    end = len(claim.rstrip(".!?:;"))
    return f"{claim[:end]} [{number}]{claim[end:]}"


def _label(passage: Passage) -> dict:
    return {"source": passage.chunk.source, "section": passage.chunk.section_path, "score": round(passage.score, 4)}


def _unit_label(chunk, span: tuple[int, int], item: bool) -> dict:
    return {"source": chunk.source, "sentence": chunk.text[span[0]:span[1]][:120], "item": item}
